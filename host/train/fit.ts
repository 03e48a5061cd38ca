// The training loop: Dataset + TrainOptions -> a finalized model.json, its float32 evaluation, and the loss history.
import type { Dataset } from '../core/artifacts.js';
import { ACTIVATIONS, MODEL_FORMAT, MODEL_VERSION } from '../core/model.js';
import type { Activation, DenseLayer, ModelFile, Task } from '../core/model.js';
import { TrainingConfigError } from '../core/errors.js';
import { toolVersion } from '../core/paths.js';
import { finalizeModel } from '../model/model-file.js';
import { forward } from '../model/forward.js';
import { applyNormalization, fitNormalization, NORMALIZE_METHODS } from '../data/normalize.js';
import type { NormalizeMethod } from '../data/normalize.js';
import { splitDataset } from '../data/split.js';
import { evaluateModel } from './metrics.js';
import type { EvaluationReport } from './metrics.js';
import { KERNEL_ENGINES } from './kernels/reference.js';
import type { KernelEngine } from './kernels/reference.js';
import { INITS, LOSSES, Network } from './network.js';
import type { InitName, LossName } from './network.js';
import { createOptimizer, OPTIMIZERS } from './optimizers.js';
import type { OptimizerName } from './optimizers.js';
import { Rng } from './rng.js';

export interface TrainOptions {
  /** Hidden layer widths, e.g. [4] or [64, 32] (default [16]; [] = no hidden layer). */
  readonly hidden: readonly number[];
  /** Hidden activation (default relu). */
  readonly activation: Activation;
  /** Output activation (default: softmax for classification with cross-entropy, sigmoid for binary with cross-entropy or mse, linear for hinge and regression). */
  readonly outputActivation?: Activation;
  /** Loss (default: cross-entropy for classification and binary, mse for regression). */
  readonly loss?: LossName;
  /** Default adam. */
  readonly optimizer: OptimizerName;
  /** Learning rate (default 0.01 for adam, 0.1 for sgd and momentum). */
  readonly learningRate: number;
  /** Maximum passes over the training rows (default 200). */
  readonly epochs: number;
  /** Rows per gradient step (default 32; larger than the training part = full batch). */
  readonly batchSize: number;
  /** L2 weight decay: lambda * w added to each weight's gradient (default 0). */
  readonly l2: number;
  /** Input normalization learned on the training rows (default zscore). */
  readonly normalize: NormalizeMethod;
  /** Seed of every random choice: split, initial weights, shuffles (default 1). */
  readonly seed: number;
  /** Weight initialisation (default auto: He for relu, Xavier otherwise). */
  readonly init: InitName;
  /** Fraction of rows held out for the test evaluation (default 0.25; 0 = evaluate on the training rows). */
  readonly testFraction: number;
  /** Fraction of rows held out for early stopping (default 0, or 0.1 when `patience` is set). */
  readonly validationFraction: number;
  /** Stop when the stop metric reaches this fraction (0..1], measured on the validation rows if any, else the training rows. */
  readonly targetAccuracy?: number;
  /** accuracy: rows predicted right; closeness: 1 - mean |output - target| (the 3-4-1 tutorial's measure). Default accuracy. */
  readonly stopMetric: 'accuracy' | 'closeness';
  /** Early stopping: stop after this many epochs without a lower validation loss, keeping the best weights. */
  readonly patience?: number;
  /** Report progress (and check the target) every this many gradient steps instead of every epoch. */
  readonly progressEverySteps?: number;
  /** Kernels of the training network: wasm (SIMD) or js; both give the same model bytes (default wasm). */
  readonly engine?: KernelEngine;
}

export interface TrainProgress {
  readonly epoch: number;
  readonly epochs: number;
  /** Gradient steps so far. */
  readonly step: number;
  /** Mean training loss over the current epoch so far. */
  readonly loss: number;
  /** Stop metric (0..1) when measured (a target, a validation part, or progressEverySteps). */
  readonly accuracy?: number;
  readonly validationLoss?: number;
}

export interface TrainHistory {
  /** Mean training loss of each epoch. */
  readonly loss: number[];
  /** Validation loss of each epoch (empty without a validation part). */
  readonly validationLoss: number[];
  readonly epochs: number;
  readonly steps: number;
  readonly stopReason: 'epochs' | 'target' | 'early-stopping';
  /** The weights before the first step (model layout). */
  readonly initialLayers: DenseLayer[];
}

export interface TrainResult {
  readonly model: ModelFile;
  readonly evaluation: EvaluationReport;
  readonly history: TrainHistory;
}

export interface TrainHooks {
  onProgress?(p: TrainProgress): void;
  /** Call onProgress every this many epochs (default 1); the training-set metric is only measured for those calls. */
  readonly progressEveryEpochs?: number;
}

/** The baseline every data set starts from. */
export const BASE_TRAIN_OPTIONS: TrainOptions = {
  hidden: [16],
  activation: 'relu',
  optimizer: 'adam',
  learningRate: 0.01,
  epochs: 200,
  batchSize: 32,
  l2: 0,
  normalize: 'zscore',
  seed: 1,
  init: 'auto',
  testFraction: 0.25,
  validationFraction: 0,
  stopMetric: 'accuracy',
};

/**
 * Settings of the built-in data sets. demo: 3-4-1 sigmoid, MSE, until 99.99% closeness (the tutorial's target);
 * hinge6: 2-3-1 relu with a linear score and hinge loss, SGD one point at a time as in Karpathy's guide;
 * iris: 4-8-3; digits: 64-32-10 relu + softmax, Adam, batch 32, 200 epochs (the scikit-learn comparison).
 */
export function presetFor(datasetName: string): Partial<TrainOptions> {
  switch (datasetName) {
    case 'demo':
      return {
        hidden: [4], activation: 'sigmoid', outputActivation: 'sigmoid', loss: 'mse', optimizer: 'adam', learningRate: 0.05,
        epochs: 200_000, batchSize: 8, normalize: 'none', testFraction: 0, targetAccuracy: 0.9999, stopMetric: 'closeness',
      };
    case 'hinge6':
      return {
        hidden: [3], activation: 'relu', outputActivation: 'linear', loss: 'hinge', optimizer: 'sgd', learningRate: 0.01,
        epochs: 1000, batchSize: 1, normalize: 'none', testFraction: 0, l2: 0.001, targetAccuracy: 1, progressEverySteps: 25,
      };
    case 'iris':
      return { hidden: [8], activation: 'relu', optimizer: 'adam', learningRate: 0.01, epochs: 300, batchSize: 16, normalize: 'zscore' };
    case 'digits':
      return { hidden: [32], activation: 'relu', optimizer: 'adam', learningRate: 0.0025, epochs: 200, batchSize: 32, normalize: 'minmax', l2: 0.0001 };
    default:
      return {};
  }
}

/** Full options for a data set: the baseline, then its preset (by name). */
export function defaultTrainOptions(dataset: Pick<Dataset, 'name'>): TrainOptions {
  return { ...BASE_TRAIN_OPTIONS, ...presetFor(dataset.name) };
}

interface Resolved extends TrainOptions {
  readonly outputActivation: Activation;
  readonly loss: LossName;
}

function oneOf<T extends string>(what: string, v: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(v as T)) throw new TrainingConfigError(`unknown ${what} "${String(v)}"; allowed: ${allowed.join(', ')}`);
  return v as T;
}

function positiveInt(what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new TrainingConfigError(`${what} must be a whole number >= 1, got ${String(v)}`);
  return v;
}

/** Check options against the data set and fill the task-dependent defaults; every error names the bad value. */
export function resolveOptions(ds: Pick<Dataset, 'task' | 'classes' | 'targetName'>, o: TrainOptions): Resolved {
  const hiddenActs = ACTIVATIONS.filter((a) => a !== 'softmax');
  oneOf('activation', o.activation, hiddenActs);
  oneOf('optimizer', o.optimizer, OPTIMIZERS);
  oneOf('normalization', o.normalize, NORMALIZE_METHODS);
  oneOf('init', o.init, INITS);
  o.hidden.forEach((h, k) => {
    if (!Number.isInteger(h) || h < 1) throw new TrainingConfigError(`hidden layer ${k + 1} has width ${h}; each width must be a whole number >= 1`);
  });
  positiveInt('epochs', o.epochs);
  positiveInt('batch size', o.batchSize);
  if (!(o.learningRate > 0 && Number.isFinite(o.learningRate))) throw new TrainingConfigError(`learning rate must be a number > 0, got ${o.learningRate}`);
  if (!(o.l2 >= 0 && Number.isFinite(o.l2))) throw new TrainingConfigError(`l2 must be a number >= 0, got ${o.l2}`);
  if (!Number.isInteger(o.seed) || o.seed < 0 || o.seed > 0xffffffff) throw new TrainingConfigError(`seed must be a whole number from 0 to 4294967295, got ${o.seed}`);
  if (o.targetAccuracy !== undefined && !(o.targetAccuracy > 0 && o.targetAccuracy <= 1)) {
    throw new TrainingConfigError(`target accuracy must be in (0, 1] (a percentage in (0, 100] on the command line), got ${o.targetAccuracy}`);
  }
  if (o.patience !== undefined) positiveInt('patience', o.patience);
  if (o.progressEverySteps !== undefined) positiveInt('progressEverySteps', o.progressEverySteps);
  if (o.engine !== undefined) oneOf('engine', o.engine, KERNEL_ENGINES);
  oneOf('stop metric', o.stopMetric, ['accuracy', 'closeness'] as const);
  if (ds.task !== 'regression' && ds.classes.length < 2) {
    throw new TrainingConfigError(`label column "${ds.targetName}" has ${ds.classes.length} class${ds.classes.length === 1 ? ` ("${ds.classes[0]}")` : 'es'}; a classifier needs at least 2`);
  }
  const loss = oneOf('loss', o.loss ?? (ds.task === 'regression' ? 'mse' : 'cross-entropy'), LOSSES);
  if (ds.task === 'regression' && loss !== 'mse') throw new TrainingConfigError(`loss "${loss}" needs class labels; a regression target (column "${ds.targetName}") trains with: mse`);
  const defaultOut: Activation =
    loss === 'hinge' || ds.task === 'regression' ? 'linear' : ds.task === 'classification' && loss === 'cross-entropy' ? 'softmax' : 'sigmoid';
  const out = oneOf('output activation', o.outputActivation ?? defaultOut, ACTIVATIONS);
  if (out === 'softmax' && (loss !== 'cross-entropy' || ds.task !== 'classification')) {
    throw new TrainingConfigError(`output activation softmax needs --loss cross-entropy and 3 or more classes (got loss ${loss}, task ${ds.task})`);
  }
  if (loss === 'cross-entropy' && out !== 'softmax' && out !== 'sigmoid') {
    throw new TrainingConfigError(`loss cross-entropy needs a softmax or sigmoid output, got ${out}; allowed: softmax, sigmoid`);
  }
  const validationFraction = o.patience !== undefined && o.validationFraction === 0 ? 0.1 : o.validationFraction;
  return { ...o, loss, outputActivation: out, validationFraction };
}

function outputWidth(ds: Pick<Dataset, 'task' | 'classes'>): number {
  return ds.task === 'classification' ? ds.classes.length : 1;
}

/** Train a network on a data set. Deterministic: the same data, options and seed give the same model.json bytes. */
export function trainModel(dataset: Dataset, options: TrainOptions, hooks: TrainHooks = {}): TrainResult {
  const opts = resolveOptions(dataset, options);
  const rng = new Rng(opts.seed);
  const split = splitDataset(dataset, { testFraction: opts.testFraction, validationFraction: opts.validationFraction }, rng);
  const nIn = dataset.inputNames.length;
  const trainRows = split.train.map((i) => dataset.inputs[i] as readonly number[]);
  const norm = fitNormalization(trainRows, nIn, opts.normalize);
  const pack = (idx: readonly number[]) => {
    const x = new Float64Array(idx.length * nIn);
    idx.forEach((r, k) => applyNormalization(norm, dataset.inputs[r] as readonly number[], x, k * nIn));
    return { x, t: Float64Array.from(idx, (r) => dataset.targets[r] as number), n: idx.length };
  };
  const train = pack(split.train);
  const val = pack(split.validation);

  const sizes = [nIn, ...opts.hidden, outputWidth(dataset)];
  const acts: Activation[] = [...opts.hidden.map(() => opts.activation), opts.outputActivation];
  const batch = Math.min(opts.batchSize, train.n);
  const net = new Network(sizes, acts, opts.loss, { chunkRows: Math.min(batch, 64), engine: opts.engine, data: train.x });
  net.initialize(rng, opts.init);
  const initialLayers = net.toLayers();
  // Adam runs fused with the averaging and decay in the network's kernels; SGD and momentum here.
  const optimizer = opts.optimizer === 'adam' ? undefined : createOptimizer(opts.optimizer, net.params.length, opts.learningRate);

  const task = dataset.task;
  const order = new Uint32Array(train.n).map((_v, i) => i);
  const history: { loss: number[]; validationLoss: number[] } = { loss: [], validationLoss: [] };
  const a0 = net.a[0] as Float64Array;
  const grad = net.grad;
  const params = net.params;
  const mask = net.decayMask;
  const every = Math.max(1, Math.floor(hooks.progressEveryEpochs ?? 1));
  const reportAt = (epoch: number): boolean => hooks.onProgress !== undefined && (epoch % every === 0 || epoch === opts.epochs);
  let best = { loss: Infinity, params: new Float64Array(0), epoch: 0 };
  let stopReason: TrainHistory['stopReason'] = 'epochs';
  let step = 0;
  let epoch = 0;
  let stopped = false;

  const scoreSet = (set: { x: Float64Array; t: Float64Array; n: number }): { loss: number; metric: number } => {
    let loss = 0;
    let metric = 0;
    for (let r = 0; r < set.n; r++) {
      loadRow(a0, set.x, r * nIn, nIn);
      const y = net.forward();
      const t = set.t[r] as number;
      loss += net.outputLoss(t, task);
      metric += sampleMetric(y, t, task, opts);
    }
    return { loss: set.n ? loss / set.n : 0, metric: set.n ? metric / set.n : 0 };
  };
  const stopMetricNow = (): number => (val.n > 0 ? scoreSet(val).metric : scoreSet(train).metric);
  // The target must hold for what the board computes: confirm a float64 hit with the float32 twin forward pass.
  const targetRows = (val.n > 0 ? split.validation : split.train).map((i) => dataset.inputs[i] as readonly number[]);
  const targetTargets = (val.n > 0 ? split.validation : split.train).map((i) => dataset.targets[i] as number);
  const reached = (metric: number): boolean => {
    if (opts.targetAccuracy === undefined || metric < opts.targetAccuracy) return false;
    const m = { layers: net.toLayers().map(roundLayer), normalization: norm };
    let sum = 0;
    targetRows.forEach((x, r) => {
      sum += sampleMetric(Float64Array.from(forward(m, x)), targetTargets[r] as number, task, opts);
    });
    return sum / Math.max(1, targetRows.length) >= opts.targetAccuracy;
  };

  for (epoch = 1; epoch <= opts.epochs && !stopped; epoch++) {
    rng.shuffle(order);
    let epochLoss = 0;
    let seen = 0;
    for (let start = 0; start < train.n; start += batch) {
      const end = Math.min(start + batch, train.n);
      grad.fill(0);
      epochLoss += net.accumulateBatch(train, order, start, end, task);
      seen += end - start;
      if (optimizer === undefined) net.adamStep(opts.learningRate, end - start, opts.l2);
      else {
        const inv = 1 / (end - start);
        const l2 = opts.l2;
        for (let i = 0; i < grad.length; i++) grad[i] = (grad[i] as number) * inv + l2 * (params[i] as number) * (mask[i] as number);
        optimizer.step(params, grad);
      }
      step++;
      if (opts.progressEverySteps !== undefined && step % opts.progressEverySteps === 0) {
        const metric = stopMetricNow();
        hooks.onProgress?.({ epoch, epochs: opts.epochs, step, loss: epochLoss / seen, accuracy: metric });
        if (reached(metric)) {
          stopReason = 'target';
          stopped = true;
          break;
        }
      }
    }
    history.loss.push(epochLoss / seen);
    if (stopped) break;
    if (opts.progressEverySteps !== undefined || (opts.targetAccuracy === undefined && val.n === 0 && !reportAt(epoch))) continue;
    let validationLoss: number | undefined;
    let metric: number | undefined;
    if (val.n > 0) {
      const s = scoreSet(val);
      validationLoss = s.loss;
      metric = s.metric;
      history.validationLoss.push(s.loss);
    } else if (opts.targetAccuracy !== undefined || reportAt(epoch)) {
      metric = scoreSet(train).metric;
    }
    if (reportAt(epoch)) hooks.onProgress?.({ epoch, epochs: opts.epochs, step, loss: epochLoss / seen, accuracy: metric, validationLoss });
    if (metric !== undefined && reached(metric)) {
      stopReason = 'target';
      break;
    }
    if (opts.patience !== undefined && validationLoss !== undefined) {
      if (validationLoss < best.loss) best = { loss: validationLoss, params: params.slice(), epoch };
      else if (epoch - best.epoch >= opts.patience) {
        params.set(best.params);
        stopReason = 'early-stopping';
        break;
      }
    }
  }
  const epochsRun = Math.min(epoch, opts.epochs);

  const labels = task === 'regression' ? [] : [...dataset.classes];
  const outputNames = task === 'classification' ? dataset.classes.map((c) => `p_${c}`) : task === 'binary' ? ['score'] : [dataset.targetName];
  const threshold = task === 'binary' ? (opts.outputActivation === 'sigmoid' ? 0.5 : 0) : 0;
  const training = {
    // Which deploy-nn trained it (package.json's version, as in the generated sketch's header); not in the hash.
    deployNn: toolVersion(),
    dataset: dataset.name,
    targetColumn: dataset.targetName,
    hidden: [...opts.hidden],
    activation: opts.activation,
    outputActivation: opts.outputActivation,
    loss: opts.loss,
    optimizer: opts.optimizer,
    learningRate: opts.learningRate,
    epochs: opts.epochs,
    epochsRun,
    steps: step,
    stopReason,
    batchSize: opts.batchSize,
    l2: opts.l2,
    normalize: opts.normalize,
    init: opts.init,
    seed: opts.seed,
    targetAccuracy: opts.targetAccuracy ?? null,
    stopMetric: opts.stopMetric,
    patience: opts.patience ?? null,
    split: { train: split.train.length, validation: split.validation.length, test: split.test.length, stratified: task !== 'regression' },
    finalTrainingLoss: history.loss[history.loss.length - 1] ?? null,
  };
  const unrounded = {
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    name: dataset.name,
    task,
    inputNames: [...dataset.inputNames],
    outputNames,
    labels,
    threshold,
    normalization: norm,
    layers: net.toLayers(),
    training,
    metrics: {},
  } satisfies Omit<ModelFile, 'hash'>;
  const evalIdx = split.test.length > 0 ? split.test : split.train;
  const evaluation = evaluateModel(
    finalizeModel(unrounded),
    evalIdx.map((i) => dataset.inputs[i] as readonly number[]),
    evalIdx.map((i) => dataset.targets[i] as number),
    split.test.length > 0 ? 'test' : 'train',
  );
  const model = finalizeModel({ ...unrounded, metrics: { ...evaluation } as Record<string, unknown> });
  return { model, evaluation, history: { ...history, epochs: epochsRun, steps: step, stopReason, initialLayers } };
}

function roundLayer(l: DenseLayer): DenseLayer {
  return { ...l, weights: l.weights.map((r) => r.map(Math.fround)), biases: l.biases.map(Math.fround) };
}

function loadRow(dst: Float64Array, src: Float64Array, off: number, n: number): void {
  for (let i = 0; i < n; i++) dst[i] = src[off + i] as number;
}

/** Per-sample stop metric on the float64 network's output: 1/0 for a right/wrong prediction, or closeness. */
function sampleMetric(y: Float64Array, t: number, task: Task, opts: Resolved): number {
  if (task === 'regression') return 0;
  if (opts.stopMetric === 'closeness') {
    if (task === 'binary') {
      const lo = opts.outputActivation === 'sigmoid' ? 0 : -1;
      return 1 - Math.abs((y[0] as number) - (t === 1 ? 1 : lo));
    }
    let s = 0;
    for (let o = 0; o < y.length; o++) s += Math.abs((y[o] as number) - (o === t ? 1 : 0));
    return 1 - s / y.length;
  }
  if (task === 'binary') {
    const thr = opts.outputActivation === 'sigmoid' ? 0.5 : 0;
    return ((y[0] as number) > thr ? 1 : 0) === t ? 1 : 0;
  }
  let best = 0;
  for (let o = 1; o < y.length; o++) if ((y[o] as number) > (y[best] as number)) best = o;
  return best === t ? 1 : 0;
}
