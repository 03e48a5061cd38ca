// Hostile but legal models: outputs in the subnormal range, outputs that are NaN.
import type { ModelFile } from '../../host/core/model.js';
import { finalizeModel } from '../../host/model/model-file.js';

function linearModel(name: string, weights: number[][], biases: number[], activation: 'softmax' | 'linear', labels: string[]): ModelFile {
  const nIn = weights[0]!.length;
  const nOut = weights.length;
  return finalizeModel({
    format: 'deploy-nn/model',
    version: 1,
    name,
    task: 'classification',
    inputNames: Array.from({ length: nIn }, (_, i) => `x${i}`),
    outputNames: Array.from({ length: nOut }, (_, i) => `y${i}`),
    labels,
    threshold: 0,
    normalization: { method: 'none', offset: new Array<number>(nIn).fill(0), scale: new Array<number>(nIn).fill(1) },
    layers: [{ inputs: nIn, outputs: nOut, activation, weights, biases }],
    training: { note: 'hostile fixture', targetColumn: 'y' },
    metrics: {},
  });
}

/**
 * Softmax over 10 outputs: nine equal logits (the sum is about 9) and y9 = x0 - 87 + x1, so e^(y9 - max) sits just above
 * 2^-126 and the last quotient is subnormal.
 */
export function subnormalSoftmaxModel(): ModelFile {
  const weights = Array.from({ length: 10 }, (_, o) => (o === 9 ? [1, 1] : [0, 0]));
  const biases = Array.from({ length: 10 }, (_, o) => (o === 9 ? -87 : 0));
  return linearModel('subnormal softmax', weights, biases, 'softmax', Array.from({ length: 10 }, (_, o) => `c${o}`));
}

/** Rows that put y9 - max across [-87, -85]: every subnormal quotient and a few normal ones. */
export function subnormalRows(count: number): number[][] {
  return Array.from({ length: count }, (_, r) => [Math.fround((2 * r) / count), Math.fround(((r * 7919) % 1000) / 1e6)]);
}

/** A linear classifier whose first output overflows: (1, 2) gives +inf - inf = NaN, (2, 0.5) gives +inf, (0, 0) 3e38. */
export function nanModel(): ModelFile {
  return linearModel('nan maker', [[3e38, -3e38], [1, 0]], [3e38, 0], 'linear', ['setosa', 'other']);
}
