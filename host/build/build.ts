// buildSketch: a sketch folder -> firmware.hex with its real flash and SRAM use, by the built-in avr-gcc path or PlatformIO.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { BoardProfile } from '../core/boards.js';
import type { BuildResult } from '../core/artifacts.js';
import { UsageError } from '../core/errors.js';
import { defaultBuildDir } from '../core/paths.js';
import { readSectionSizes } from './avr-size.js';
import { buildWithAvrGcc } from './builtin.js';
import { buildWithPlatformio, hasPlatformio, platformioAvrSize } from './platformio.js';

export type ToolchainChoice = 'auto' | 'builtin' | 'platformio';
export const TOOLCHAINS: readonly ToolchainChoice[] = ['auto', 'builtin', 'platformio'];

export interface BuildOptions {
  /** 'auto' (default): PlatformIO when `pio` is on PATH, else the built-in avr-gcc path. */
  readonly toolchain?: ToolchainChoice;
  /** Where objects, firmware.elf and firmware.hex go; default defaultBuildDir(sketch.dir, board) (built-in path). */
  readonly buildDir?: string;
}

/** The model hash the generator wrote into nn_model.h (`#define NN_MODEL_HASH "..."`), or '' for a hand-written sketch. */
export async function sketchModelHash(sketchDir: string): Promise<string> {
  const header = path.join(sketchDir, 'nn_model.h');
  if (!existsSync(header)) return '';
  const m = /^#define NN_MODEL_HASH "([0-9a-f]{16})"/m.exec(await readFile(header, 'utf8'));
  return m?.[1] ?? '';
}

export async function buildSketch(sketch: { dir: string; name: string }, board: BoardProfile, opts: BuildOptions = {}): Promise<BuildResult> {
  const choice = opts.toolchain ?? 'auto';
  if (!TOOLCHAINS.includes(choice)) throw new UsageError(`unknown toolchain "${choice}"`, `choose one of: ${TOOLCHAINS.join(', ')}`);
  const dir = path.resolve(sketch.dir);
  const ino = path.join(dir, `${sketch.name}.ino`);
  if (!existsSync(ino)) {
    throw new UsageError(`no sketch at ${ino}`, 'run `deploy-nn generate` first, or give --sketch the folder that holds <name>.ino');
  }
  const usePio = choice === 'platformio' || (choice === 'auto' && (await hasPlatformio()));
  const built = usePio
    ? await buildWithPlatformio({ dir, name: sketch.name }, board)
    : await buildWithAvrGcc({ dir, name: sketch.name }, board, path.resolve(opts.buildDir ?? defaultBuildDir(dir, board)));
  const sizes = await readSectionSizes(built.elfPath, usePio ? platformioAvrSize() : 'avr-size');
  return {
    boardId: board.id,
    toolchain: usePio ? 'platformio' : 'builtin',
    hexPath: built.hexPath,
    elfPath: built.elfPath,
    flashBytes: sizes.text + sizes.data,
    sramBytes: sizes.data + sizes.bss,
    flashLimit: board.flashBytes,
    sramLimit: board.sramBytes,
    modelHash: await sketchModelHash(dir),
  };
}
