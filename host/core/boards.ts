// Boards as data: everything the generator, size check, toolchains, simulator and bridge need to know about a board.
import { UsageError } from './errors.js';

export interface BoardProfile {
  /** CLI name, also the PlatformIO env name in platformio.ini. */
  readonly id: string;
  readonly name: string;
  /** avr-gcc -mmcu value. */
  readonly mcu: string;
  /** CPU clock in Hz. */
  readonly fCpu: number;
  /** Flash available to the sketch (total minus bootloader), bytes. */
  readonly flashBytes: number;
  readonly sramBytes: number;
  /** Weights in program memory (PROGMEM + pgm_read_float) rather than RAM. */
  readonly weightsInFlash: boolean;
  /** Arduino core variant folder (hardware/arduino/avr/variants/<variant>). */
  readonly variant: string;
  /** -DARDUINO_<board> define used by the Arduino IDE. */
  readonly arduinoBoardDefine: string;
  /** Extra defines the core needs for this board (USB ids for the 32U4). */
  readonly extraDefines: readonly string[];
  /** PlatformIO `board =` value. */
  readonly pioBoard: string;
  /** Arduino fully qualified board name (boards.txt id and its menu options), for arduino-builder. */
  readonly fqbn: string;
  /** Baud rate of the bridge protocol. */
  readonly baud: number;
  /** Hardware serial receive buffer, bytes (the host never has more than this in the board's buffer). */
  readonly rxBufferBytes: number;
  /** avrdude programmer id and upload baud (0: not applicable, e.g. USB CDC 1200-baud touch). */
  readonly upload: { readonly protocol: string; readonly baud: number };
  /** Whether the virtual board (avr8js) can run this MCU. */
  readonly simulated: boolean;
}

export const BOARDS: readonly BoardProfile[] = [
  {
    id: 'uno',
    name: 'Arduino Uno',
    mcu: 'atmega328p',
    fCpu: 16_000_000,
    flashBytes: 32_256,
    sramBytes: 2_048,
    weightsInFlash: true,
    variant: 'standard',
    arduinoBoardDefine: 'ARDUINO_AVR_UNO',
    extraDefines: [],
    pioBoard: 'uno',
    fqbn: 'arduino:avr:uno',
    baud: 115_200,
    rxBufferBytes: 64,
    upload: { protocol: 'arduino', baud: 115_200 },
    simulated: true,
  },
  {
    id: 'nano',
    name: 'Arduino Nano (ATmega328P)',
    mcu: 'atmega328p',
    fCpu: 16_000_000,
    flashBytes: 30_720,
    sramBytes: 2_048,
    weightsInFlash: true,
    variant: 'eightanaloginputs',
    arduinoBoardDefine: 'ARDUINO_AVR_NANO',
    extraDefines: [],
    pioBoard: 'nanoatmega328',
    fqbn: 'arduino:avr:nano:cpu=atmega328',
    baud: 115_200,
    rxBufferBytes: 64,
    upload: { protocol: 'arduino', baud: 57_600 },
    simulated: true,
  },
  {
    id: 'mega2560',
    name: 'Arduino Mega 2560',
    mcu: 'atmega2560',
    fCpu: 16_000_000,
    flashBytes: 253_952,
    sramBytes: 8_192,
    weightsInFlash: true,
    variant: 'mega',
    arduinoBoardDefine: 'ARDUINO_AVR_MEGA2560',
    extraDefines: [],
    pioBoard: 'megaatmega2560',
    fqbn: 'arduino:avr:mega:cpu=atmega2560',
    baud: 115_200,
    rxBufferBytes: 64,
    upload: { protocol: 'wiring', baud: 115_200 },
    simulated: false,
  },
  {
    id: 'leonardo',
    name: 'Arduino Leonardo',
    mcu: 'atmega32u4',
    fCpu: 16_000_000,
    flashBytes: 28_672,
    sramBytes: 2_560,
    weightsInFlash: true,
    variant: 'leonardo',
    arduinoBoardDefine: 'ARDUINO_AVR_LEONARDO',
    extraDefines: ['USB_VID=0x2341', 'USB_PID=0x8036', 'USB_MANUFACTURER="Unknown"', 'USB_PRODUCT="Arduino Leonardo"'],
    pioBoard: 'leonardo',
    fqbn: 'arduino:avr:leonardo',
    baud: 115_200,
    rxBufferBytes: 64,
    upload: { protocol: 'avr109', baud: 57_600 },
    simulated: false,
  },
];

export function boardIds(): string[] {
  return BOARDS.map((b) => b.id);
}

/** Look a board up by id; the error lists the boards there are. */
export function getBoard(id: string): BoardProfile {
  const board = BOARDS.find((b) => b.id === id);
  if (!board) {
    throw new UsageError(`unknown board "${id}"`, `choose one of: ${boardIds().join(', ')}`);
  }
  return board;
}
