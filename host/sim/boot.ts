// The flash of a virtual board with a bootloader: the bootloader image at BOOTRST, an application (or erased flash),
// optionally persisted to a file between runs, as a real board keeps its flash.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BoardProfile, Bootloader } from '../core/boards.js';
import { SimError, UsageError } from '../core/errors.js';
import { arduinoAvrDir } from '../build/builtin.js';
import { chipLayout } from './chips.js';
import { parseIntelHex } from './intel-hex.js';

/** The project root (host/sim/ in the sources, dist/sim/ when built: two levels up either way). */
const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where a bootloader's .hex is on this machine. */
export function bootloaderImagePath(bl: Bootloader): string {
  return bl.image.from === 'project' ? path.join(PROJECT_ROOT, bl.image.path) : path.join(arduinoAvrDir(), bl.image.path);
}

/** The board's bootloader by name (default: the first, what new boards ship with); UsageError lists the names there are. */
export function findBootloader(board: BoardProfile, name?: string): Bootloader {
  const names = board.bootloaders.map((b) => b.name);
  if (board.bootloaders.length === 0 || !board.simulated) {
    throw new UsageError(`the virtual board cannot run the ${board.name}'s bootloader`, `use --board with one of the simulated boards, or a real ${board.name}`);
  }
  const bl = name === undefined ? board.bootloaders[0] : board.bootloaders.find((b) => b.name === name);
  if (!bl) throw new UsageError(`the ${board.name} has no bootloader "${name}"`, `choose one of: ${names.join(', ')}`);
  return bl;
}

export interface BootFlashOptions {
  /** Application to put below the boot section (Intel HEX), as if uploaded before. */
  readonly appHexPath?: string | undefined;
  /** Raw image of the whole flash from an earlier run (its boot section is replaced by the bootloader). */
  readonly flashFile?: string | undefined;
}

/** The whole flash: erased (or the persisted file, or an application), with the bootloader at its BOOTRST. */
export function bootFlash(board: BoardProfile, bl: Bootloader, opts: BootFlashOptions = {}): Uint8Array {
  const chip = chipLayout(board);
  let flash: Uint8Array = new Uint8Array(chip.flashBytes).fill(0xff);
  if (opts.flashFile !== undefined && existsSync(opts.flashFile)) {
    const saved = readFileSync(opts.flashFile);
    if (saved.length !== chip.flashBytes) {
      throw new UsageError(`flash file ${opts.flashFile} holds ${saved.length} bytes; a ${board.mcu} has ${chip.flashBytes}`, 'give another --flash-file, or delete this one to start with an erased board');
    }
    flash = new Uint8Array(saved);
  } else if (opts.appHexPath !== undefined) {
    flash = parseIntelHex(readFileSync(opts.appHexPath, 'latin1'), chip.flashBytes, opts.appHexPath);
  }
  const imagePath = bootloaderImagePath(bl);
  if (!existsSync(imagePath)) {
    throw new SimError(`bootloader image ${imagePath} does not exist`, bl.image.from === 'project' ? 'reinstall deploy-nn (its bootloaders/ folder is missing)' : 'sudo apt-get install arduino-core-avr');
  }
  const image = parseIntelHex(readFileSync(imagePath, 'latin1'), chip.flashBytes, imagePath);
  for (let a = 0; a < chip.flashBytes; a++) {
    if (image[a] !== 0xff && a < bl.bootStart) {
      throw new SimError(`bootloader image ${imagePath} has data at 0x${a.toString(16)}, below its boot section at 0x${bl.bootStart.toString(16)}`);
    }
  }
  flash.fill(0xff, bl.bootStart);
  flash.set(image.subarray(bl.bootStart), bl.bootStart);
  return flash;
}

/** Write the flash image atomically (a temp file renamed into place). */
export function saveFlash(file: string, flash: Uint8Array): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, flash);
  renameSync(tmp, file);
}
