// Small models and rows for the bridge unit tests, built from a seeded generator (no training needed).
import { getBoard } from '../../host/core/boards.js';
import type { Activation, ModelFile, Task } from '../../host/core/model.js';
import { finalizeModel } from '../../host/model/model-file.js';
import type { RowInput } from '../../host/bridge/session.js';
import { seededRandom as rng } from '../fixtures/models/models.js';

export const uno = getBoard('uno');

/** A dense classifier sizes[0] -> ... -> sizes[k] (tanh hidden, softmax out), random weights from `seed`. */
export function makeModel(sizes: readonly number[] = [4, 6, 3], seed = 1, task: Task = 'classification'): ModelFile {
  const r = rng(seed);
  const layers = sizes.slice(1).map((outputs, k) => {
    const inputs = sizes[k] as number;
    const last = k === sizes.length - 2;
    const activation: Activation = last ? (task === 'classification' ? 'softmax' : 'linear') : 'tanh';
    return {
      inputs,
      outputs,
      activation,
      weights: Array.from({ length: outputs }, () => Array.from({ length: inputs }, () => r() * 2 - 1)),
      biases: Array.from({ length: outputs }, () => r() - 0.5),
    };
  });
  const nIn = sizes[0] as number;
  const nOut = sizes[sizes.length - 1] as number;
  return finalizeModel({
    format: 'deploy-nn/model',
    version: 1,
    name: `test ${sizes.join('-')}`,
    task,
    inputNames: Array.from({ length: nIn }, (_, i) => `x${i}`),
    outputNames: Array.from({ length: nOut }, (_, i) => `y${i}`),
    labels: task === 'classification' ? Array.from({ length: nOut }, (_, i) => `class${i}`) : [],
    threshold: 0,
    normalization: { method: 'zscore', offset: Array(nIn).fill(0.25), scale: Array(nIn).fill(1.5) },
    layers,
    training: {},
    metrics: {},
  });
}

/** `count` rows of raw inputs in [-3, 3), labelled with a class name chosen at random. */
export function makeRows(model: ModelFile, count: number, seed = 2): RowInput[] {
  const r = rng(seed);
  const nIn = model.layers[0]!.inputs;
  return Array.from({ length: count }, () => ({
    inputs: Array.from({ length: nIn }, () => Math.fround(r() * 6 - 3)),
    label: model.labels.length ? model.labels[Math.floor(r() * model.labels.length)] : undefined,
  }));
}
