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
  /** How avrdude reaches the bootloader: its programmer id, and the speeds the board's bootloaders answer at. */
  readonly upload: UploadProfile;
  /** Whether the virtual board (avr8js) can run this MCU. */
  readonly simulated: boolean;
  /** Flash page size, bytes (the unit the bootloader erases and writes with SPM). */
  readonly flashPageBytes: number;
  /** The bootloaders this board is sold with, newest first (the virtual board boots the first unless told). */
  readonly bootloaders: readonly Bootloader[];
}

export interface UploadProfile {
  /** avrdude programmer id (-c). */
  readonly protocol: string;
  /** The first speed tried (speeds[0]), kept for the PlatformIO env and messages. */
  readonly baud: number;
  /** Every speed this board's bootloaders answer at, in the order to try them (from `bootloaders`). */
  readonly speeds: readonly number[];
  /** USB boards: open at 1200 baud and close to start the bootloader, which appears as a new port. */
  readonly touch1200: boolean;
  /** The board's key in the Arduino core's boards.txt (its USB vid/pid pairs are read from there). */
  readonly coreBoardId: string;
}

/** A bootloader image: where it comes from, where it sits in flash, the speed it talks at. */
export interface Bootloader {
  /** Short name for --bootloader (optiboot, atmegaboot, stk500v2). */
  readonly name: string;
  readonly description: string;
  /** The .hex: shipped in this project's bootloaders/ folder, or in the Arduino AVR core (hardware/arduino/avr/). */
  readonly image: { readonly from: 'project' | 'arduino-core'; readonly path: string };
  /** BOOTRST byte address: the reset vector, and the start of the boot section (write-protected by the lock bits). */
  readonly bootStart: number;
  /** Serial speed of the bootloader. */
  readonly baud: number;
  /** From a reset (an open of the port) to the sketch running when no upload comes, ms (on the emulated chip). */
  readonly waitMs: number;
}

const OPTIBOOT_328: Bootloader = {
  name: 'optiboot',
  description: 'Optiboot 8.3 (Uno, and Nanos made since 2018), 512-byte boot section',
  image: { from: 'project', path: 'bootloaders/optiboot_atmega328.hex' },
  bootStart: 0x7e00,
  baud: 115_200,
  waitMs: 1_400,
};

const ATMEGABOOT_328: Bootloader = {
  name: 'atmegaboot',
  description: 'the old Nano bootloader (ATmegaBOOT) from the Arduino core, 2 KB boot section',
  image: { from: 'arduino-core', path: 'bootloaders/atmega/ATmegaBOOT_168_atmega328.hex' },
  bootStart: 0x7800,
  baud: 57_600,
  waitMs: 1_330,
};

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
    upload: { protocol: 'arduino', baud: 115_200, speeds: [115_200], touch1200: false, coreBoardId: 'uno' },
    simulated: true,
    flashPageBytes: 128,
    bootloaders: [OPTIBOOT_328],
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
    pioBoard: 'nanoatmega328new',
    fqbn: 'arduino:avr:nano:cpu=atmega328',
    baud: 115_200,
    rxBufferBytes: 64,
    // Nanos made since 2018 have Optiboot at 115200; older ones (and clones) the old bootloader at 57600.
    upload: { protocol: 'arduino', baud: 115_200, speeds: [115_200, 57_600], touch1200: false, coreBoardId: 'nano' },
    simulated: true,
    flashPageBytes: 128,
    bootloaders: [OPTIBOOT_328, ATMEGABOOT_328],
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
    upload: { protocol: 'wiring', baud: 115_200, speeds: [115_200], touch1200: false, coreBoardId: 'mega' },
    simulated: true,
    flashPageBytes: 256,
    bootloaders: [
      {
        name: 'stk500v2',
        description: 'the Mega 2560 stk500v2 bootloader from the Arduino core (avrdude -c wiring)',
        image: { from: 'arduino-core', path: 'bootloaders/stk500v2/stk500boot_v2_mega2560.hex' },
        bootStart: 0x3_e000,
        baud: 115_200,
        waitMs: 850,
      },
    ],
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
    upload: { protocol: 'avr109', baud: 57_600, speeds: [57_600], touch1200: true, coreBoardId: 'leonardo' },
    simulated: false,
    flashPageBytes: 128,
    // Caterina (USB, avr109): not shipped as .hex in Debian's core, and the virtual board cannot run the 32U4.
    bootloaders: [],
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

/**
 * How long a host waits for the ready line of a board it just opened (which resets it into its bootloader) before
 * asking with `?`, ms: three times the longest bootloader wait, at least 1500. A byte that reaches a bootloader still
 * waiting keeps the Mega's stk500v2 in it for good.
 */
export function readyQueryDelayMs(board: BoardProfile): number {
  return Math.max(1_500, 3 * Math.max(0, ...board.bootloaders.map((b) => b.waitMs)));
}
