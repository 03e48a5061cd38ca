// buildSketch: a sketch folder -> firmware.hex with its real flash and SRAM use, by one of the toolchains of toolchains.ts.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { BoardProfile } from '../core/boards.js';
import type { BuildResult } from '../core/artifacts.js';
import { BuildFailedError, ModelTooLargeError, SketchCompileError, UsageError } from '../core/errors.js';
import { defaultBuildDir } from '../core/paths.js';
import { buildWithArduinoBuilder, librariesDirs } from './arduino-builder.js';
import { readSectionSizes } from './avr-size.js';
import { buildWithAvrGcc } from './builtin.js';
import { compileFailure, FLASH_FIX, linkerSizeError, SRAM_FIX } from './compile-errors.js';
import { buildWithPlatformio, hasPlatformio, platformioAvrSize } from './platformio.js';
import { checkSketchName } from '../core/sketch-name.js';
import { isGeneratedSketch, pickToolchain, TOOLCHAINS } from './toolchains.js';
import type { ToolchainChoice, ToolchainId } from './toolchains.js';

export { TOOLCHAINS };
export type { ToolchainChoice, ToolchainId };

export interface BuildOptions {
  /** 'auto' (default): PlatformIO when `pio` is on PATH, else builtin for generated sketches, else arduino-builder. */
  readonly toolchain?: ToolchainChoice;
  /** Where objects, firmware.elf and firmware.hex go; default defaultBuildDir(sketch.dir, board) (builtin, arduino-builder). */
  readonly buildDir?: string;
  /** User libraries folders (arduino-builder, PlatformIO); default the sketchbook's ~/Arduino/libraries when it exists. */
  readonly libraries?: readonly string[];
}

/** The model hash the generator wrote into nn_model.h (`#define NN_MODEL_HASH "..."`), or '' for a hand-written sketch. */
export async function sketchModelHash(sketchDir: string): Promise<string> {
  const header = path.join(sketchDir, 'nn_model.h');
  if (!existsSync(header)) return '';
  const m = /^#define NN_MODEL_HASH "([0-9a-f]{16})"/m.exec(await readFile(header, 'utf8'));
  return m?.[1] ?? '';
}

/** Refuses a built image that does not fit the board (a user sketch has no estimate before it is built). */
export function checkBuiltSize(b: BuildResult, board: BoardProfile): void {
  if (b.flashBytes > b.flashLimit) {
    throw new ModelTooLargeError(
      `the sketch takes ${b.flashBytes} bytes of flash on the ${board.name} (${board.id}), which has ${b.flashLimit}`,
      FLASH_FIX,
    );
  }
  if (b.sramBytes > b.sramLimit) {
    throw new ModelTooLargeError(
      `the sketch's static data takes ${b.sramBytes} bytes of SRAM on the ${board.name} (${board.id}), which has ${b.sramLimit}`,
      SRAM_FIX,
    );
  }
}

export async function buildSketch(
  sketch: { dir: string; name: string },
  board: BoardProfile,
  opts: BuildOptions = {},
): Promise<BuildResult> {
  const choice = opts.toolchain ?? 'auto';
  if (!TOOLCHAINS.includes(choice)) throw new UsageError(`unknown toolchain "${choice}"`, `choose one of: ${TOOLCHAINS.join(', ')}`);
  checkSketchName(sketch.name);
  const dir = path.resolve(sketch.dir);
  const ino = path.join(dir, `${sketch.name}.ino`);
  if (!existsSync(ino)) {
    throw new UsageError(`no sketch at ${ino}`, 'run `deploy-nn generate` first, or give --sketch the folder that holds <name>.ino');
  }
  const named = { dir, name: sketch.name };
  const toolchain = pickToolchain(choice, {
    generated: await isGeneratedSketch(named),
    pio: choice === 'auto' ? await hasPlatformio() : false,
  });
  const buildDir = path.resolve(opts.buildDir ?? defaultBuildDir(dir, board));
  const libraries = librariesDirs(opts.libraries);
  let built: { elfPath: string; hexPath: string };
  let avrSize = 'avr-size';
  if (toolchain === 'platformio') {
    built = await buildWithPlatformio(named, board, libraries);
    avrSize = platformioAvrSize();
  } else if (toolchain === 'arduino-builder') {
    built = await buildWithArduinoBuilder(named, board, buildDir, libraries);
  } else {
    try {
      built = await buildWithAvrGcc(named, board, buildDir);
    } catch (e) {
      const tooLarge = e instanceof BuildFailedError ? linkerSizeError(e.log, board) : undefined;
      if (tooLarge) throw tooLarge;
      // The sketch's own code failed to compile: the user's input, shown as file:line.
      if (e instanceof BuildFailedError && /^(compiling (?!the Arduino core)|linking failed: .*undefined reference)/.test(e.message)) {
        const failure = compileFailure(e.log, { sketchDir: dir, buildDir, board });
        if (/was not declared in this scope/.test(failure.message)) {
          // The fast path makes no prototypes: a function used before its definition needs the Arduino build.
          throw new SketchCompileError(failure.message, `${failure.hint ?? ''}; the builtin toolchain makes no prototypes: build with --toolchain arduino-builder`.replace(/^; /, ''), failure.log);
        }
        throw failure;
      }
      throw e;
    }
  }
  const sizes = await readSectionSizes(built.elfPath, avrSize);
  const result: BuildResult = {
    boardId: board.id,
    toolchain,
    hexPath: built.hexPath,
    elfPath: built.elfPath,
    flashBytes: sizes.text + sizes.data,
    sramBytes: sizes.data + sizes.bss,
    flashLimit: board.flashBytes,
    sramLimit: board.sramBytes,
    modelHash: await sketchModelHash(dir),
  };
  checkBuiltSize(result, board);
  return result;
}
