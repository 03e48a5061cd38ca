// What the emulator must know about each MCU beyond the board profile: memory map, peripheral interrupt vectors, SPM.
import { timer0Config, timer1Config, timer2Config, usart0Config, watchdogConfig } from 'avr8js';
import type { AVRTimerConfig, WatchdogConfig } from 'avr8js';

type USARTConfig = typeof usart0Config;
import type { BoardProfile } from '../core/boards.js';
import { SimError } from '../core/errors.js';

export interface ChipLayout {
  readonly mcu: string;
  /** Whole program memory, bytes (sketch area + boot section). */
  readonly flashBytes: number;
  /** First SRAM data address (registers and I/O below it). */
  readonly ramStart: number;
  /** Start of the no-read-while-write section: SPM on a page below it sets RWWSB until RWWSRE. */
  readonly nrwwStart: number;
  readonly usart0: USARTConfig;
  readonly timers: readonly [AVRTimerConfig, AVRTimerConfig, AVRTimerConfig];
  readonly watchdog: WatchdogConfig;
}

/** Data addresses shared by both chips. */
export const MCUSR = 0x54;
export const SPMCSR = 0x57;
export const RAMPZ = 0x5b;

/** MCUSR bits (datasheet names). */
export const PORF = 0x01;
export const EXTRF = 0x02;
export const WDRF = 0x08;

const ATMEGA328P: ChipLayout = {
  mcu: 'atmega328p',
  flashBytes: 32 * 1024,
  ramStart: 0x100,
  nrwwStart: 0x7000,
  usart0: usart0Config,
  timers: [timer0Config, timer1Config, timer2Config],
  watchdog: watchdogConfig,
};

// The 2560 has the same register addresses for USART0 and timers 0-2, but 4-byte vectors in another order.
const ATMEGA2560: ChipLayout = {
  mcu: 'atmega2560',
  flashBytes: 256 * 1024,
  ramStart: 0x200,
  nrwwStart: 0x3_e000,
  usart0: { ...usart0Config, rxCompleteInterrupt: 0x32, dataRegisterEmptyInterrupt: 0x34, txCompleteInterrupt: 0x36 },
  timers: [
    { ...timer0Config, compAInterrupt: 0x2a, compBInterrupt: 0x2c, ovfInterrupt: 0x2e },
    { ...timer1Config, captureInterrupt: 0x20, compAInterrupt: 0x22, compBInterrupt: 0x24, compCInterrupt: 0x26, ovfInterrupt: 0x28, OCRC: 0x8c },
    { ...timer2Config, compAInterrupt: 0x1a, compBInterrupt: 0x1c, ovfInterrupt: 0x1e },
  ],
  watchdog: { ...watchdogConfig, watchdogInterrupt: 0x18 },
};

const CHIPS: readonly ChipLayout[] = [ATMEGA328P, ATMEGA2560];

/** The emulator's layout for a board's MCU; SimError when the emulator has none. */
export function chipLayout(board: BoardProfile): ChipLayout {
  const chip = CHIPS.find((c) => c.mcu === board.mcu);
  if (!chip) {
    throw new SimError(`the virtual board cannot run the ${board.mcu} (${board.name})`, `it runs: ${CHIPS.map((c) => c.mcu).join(', ')}`);
  }
  return chip;
}
