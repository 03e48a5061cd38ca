// `deploy-nn generate`: model.json + board -> the Arduino sketch folder (generated/<name>/), after checking it fits.
import path from 'node:path';
import type { Command } from 'commander';
import { checkFits } from '../../build/size.js';
import { generateSketch } from '../../codegen/generate.js';
import type { GeneratedSketch, SizeEstimate } from '../../core/artifacts.js';
import { boardIds, getBoard } from '../../core/boards.js';
import { readModelFile } from '../../model/read-model.js';
import { emit } from '../output.js';
import type { OutputOptions } from '../output.js';
import { action } from '../run.js';

export interface GenerateCliOptions extends OutputOptions {
  /** model.json path (default model.json). */
  readonly model: string;
  /** Board id (default uno). */
  readonly board: string;
  /** Sketch folder (default generated/<model name>/). */
  readonly out?: string | undefined;
}

const n = (x: number): string => x.toLocaleString('en-US');

export function formatEstimate(e: SizeEstimate): string {
  return `estimated flash ${n(e.flashBytes)} / ${n(e.flashLimit)} B, SRAM ${n(e.sramBytes)} + ${n(e.stackReserve)} stack / ${n(e.sramLimit)} B`;
}

export async function generateCommand(opts: GenerateCliOptions): Promise<{ sketch: GeneratedSketch; estimate: SizeEstimate }> {
  const board = getBoard(opts.board);
  const model = await readModelFile(opts.model);
  const estimate = checkFits(model, board);
  const sketch = await generateSketch(model, board, opts.out === undefined ? {} : { outDir: opts.out });
  return { sketch, estimate };
}

export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description('write the Arduino sketch (and the includable nn_model.h) for a model and board')
    .option('--model <file>', 'model.json to generate from', 'model.json')
    .option('--board <id>', `board (${boardIds().join(', ')})`, 'uno')
    .option('--out <dir>', 'sketch folder (default generated/<model name>/)')
    .option('--json', 'print one JSON document', false)
    .action(
      action(async (o: { model: string; board: string; out?: string; json: boolean }) => {
        const { sketch, estimate } = await generateCommand(o);
        emit(o, { sketch, estimate }, () =>
          [
            `generated ${path.relative(process.cwd(), sketch.inoPath) || sketch.inoPath} for ${sketch.boardId} (model ${sketch.modelHash})`,
            ...sketch.files.map((f) => `  ${path.basename(f)}`),
            formatEstimate(estimate),
          ].join('\n'),
        );
      }),
    );
}
