// The model artefact (model.json, schema version 1): the one typed value handed from training to generation and verification.

export const ACTIVATIONS = ['linear', 'sigmoid', 'tanh', 'relu', 'softmax'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

export const MODEL_FORMAT = 'deploy-nn/model';
export const MODEL_VERSION = 1;

/** One fully connected layer. `weights[o][i]` connects input i to output o (one row per neuron). */
export interface DenseLayer {
  readonly inputs: number;
  readonly outputs: number;
  readonly activation: Activation;
  readonly weights: readonly (readonly number[])[];
  readonly biases: readonly number[];
}

/**
 * Input scaling applied on the board before the first layer, in float32:
 * x' = fround(fround(x - offset[i]) * scale[i]). `none` stores offset 0 and scale 1.
 */
export interface Normalization {
  readonly method: 'none' | 'zscore' | 'minmax';
  readonly offset: readonly number[];
  readonly scale: readonly number[];
}

/**
 * classification: one output per class (softmax or one-vs-all), prediction = argmax, labels[k] names output k.
 * binary: one output, prediction = labels[1] when output > threshold else labels[0].
 * regression: outputs are values; labels is empty.
 */
export type Task = 'classification' | 'binary' | 'regression';

export interface ModelFile {
  readonly format: typeof MODEL_FORMAT;
  readonly version: typeof MODEL_VERSION;
  /** Human name; also the sketch folder name after sanitising. */
  readonly name: string;
  readonly task: Task;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly labels: readonly string[];
  /** Decision threshold for `binary` (0.5 for sigmoid, 0 for linear/tanh); 0 otherwise. */
  readonly threshold: number;
  readonly normalization: Normalization;
  readonly layers: readonly DenseLayer[];
  /** Settings used to train (seed, loss, optimizer...), for the record only. */
  readonly training: Readonly<Record<string, unknown>>;
  /** Metrics measured after training, for the record only. */
  readonly metrics: Readonly<Record<string, unknown>>;
  /** First 16 hex digits of the SHA-256 of the model's canonical content (see host/model/hash.ts). */
  readonly hash: string;
}

/** A model before its hash is computed. */
export type UnhashedModel = Omit<ModelFile, 'hash'>;

export function inputCount(model: Pick<ModelFile, 'layers'>): number {
  return model.layers[0]?.inputs ?? 0;
}

export function outputCount(model: Pick<ModelFile, 'layers'>): number {
  return model.layers[model.layers.length - 1]?.outputs ?? 0;
}
