import { describe, expect, it } from 'vitest';
import { finalizeModel, parseModel, serializeModel } from '../../host/model/model-file.js';
import { modelHash } from '../../host/model/hash.js';
import { forward } from '../../host/model/forward.js';
import { ModelValidationError } from '../../host/core/errors.js';
import type { ModelFile, UnhashedModel } from '../../host/core/model.js';

function tinyModel(): UnhashedModel {
  return {
    format: 'deploy-nn/model',
    version: 1,
    name: 'tiny',
    task: 'classification',
    inputNames: ['a', 'b'],
    outputNames: ['p_x', 'p_y'],
    labels: ['x', 'y'],
    threshold: 0,
    normalization: { method: 'zscore', offset: [0.5, -1], scale: [2, 0.25] },
    layers: [
      { inputs: 2, outputs: 3, activation: 'tanh', weights: [[0.1, -0.2], [0.3, 0.4], [-0.5, 0.6]], biases: [0, 0.1, -0.1] },
      { inputs: 3, outputs: 2, activation: 'softmax', weights: [[1, -1, 0.5], [-0.5, 0.25, 1e-7]], biases: [0.01, -0.01] },
    ],
    training: { seed: 1 },
    metrics: {},
  };
}

/** Parse `mutate(json)` and return the ModelValidationError's field. */
function refusal(mutate: (m: Record<string, any>) => void): string {
  const m = JSON.parse(serializeModel(finalizeModel(tinyModel())));
  mutate(m);
  try {
    parseModel(JSON.stringify(m));
  } catch (err) {
    expect(err).toBeInstanceOf(ModelValidationError);
    const e = err as ModelValidationError;
    expect(e.message.startsWith(`model.json: ${e.field}: `)).toBe(true);
    return e.message;
  }
  throw new Error('the model was accepted');
}

describe('model.json', () => {
  it('round-trips: serialise, parse, same hash and same float32 outputs', () => {
    const model = finalizeModel(tinyModel());
    const back = parseModel(serializeModel(model));
    expect(back).toEqual(model);
    expect(modelHash(back)).toBe(model.hash);
    expect(Array.from(forward(back, [1, 2]))).toEqual(Array.from(forward(model, [1, 2])));
  });

  it('rounds weights to float32 and keeps tiny ones exactly', () => {
    const model = finalizeModel(tinyModel());
    const w = model.layers[1]!.weights[1]![2]!;
    expect(w).toBe(Math.fround(1e-7));
    expect(w).not.toBe(0);
  });

  it('hashes content, not training records', () => {
    const a = finalizeModel(tinyModel());
    const b = finalizeModel({ ...tinyModel(), training: { seed: 2 }, metrics: { accuracy: 1 } });
    expect(b.hash).toBe(a.hash);
    const c = tinyModel();
    const w = c.layers[0]!.weights as number[][];
    w[0]![0] = Math.fround(0.1) + 2 ** -26; // one ulp away
    expect(finalizeModel(c).hash).not.toBe(a.hash);
  });

  it('serialises deterministically', () => {
    expect(serializeModel(finalizeModel(tinyModel()))).toBe(serializeModel(finalizeModel(tinyModel())));
  });

  // Broken model files, each refused with the field named.
  const cases: [string, (m: Record<string, any>) => void, RegExp][] = [
    ['an unknown format', (m) => (m.format = 'keras'), /^model\.json: format: .*"keras"/],
    ['an unknown version', (m) => (m.version = 7), /^model\.json: version: .*unknown version 7/],
    ['a missing name', (m) => delete m.name, /^model\.json: name: expected a non-empty string, got undefined/],
    ['an unknown task', (m) => (m.task = 'ranking'), /^model\.json: task: .*"ranking".*classification, binary, regression/],
    ['no layers', (m) => (m.layers = []), /^model\.json: layers: expected at least one layer/],
    ['shapes that disagree', (m) => (m.layers[1].inputs = 4), /^model\.json: layers\[1\]\.inputs: .*4.*previous layer has 3/],
    ['a short weight row', (m) => m.layers[0].weights[2].pop(), /^model\.json: layers\[0\]\.weights\[2\]: expected 2 numbers, got 1/],
    ['a missing weight row', (m) => m.layers[1].weights.pop(), /^model\.json: layers\[1\]\.weights: .*2 rows.*got 1/],
    ['a NaN weight (written as null by JSON)', (m) => (m.layers[0].weights[1][0] = null), /^model\.json: layers\[0\]\.weights\[1\]\[0\]: .*got null/],
    ['a string weight', (m) => (m.layers[1].biases[0] = 'NaN'), /^model\.json: layers\[1\]\.biases\[0\]: .*"NaN"/],
    ['a weight that is not float32', (m) => (m.layers[0].weights[0][0] = 0.1), /^model\.json: layers\[0\]\.weights\[0\]\[0\]: 0\.1 is not an exact float32/],
    ['an unknown activation', (m) => (m.layers[0].activation = 'gelu'), /^model\.json: layers\[0\]\.activation: .*"gelu".*linear, sigmoid, tanh, relu, softmax/],
    ['softmax on a hidden layer', (m) => (m.layers[0].activation = 'softmax'), /^model\.json: layers\[0\]\.activation: softmax is only allowed on the output layer/],
    ['labels that do not match the outputs', (m) => m.labels.push('z'), /^model\.json: labels: .*one label per output \(2\), got 3/],
    ['a normalization of the wrong length', (m) => m.normalization.scale.pop(), /^model\.json: normalization\.scale: expected 2 numbers, got 1/],
    ['an unknown normalization', (m) => (m.normalization.method = 'robust'), /^model\.json: normalization\.method: unknown method "robust"; allowed: none, zscore, minmax/],
    ['a hash that does not match the weights', (m) => (m.layers[1].biases[1] = 0.5), /^model\.json: hash: .*the file was changed after training/],
    ['a malformed hash', (m) => (m.hash = 'xyz'), /^model\.json: hash: expected 16 lowercase hex digits/],
  ];
  for (const [what, mutate, want] of cases) {
    it(`refuses ${what}`, () => expect(refusal(mutate)).toMatch(want));
  }

  it('refuses truncated JSON', () => {
    const text = serializeModel(finalizeModel(tinyModel()));
    expect(() => parseModel(text.slice(0, text.length / 2))).toThrow(/not valid JSON.*truncated/);
  });

  it('refuses NaN and Infinity when building a model', () => {
    const bad = tinyModel();
    (bad.layers[0]!.weights as number[][])[0]![1] = Number.POSITIVE_INFINITY;
    expect(() => finalizeModel(bad)).toThrow(/layers\[0\]\.weights\[0\]\[1\]: Infinity is not allowed/);
  });

  it('computes what the model says (forward pass by hand, float32)', () => {
    const model: ModelFile = finalizeModel({
      ...tinyModel(),
      task: 'regression',
      labels: [],
      outputNames: ['y'],
      normalization: { method: 'none', offset: [0, 0], scale: [1, 1] },
      layers: [{ inputs: 2, outputs: 1, activation: 'linear', weights: [[0.5, -2]], biases: [0.25] }],
    });
    expect(Array.from(forward(model, [3, 1]))).toEqual([0.25 + 1.5 - 2]);
  });
});
