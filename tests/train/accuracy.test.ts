// Accuracy over 5 seeds with a 75/25 stratified split, digits median >= 97.5% and iris median >= 95%.
// (The same figures, next to scikit-learn's, are printed by `npm run bench:accuracy`.)
import { describe, expect, it } from 'vitest';
import { builtinDataset } from '../../host/data/builtin.js';
import { defaultTrainOptions, trainModel } from '../../host/train/fit.js';

function median(v: number[]): number {
  return [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
}

describe('accuracy over 5 seeds (float32 evaluation on the held-out 25%)', () => {
  for (const [name, target, layers] of [
    ['iris', 0.95, '4-8-3'],
    ['digits', 0.975, '64-32-10'],
  ] as const) {
    it(`${name} ${layers}: median >= ${100 * target}%`, () => {
      const ds = builtinDataset(name);
      const o = defaultTrainOptions(ds);
      const runs = [1, 2, 3, 4, 5].map((seed) => trainModel(ds, { ...o, seed }));
      for (const r of runs) {
        expect([r.model.layers[0]!.inputs, ...r.model.layers.map((l) => l.outputs)].join('-')).toBe(layers);
        expect(r.model.layers.map((l) => l.activation)).toEqual(['relu', 'softmax']);
        expect(r.model.training['optimizer']).toBe('adam');
        expect(r.evaluation.split).toBe('test');
        expect(r.evaluation.rows).toBe(Math.ceil(ds.inputs.length * 0.25));
      }
      const accs = runs.map((r) => r.evaluation.accuracy!);
      expect(median(accs), `accuracies ${accs.map((a) => (100 * a).toFixed(2)).join(', ')}`).toBeGreaterThanOrEqual(target);
    });
  }
});
