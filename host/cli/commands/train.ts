// `deploy-nn train`: a CSV or built-in data set in, a trained and evaluated model.json out.
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { Dataset } from '../../core/artifacts.js';
import { UsageError } from '../../core/errors.js';
import type { Activation, Task } from '../../core/model.js';
import { readCsvFile } from '../../data/csv.js';
import { builtinDataset } from '../../data/builtin.js';
import type { NormalizeMethod } from '../../data/normalize.js';
import { defaultTrainOptions, trainModel } from '../../train/fit.js';
import type { TrainOptions, TrainProgress, TrainResult } from '../../train/fit.js';
import { formatConfusion, formatPerClass } from '../../train/metrics.js';
import type { LossName } from '../../train/network.js';
import type { OptimizerName } from '../../train/optimizers.js';
import { serializeModel } from '../../model/model-file.js';
import { emit } from '../output.js';
import type { OutputOptions } from '../output.js';
import { action } from '../run.js';

/** The command's options as commander hands them over (strings), before validation. */
interface RawTrainOptions {
  data?: string;
  dataset?: string;
  label?: string;
  task?: string;
  hidden?: string;
  activation?: string;
  outputActivation?: string;
  loss?: string;
  optimizer?: string;
  lr?: string;
  epochs?: string;
  batch?: string;
  l2?: string;
  normalize?: string;
  seed?: string;
  targetAccuracy?: string;
  patience?: string;
  testFraction?: string;
  init?: string;
  json?: boolean;
  out: string;
}

export interface TrainCommandOptions extends OutputOptions {
  /** Where the data comes from: a CSV file or a built-in data set. */
  readonly source: { readonly kind: 'file'; readonly path: string; readonly label?: string; readonly task?: Task } | { readonly kind: 'builtin'; readonly name: string };
  /** Overrides of the data set's default training options. */
  readonly overrides: Partial<TrainOptions>;
  /** model.json path (default model.json). */
  readonly out: string;
}

function num(flag: string, v: string | undefined, kind: 'int' | 'number'): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x) || (kind === 'int' && !Number.isInteger(x))) {
    throw new UsageError(`${flag} ${JSON.stringify(v)} is not ${kind === 'int' ? 'a whole number' : 'a number'}`);
  }
  return x;
}

function hiddenList(v: string | undefined): number[] | undefined {
  if (v === undefined) return undefined;
  if (v === 'none' || v === '') return [];
  return v.split(',').map((s) => {
    const n = Number(s.trim());
    if (!Number.isInteger(n)) throw new UsageError(`--hidden ${JSON.stringify(v)}: "${s}" is not a whole number`, 'give widths separated by commas, e.g. --hidden 64,32 (or none)');
    return n;
  });
}

const TASKS: readonly Task[] = ['classification', 'binary', 'regression'];

/** Validate commander's strings into typed options; the library checks ranges and names (errors list what is allowed). */
export function parseTrainOptions(raw: RawTrainOptions): TrainCommandOptions {
  if ((raw.data === undefined) === (raw.dataset === undefined)) {
    throw new UsageError('give exactly one of --data FILE.csv or --dataset NAME', 'built-in data sets: demo, hinge6, iris, digits');
  }
  if (raw.task !== undefined && !TASKS.includes(raw.task as Task)) throw new UsageError(`unknown --task "${raw.task}"`, `choose one of: ${TASKS.join(', ')}`);
  if (raw.dataset !== undefined && (raw.label !== undefined || raw.task !== undefined)) throw new UsageError('--label and --task apply to --data files only');
  let targetAccuracy: number | undefined;
  if (raw.targetAccuracy !== undefined) {
    const p = num('--target-accuracy', raw.targetAccuracy.replace(/%$/, ''), 'number') as number;
    if (!(p > 0 && p <= 100)) throw new UsageError(`--target-accuracy ${raw.targetAccuracy} is out of range`, 'give a percentage greater than 0 and at most 100, e.g. 99.5');
    targetAccuracy = p / 100;
  }
  const o: Record<string, unknown> = {
    hidden: hiddenList(raw.hidden),
    activation: raw.activation as Activation | undefined,
    outputActivation: raw.outputActivation as Activation | undefined,
    loss: raw.loss as LossName | undefined,
    optimizer: raw.optimizer as OptimizerName | undefined,
    learningRate: num('--lr', raw.lr, 'number'),
    epochs: num('--epochs', raw.epochs, 'int'),
    batchSize: num('--batch', raw.batch, 'int'),
    l2: num('--l2', raw.l2, 'number'),
    normalize: raw.normalize as NormalizeMethod | undefined,
    seed: num('--seed', raw.seed, 'int'),
    targetAccuracy,
    patience: num('--patience', raw.patience, 'int'),
    testFraction: num('--test-fraction', raw.testFraction, 'number'),
    init: raw.init,
  };
  const overrides = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<TrainOptions>;
  const source: TrainCommandOptions['source'] =
    raw.data !== undefined
      ? { kind: 'file', path: raw.data, ...(raw.label === undefined ? {} : { label: raw.label }), ...(raw.task === undefined ? {} : { task: raw.task as Task }) }
      : { kind: 'builtin', name: raw.dataset as string };
  return { json: raw.json === true, source, overrides, out: raw.out };
}

/** The data set named by the options (file name without extension becomes the data set name). */
export async function loadDataset(source: TrainCommandOptions['source']): Promise<Dataset> {
  if (source.kind === 'builtin') return builtinDataset(source.name);
  const name = source.path.replace(/^.*[\\/]/, '').replace(/\.[^.]*$/, '') || 'model';
  return readCsvFile(source.path, { name, ...(source.label === undefined ? {} : { label: source.label }), ...(source.task === undefined ? {} : { task: source.task }) });
}

/** A one-line progress bar on stderr, redrawn in place (only used when stderr is a terminal). */
export function progressBar(): { update(p: TrainProgress): void; done(): void } {
  let last = 0;
  return {
    update(p) {
      const now = Date.now();
      if (now - last < 100 && p.epoch < p.epochs) return;
      last = now;
      const width = 30;
      const filled = Math.round((p.epoch / p.epochs) * width);
      const acc = p.accuracy === undefined ? '' : `  acc ${(100 * p.accuracy).toFixed(2)}%`;
      const val = p.validationLoss === undefined ? '' : `  val ${p.validationLoss.toFixed(4)}`;
      process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] epoch ${p.epoch}/${p.epochs}  loss ${p.loss.toFixed(4)}${val}${acc}\x1b[K`);
    },
    done() {
      process.stderr.write('\n');
    },
  };
}

/** Text summary of a training run: split, stop, evaluation with per-class table and confusion matrix. */
export function formatTrainResult(r: TrainResult, seconds: number, out?: string): string {
  const m = r.model;
  const t = m.training as { split?: { train: number; validation: number; test: number } };
  const sizes = [m.layers[0]?.inputs ?? 0, ...m.layers.map((l) => l.outputs)].join('-');
  const lines = [
    `model ${m.name}: ${sizes} (${m.layers.map((l) => l.activation).join(', ')}), task ${m.task}`,
    `rows: ${t.split?.train ?? '?'} train, ${t.split?.validation ?? 0} validation, ${t.split?.test ?? 0} test`,
    `trained ${r.history.epochs} epochs (${r.history.steps} steps) in ${seconds.toFixed(2)} s, stopped by ${r.history.stopReason}`,
  ];
  const e = r.evaluation;
  const on = e.split === 'test' ? `${e.rows} test rows` : `the ${e.rows} training rows (no test part)`;
  if (e.accuracy !== undefined) {
    lines.push(`accuracy on ${on} (float32, as the board computes): ${(100 * e.accuracy).toFixed(2)}%`, '', formatPerClass(e), '', formatConfusion(e, m.labels));
  }
  if (e.mse !== undefined && m.task === 'regression') lines.push(`MSE on ${on} (float32): ${e.mse.toPrecision(6)}`);
  if (out) lines.push('', `wrote ${out} (hash ${m.hash})`);
  return lines.join('\n');
}

export async function runTrain(opts: TrainCommandOptions): Promise<void> {
  const dataset = await loadDataset(opts.source);
  const options: TrainOptions = { ...defaultTrainOptions(dataset), ...opts.overrides };
  const bar = !opts.json && process.stderr.isTTY ? progressBar() : undefined;
  const t0 = performance.now();
  let result: TrainResult;
  try {
    result = trainModel(dataset, options, bar ? { onProgress: (p) => bar.update(p) } : {});
  } finally {
    bar?.done();
  }
  const seconds = (performance.now() - t0) / 1000;
  try {
    await writeFile(opts.out, serializeModel(result.model));
  } catch (err) {
    throw new UsageError(`cannot write ${opts.out}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'check the --out path');
  }
  emit(
    opts,
    { out: opts.out, hash: result.model.hash, seconds, history: { epochs: result.history.epochs, steps: result.history.steps, stopReason: result.history.stopReason }, training: result.model.training, evaluation: result.evaluation },
    () => formatTrainResult(result, seconds, opts.out),
  );
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train a network on a CSV file or a built-in data set and write model.json')
    .option('--data <file>', 'CSV with a header row; the label column is the last unless --label')
    .option('--dataset <name>', 'built-in data set: demo, hinge6, iris, digits')
    .option('--label <column>', 'label (target) column name (default: the last column)')
    .option('--task <task>', 'classification, binary or regression (default: inferred from the label column)')
    .option('--hidden <widths>', 'hidden layer widths, e.g. 4 or 64,32 (none: no hidden layer)')
    .option('--activation <name>', 'hidden activation: sigmoid, tanh, relu, linear')
    .option('--output-activation <name>', 'output activation: softmax, sigmoid, tanh, linear, relu')
    .option('--loss <name>', 'mse, cross-entropy or hinge')
    .option('--optimizer <name>', 'sgd, momentum or adam')
    .option('--lr <rate>', 'learning rate')
    .option('--epochs <n>', 'maximum passes over the training rows')
    .option('--batch <n>', 'rows per gradient step')
    .option('--l2 <lambda>', 'L2 weight decay')
    .option('--normalize <method>', 'zscore, minmax or none (learned on the training rows, applied on the board)')
    .option('--seed <n>', 'random seed (same seed, same model.json bytes)')
    .option('--target-accuracy <percent>', 'stop once this accuracy (%) is reached')
    .option('--patience <epochs>', 'early stopping: epochs without a better validation loss')
    .option('--test-fraction <f>', 'fraction of rows held out for the test (default 0.25)')
    .option('--init <name>', 'weight initialisation: auto (He for relu, Xavier otherwise), xavier, he')
    .option('--json', 'print one JSON document on stdout', false)
    .option('--out <file>', 'model.json to write', 'model.json')
    .action(action(async (raw: RawTrainOptions) => runTrain(parseTrainOptions(raw))));
}
