// A trained weight of -0 (an input that is always 0, pulled by weight decay) must survive model.json: JSON writes -0 as 0.
import { describe, expect, it } from 'vitest';
import { finalizeModel, parseModel, serializeModel } from '../../host/model/model-file.js';

describe('negative zero in a model', () => {
  it('is stored as +0, so the hash survives serialise and parse', () => {
    const model = finalizeModel({
      format: 'deploy-nn/model',
      version: 1,
      name: 'negzero',
      task: 'regression',
      inputNames: ['a', 'b'],
      outputNames: ['y'],
      labels: [],
      threshold: -0,
      normalization: { method: 'none', offset: [-0, 0], scale: [1, 1] },
      layers: [{ inputs: 2, outputs: 1, activation: 'linear', weights: [[-0, 0.5]], biases: [-0] }],
      training: {},
      metrics: {},
    });
    expect(Object.is(model.layers[0]!.weights[0]![0], 0)).toBe(true);
    expect(parseModel(serializeModel(model)).hash).toBe(model.hash);
  });
});
