// The virtual board for `--port sim`: the model's built firmware (or --hex) on a board the emulator can run.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { BOARDS } from '../core/boards.js';
import type { BoardProfile } from '../core/boards.js';
import type { ModelFile } from '../core/model.js';
import { UsageError } from '../core/errors.js';
import { defaultHexPath, defaultSketchDir } from '../core/paths.js';
import type { VirtualBoard } from './virtual-board.js';

export interface SimForModelOptions {
  /** Firmware to run (default: generated/<sketch>/build-<board>/firmware.hex of the model). */
  readonly hex?: string | undefined;
  /** Pace the emulator to the board's clock (default false). */
  readonly realtime?: boolean;
}

/** Checks what a user can fix (board, firmware) with usage errors naming it, then starts the board. */
export async function startVirtualBoardForModel(model: ModelFile, board: BoardProfile, opts: SimForModelOptions = {}): Promise<VirtualBoard> {
  if (!board.simulated) {
    const can = BOARDS.filter((b) => b.simulated).map((b) => b.id);
    throw new UsageError(`the virtual board cannot run ${board.id} (${board.mcu})`, `use --board ${can.join(', ')} with --port sim, or a real port`);
  }
  const hexPath = path.resolve(opts.hex ?? defaultHexPath(defaultSketchDir(model.name), board));
  if (!existsSync(hexPath)) {
    throw new UsageError(`no firmware at ${hexPath}: the file does not exist`, `build it first (deploy-nn generate and deploy-nn build for ${board.id}), or give --hex FILE`);
  }
  // Loaded only for --port sim: it brings in avr8js.
  const { startVirtualBoard } = await import('./virtual-board.js');
  return startVirtualBoard({ hexPath, board, realtime: opts.realtime ?? false });
}
