// uploadFirmware: a built .hex onto a board through its bootloader (avrdude with the board's protocol and baud, or pio).
import { existsSync } from 'node:fs';
import type { BoardProfile } from '../core/boards.js';
import type { BuildResult } from '../core/artifacts.js';
import { PortNotFoundError, UsageError } from '../core/errors.js';
import { run } from './exec.js';
import { uploadWithPlatformio } from './platformio.js';

/** The avrdude command line for this board (pure, for tests and --dry-run style printing). */
export function avrdudeArgs(hexPath: string, board: BoardProfile, port: string): string[] {
  const args = ['-p', board.mcu, '-c', board.upload.protocol, '-P', port];
  if (board.upload.baud > 0) args.push('-b', String(board.upload.baud));
  args.push('-D', '-U', `flash:w:${hexPath}:i`);
  return args;
}

export async function uploadFirmware(build: BuildResult, board: BoardProfile, port: string): Promise<void> {
  if (build.boardId !== board.id) {
    throw new UsageError(`the firmware was built for ${build.boardId}, not ${board.id}`, `build it again with --board ${board.id}`);
  }
  if (!existsSync(port)) throw new PortNotFoundError(port);
  if (build.toolchain === 'platformio') {
    await uploadWithPlatformio(board, port, build.hexPath);
    return;
  }
  await run('avrdude', avrdudeArgs(build.hexPath, board, port), {
    what: `avrdude (${board.upload.protocol} at ${board.upload.baud} baud on ${port})`,
    hint: 'sudo apt-get install avrdude',
  });
}
