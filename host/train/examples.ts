// The three seed networks as library calls: hinge (Karpathy's six points), bits (3-4-1 sigmoid), digits (64-32-10).
import { builtinDataset } from '../data/builtin.js';
import type { DenseLayer } from '../core/model.js';
import { forward } from '../model/forward.js';
import { defaultTrainOptions, trainModel } from './fit.js';
import type { TrainProgress, TrainResult } from './fit.js';

export const EXAMPLES = ['hinge', 'bits', 'digits'] as const;
export type ExampleName = (typeof EXAMPLES)[number];

/** The data set behind each example. */
export const EXAMPLE_DATASET: Record<ExampleName, string> = { hinge: 'hinge6', bits: 'demo', digits: 'digits' };

export interface CaseResult {
  readonly inputs: readonly number[];
  /** Target value the output is trained towards (0/1 for bits, -1/+1 for hinge). */
  readonly expected: number;
  /** The float32 output (what the board computes). */
  readonly output: number;
  readonly difference: number;
}

export interface ExampleResult {
  readonly name: ExampleName;
  readonly result: TrainResult;
  readonly seconds: number;
  /** Progress checkpoints: hinge every 25 iterations; bits at powers of two and the last epoch; digits every 20 epochs. */
  readonly progress: readonly TrainProgress[];
  readonly initialLayers: readonly DenseLayer[];
  /** bits and hinge: every training case with its output. */
  readonly cases: readonly CaseResult[];
  /** The headline figure: hinge and digits accuracy, bits closeness 1 - mean |error| (0..1). */
  readonly score: number;
  readonly target: number;
  readonly reached: boolean;
}

/** Run one seed network with its preset (fixed seed). `onProgress` sees the checkpoints as they happen. */
export function runExample(name: ExampleName, opts: { seed?: number; onProgress?: (p: TrainProgress) => void } = {}): ExampleResult {
  const ds = builtinDataset(EXAMPLE_DATASET[name]);
  const options = { ...defaultTrainOptions(ds), ...(opts.seed === undefined ? {} : { seed: opts.seed }) };
  const progress: TrainProgress[] = [];
  const keep = (p: TrainProgress): boolean => {
    if (name === 'hinge') return true;
    if (name === 'digits') return p.epoch % 20 === 0;
    return (p.epoch & (p.epoch - 1)) === 0;
  };
  const t0 = performance.now();
  const result = trainModel(ds, options, {
    ...(name === 'digits' ? { progressEveryEpochs: 20 } : {}),
    onProgress: (p) => {
      if (!keep(p)) return;
      progress.push(p);
      opts.onProgress?.(p);
    },
  });
  const seconds = (performance.now() - t0) / 1000;
  const model = result.model;
  const last = progress[progress.length - 1];
  const h = result.history;
  if (name !== 'hinge' && (last === undefined || last.epoch !== h.epochs)) {
    // Always show where training ended (the epoch that reached the target), measured like the others.
    const final = { epoch: h.epochs, epochs: options.epochs, step: h.steps, loss: h.loss[h.loss.length - 1] ?? 0, accuracy: name === 'bits' ? 1 - (result.evaluation.meanAbsError ?? 1) : (result.evaluation.accuracy ?? 0) };
    progress.push(final);
    opts.onProgress?.(final);
  }
  const lo = name === 'bits' ? 0 : -1;
  const cases =
    name === 'digits'
      ? []
      : ds.inputs.map((x, r) => {
          const out = forward(model, x)[0] as number;
          const expected = ds.targets[r] === 1 ? 1 : lo;
          return { inputs: x, expected, output: out, difference: out - expected };
        });
  const score = name === 'bits' ? 1 - (result.evaluation.meanAbsError ?? 1) : (result.evaluation.accuracy ?? 0);
  const target = name === 'digits' ? 0.95 : (options.targetAccuracy ?? 1);
  return { name, result, seconds, progress, initialLayers: result.history.initialLayers, cases, score, target, reached: score >= target };
}
