// The model hash: what the board reports in its ready line, so a stale upload or the wrong board shows at once.
import { createHash } from 'node:crypto';
import type { UnhashedModel } from '../core/model.js';
import { f32ToHex } from '../core/f32.js';

/**
 * SHA-256 over the parts that change what the board computes or prints (shapes, activations, float32 bits of every
 * weight, bias and normalization constant, task, threshold, names and labels), first 16 hex digits.
 * Training settings, metrics and the model name do not enter it.
 */
export function modelHash(model: UnhashedModel): string {
  const canonical = {
    format: model.format,
    version: model.version,
    task: model.task,
    threshold: f32ToHex(model.threshold),
    inputNames: model.inputNames,
    outputNames: model.outputNames,
    labels: model.labels,
    normalization: {
      method: model.normalization.method,
      offset: model.normalization.offset.map(f32ToHex),
      scale: model.normalization.scale.map(f32ToHex),
    },
    layers: model.layers.map((l) => ({
      inputs: l.inputs,
      outputs: l.outputs,
      activation: l.activation,
      weights: l.weights.map((row) => row.map(f32ToHex).join('')),
      biases: l.biases.map(f32ToHex).join(''),
    })),
  };
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex').slice(0, 16);
}
