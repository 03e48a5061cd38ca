// The real chain for end-to-end bridge tests and the bench: train a built-in data set, generate, build with avr-gcc.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { getBoard } from '../../host/core/boards.js';
import type { BoardProfile } from '../../host/core/boards.js';
import type { ModelFile } from '../../host/core/model.js';
import type { Dataset } from '../../host/core/artifacts.js';
import { builtinDataset } from '../../host/data/builtin.js';
import { splitDataset } from '../../host/data/split.js';
import { defaultTrainOptions, resolveOptions, trainModel } from '../../host/train/fit.js';
import type { EvaluationReport } from '../../host/train/metrics.js';
import { Rng } from '../../host/train/rng.js';
import { generateSketch } from '../../host/codegen/generate.js';
import { buildSketch } from '../../host/build/build.js';
import type { RowInput } from '../../host/bridge/session.js';

export interface Chain {
  readonly dataset: Dataset;
  readonly model: ModelFile;
  readonly evaluation: EvaluationReport;
  readonly hexPath: string;
  readonly board: BoardProfile;
  /** Every row of the data set, labelled. */
  readonly allRows: RowInput[];
  /** The held-out test rows of the training split (the rows `evaluation` was measured on). */
  readonly heldOut: RowInput[];
  /** The temp folder holding the sketch and its build: remove it when done. */
  readonly dir: string;
}

/** Train `name` with its preset, generate and build the sketch into a fresh temp folder. */
export async function buildChain(name: string, boardId = 'uno'): Promise<Chain> {
  const board = getBoard(boardId);
  const dataset = builtinDataset(name);
  const options = defaultTrainOptions(dataset);
  const trained = trainModel(dataset, options);
  // The same split trainModel made: it is the first use of a fresh Rng seeded with the options' seed.
  const resolved = resolveOptions(dataset, options);
  const split = splitDataset(dataset, { testFraction: resolved.testFraction, validationFraction: resolved.validationFraction }, new Rng(resolved.seed));
  const row = (i: number): RowInput => ({ inputs: dataset.inputs[i] as number[], label: dataset.classes[dataset.targets[i] as number] });
  const dir = mkdtempSync(path.join(tmpdir(), `bridge-${name}-`));
  const sketch = await generateSketch(trained.model, board, { outDir: path.join(dir, `nn_${name}`) });
  const build = await buildSketch(sketch, board, { toolchain: 'builtin' });
  return {
    dataset,
    model: trained.model,
    evaluation: trained.evaluation,
    hexPath: build.hexPath,
    board,
    allRows: dataset.inputs.map((_x, i) => row(i)),
    heldOut: split.test.map(row),
    dir,
  };
}
