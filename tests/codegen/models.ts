// The models parity is checked on: the three seed networks and iris, trained by host/train, plus seeded random nets.
import type { ModelFile } from '../../host/core/model.js';
import { builtinDataset } from '../../host/data/builtin.js';
import { runExample } from '../../host/train/examples.js';
import { defaultTrainOptions, trainModel } from '../../host/train/fit.js';
import { randomModel } from '../fixtures/models/models.js';

export interface ParityCase {
  readonly name: string;
  readonly model: ModelFile;
  /** Raw input rows (every row of the data set). */
  readonly rows: readonly (readonly number[])[];
}

export function trainedCases(): ParityCase[] {
  const seeds = (['hinge', 'bits', 'digits'] as const).map((name) => {
    const model = runExample(name).result.model;
    const ds = builtinDataset({ hinge: 'hinge6', bits: 'demo', digits: 'digits' }[name]);
    return { name: `seed network ${name}`, model, rows: ds.inputs };
  });
  const iris = builtinDataset('iris');
  const irisModel = trainModel(iris, defaultTrainOptions(iris)).model;
  return [...seeds, { name: 'iris', model: irisModel, rows: iris.inputs }];
}

/** Every activation, several layers, wide inputs (exp underflow, large sums): a net no trainer would make. */
export function stressCase(seed: number): ParityCase {
  const model = randomModel({
    name: `stress ${seed}`,
    sizes: [5, 7, 6, 4, 3],
    activations: ['tanh', 'sigmoid', 'linear', 'softmax'],
    seed,
  });
  let s = seed;
  const rand = (): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 4294967296;
  };
  const rows = Array.from({ length: 400 }, (_, r) =>
    Array.from({ length: 5 }, (_, i) => (r % 7 === 0 && i % 2 === 0 ? 0 : (rand() * 2 - 1) * 10 ** Math.floor(rand() * 6 - 2))),
  );
  return { name: `stress ${seed}`, model, rows };
}
