// The float32 forward pass: the board's twin (firmware-templates/runtime/nn_runtime.h), operation for operation.
import type { ModelFile } from '../core/model.js';
import { inputCount, outputCount } from '../core/model.js';
import { activateInPlace } from './activations.js';

const f = Math.fround;

/**
 * Raw (unnormalised) inputs in, outputs out, exactly as nn_predict() computes them:
 * normalise each input, then per neuron acc = bias; acc += w[i] * x[i] in index order, skipping x[i] = 0 (+0 or -0);
 * then the activation.
 */
export function forward(model: Pick<ModelFile, 'layers' | 'normalization'>, input: ArrayLike<number>): Float32Array {
  const n = inputCount(model);
  if (input.length !== n) throw new RangeError(`forward: expected ${n} inputs, got ${input.length}`);
  const { offset, scale } = model.normalization;
  let x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = f(f(f(input[i] as number) - (offset[i] as number)) * (scale[i] as number));
  for (const layer of model.layers) {
    const y = new Float32Array(layer.outputs);
    for (let o = 0; o < layer.outputs; o++) {
      const row = layer.weights[o] as readonly number[];
      let acc = f(layer.biases[o] as number);
      for (let i = 0; i < layer.inputs; i++) {
        const xi = x[i] as number;
        // A zero input adds nothing; nn_dense() skips it too (the exact shortcut that keeps the board's loop fast).
        if (xi === 0) continue;
        acc = f(acc + f((row[i] as number) * xi));
      }
      y[o] = acc;
    }
    activateInPlace(layer.activation, y);
    x = y;
  }
  if (x.length !== outputCount(model)) throw new Error('forward: internal size mismatch');
  return x;
}

/** Index of the largest output (first on ties), as nn_argmax(). */
export function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if ((v[i] as number) > (v[best] as number)) best = i;
  return best;
}

/** The predicted label (or value, for regression) of one output vector. */
export function predictLabel(model: Pick<ModelFile, 'task' | 'labels' | 'threshold'>, out: ArrayLike<number>): string {
  switch (model.task) {
    case 'classification':
      return model.labels[argmax(out)] ?? String(argmax(out));
    case 'binary':
      return ((out[0] as number) > model.threshold ? model.labels[1] : model.labels[0]) ?? '';
    case 'regression':
      return Array.from(out, (v) => String(v)).join(' ');
  }
}
