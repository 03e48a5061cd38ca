// `deploy-nn build`: compile a sketch folder (or generate one from a model first) and print flash and SRAM against the board's limits.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { buildSketch, TOOLCHAINS } from '../../build/build.js';
import type { ToolchainChoice } from '../../build/build.js';
import { TOOLCHAIN_TABLE } from '../../build/toolchains.js';
import { checkFits } from '../../build/size.js';
import { generateSketch } from '../../codegen/generate.js';
import type { BuildResult } from '../../core/artifacts.js';
import { boardIds, getBoard } from '../../core/boards.js';
import type { BoardProfile } from '../../core/boards.js';
import { UsageError } from '../../core/errors.js';
import { checkSketchName } from '../../core/sketch-name.js';
import { emit, note } from '../output.js';
import type { OutputOptions } from '../output.js';
import { action } from '../run.js';
import { readModelFile } from '../../model/read-model.js';

export interface SketchSource {
  /** A sketch folder holding <folder name>.ino. */
  readonly sketch?: string | undefined;
  /** Or a model.json: the sketch is generated (checked to fit first) into generated/<name>/. Default model.json. */
  readonly model?: string | undefined;
}

/** The sketch folder to build: --sketch as given, else generate it from --model (default model.json). */
export async function resolveSketch(src: SketchSource, board: BoardProfile, out: OutputOptions): Promise<{ dir: string; name: string }> {
  if (src.sketch !== undefined && src.model !== undefined) throw new UsageError('give --sketch or --model, not both');
  if (src.sketch !== undefined) {
    // A path to the .ino itself names its folder, as the Arduino IDE opens either.
    const dir = path.resolve(src.sketch.endsWith('.ino') ? path.dirname(src.sketch) : src.sketch);
    if (!existsSync(dir)) throw new UsageError(`sketch folder ${src.sketch} does not exist`, 'run deploy-nn generate first, or give --model');
    checkSketchName(path.basename(dir));
    return { dir, name: path.basename(dir) };
  }
  const model = await readModelFile(src.model ?? 'model.json');
  checkFits(model, board);
  const sketch = await generateSketch(model, board);
  note(out, `generated ${path.relative(process.cwd(), sketch.dir) || sketch.dir}`);
  return sketch;
}

function toolchainOf(text: string): ToolchainChoice {
  if (!TOOLCHAINS.includes(text as ToolchainChoice)) throw new UsageError(`unknown toolchain "${text}"`, `choose one of: ${TOOLCHAINS.join(', ')}`);
  return text as ToolchainChoice;
}

/** --toolchain's help, from the toolchain table. */
export function toolchainHelp(): string {
  return `auto (PlatformIO when pio is on PATH, else builtin for generated sketches, else arduino-builder), ${TOOLCHAIN_TABLE.map((t) => t.id).join(', ')}`;
}

/** Commander accumulator for a repeatable option. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

const n = (x: number): string => x.toLocaleString('en-US');
const pct = (a: number, b: number): string => `${((100 * a) / b).toFixed(1)}%`;

export function formatBuild(b: BuildResult): string {
  return [
    `built ${b.hexPath} (${b.toolchain} toolchain, board ${b.boardId}${b.modelHash ? `, model ${b.modelHash}` : ''})`,
    `  flash ${n(b.flashBytes)} / ${n(b.flashLimit)} B (${pct(b.flashBytes, b.flashLimit)})`,
    `  SRAM  ${n(b.sramBytes)} / ${n(b.sramLimit)} B (${pct(b.sramBytes, b.sramLimit)}) static, ${n(b.sramLimit - b.sramBytes)} B left for the stack`,
  ].join('\n');
}

export function registerBuild(program: Command): void {
  program
    .command('build')
    .description('compile the sketch for a board and report flash and SRAM from avr-size')
    .option('--board <id>', `board (${boardIds().join(', ')})`, 'uno')
    .option('--sketch <dir>', 'sketch folder to build')
    .option('--model <file>', 'model.json: generate its sketch, then build it (default model.json)')
    .option('--toolchain <name>', toolchainHelp(), 'auto')
    .option('--libraries <dir>', 'a folder of Arduino libraries (repeatable; default ~/Arduino/libraries when it exists)', collect, [])
    .option('--json', 'print one JSON document', false)
    .action(
      action(async (o: { board: string; sketch?: string; model?: string; toolchain: string; libraries: string[]; json: boolean }) => {
        const board = getBoard(o.board);
        const toolchain = toolchainOf(o.toolchain);
        const sketch = await resolveSketch(o, board, o);
        note(o, `building ${sketch.name} for ${board.name}`);
        const build = await buildSketch(sketch, board, { toolchain, libraries: o.libraries });
        emit(o, build, () => formatBuild(build));
      }),
    );
}
