// Splits, normalization, built-in data sets and reading rows for an existing model.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CsvError, UsageError } from '../../host/core/errors.js';
import { BUILTIN_DATASETS, builtinDataset } from '../../host/data/builtin.js';
import { fitNormalization } from '../../host/data/normalize.js';
import { readRowsForModel, streamRowsForModel } from '../../host/data/rows.js';
import { splitDataset } from '../../host/data/split.js';
import { readCsvFile } from '../../host/data/csv.js';
import { Rng } from '../../host/train/rng.js';
import { trainModel, defaultTrainOptions } from '../../host/train/fit.js';
import { forward } from '../../host/model/forward.js';

describe('stratified split', () => {
  const iris = builtinDataset('iris');
  it('75/25 keeps the class proportions, is disjoint, covers every row, and is deterministic', () => {
    const s = splitDataset(iris, { testFraction: 0.25, validationFraction: 0 }, new Rng(7));
    expect(s.test.length).toBe(38); // ceil(150 * 0.25), as scikit-learn's train_test_split
    expect(s.train.length).toBe(112);
    const all = [...s.train, ...s.test].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 150 }, (_v, i) => i));
    const perClass = [0, 1, 2].map((c) => s.test.filter((i) => iris.targets[i] === c).length);
    for (const n of perClass) expect(n === 12 || n === 13).toBe(true);
    expect(splitDataset(iris, { testFraction: 0.25, validationFraction: 0 }, new Rng(7))).toEqual(s);
    expect(splitDataset(iris, { testFraction: 0.25, validationFraction: 0 }, new Rng(8))).not.toEqual(s);
  });
  it('three parts with a validation part', () => {
    const s = splitDataset(iris, { testFraction: 0.2, validationFraction: 0.1 }, new Rng(1));
    expect([s.train.length, s.validation.length, s.test.length]).toEqual([105, 15, 30]);
  });
});

describe('normalization', () => {
  it('zscore and minmax are learned from the rows given; constant columns get scale 1', () => {
    const rows = [
      [1, 5, 0],
      [3, 5, 10],
    ];
    const z = fitNormalization(rows, 3, 'zscore');
    expect(z.offset).toEqual([2, 5, 5]);
    expect(z.scale).toEqual([1, 1, Math.fround(0.2)]);
    const m = fitNormalization(rows, 3, 'minmax');
    expect(m.offset).toEqual([1, 5, 0]);
    expect(m.scale).toEqual([0.5, 1, Math.fround(0.1)]);
  });
});

describe('built-in data sets', () => {
  it('lists demo, hinge6, iris, digits and refuses an unknown name listing them', () => {
    expect(BUILTIN_DATASETS.map((d) => d.name)).toEqual(['demo', 'hinge6', 'iris', 'digits']);
    let err: unknown;
    try {
      builtinDataset('mnist');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).message).toBe('unknown data set "mnist"');
    expect((err as UsageError).hint).toContain('demo, hinge6, iris, digits');
  });
  it('demo is 3-bit parity over the eight cases', () => {
    const d = builtinDataset('demo');
    expect(d.inputs.length).toBe(8);
    d.inputs.forEach((x, r) => expect(d.targets[r]).toBe((x[0]! + x[1]! + x[2]!) % 2));
    expect(d.classes).toEqual(['0', '1']);
  });
  it("hinge6 holds Karpathy's six points", () => {
    const d = builtinDataset('hinge6');
    expect(d.inputs).toEqual([[1.2, 0.7], [-0.3, -0.5], [3.0, 0.1], [-0.1, -1.0], [-1.0, 1.1], [2.1, -3]]);
    expect(d.targets.map((t) => d.classes[t])).toEqual(['+1', '-1', '+1', '-1', '-1', '+1']);
  });
  it('iris and digits come from datasets/ with the documented sizes', () => {
    const iris = builtinDataset('iris');
    expect([iris.inputs.length, iris.inputNames.length, iris.classes.join()]).toEqual([150, 4, 'setosa,versicolor,virginica']);
    const digits = builtinDataset('digits');
    expect([digits.inputs.length, digits.inputNames.length, digits.classes.join()]).toEqual([1797, 64, '0,1,2,3,4,5,6,7,8,9']);
  });
});

describe('rows for an existing model', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'deploy-nn-rows-'));
  const iris = builtinDataset('iris');
  const model = trainModel(iris, { ...defaultTrainOptions(iris), epochs: 3 }).model;

  it('picks the input columns by name in any order, and the label from training.targetColumn', async () => {
    expect(model.training['targetColumn']).toBe('species');
    const file = path.join(dir, 'shuffled.csv');
    writeFileSync(file, 'species;petal_width_cm;extra;sepal_length_cm;petal_length_cm;sepal_width_cm\r\nsetosa;0,2;x;5,1;1,4;3,5\r\n');
    const { inputs, labels } = await readRowsForModel(file, model);
    expect(inputs).toEqual([[5.1, 3.5, 1.4, 0.2]]);
    expect(labels).toEqual(['setosa']);
    expect(Array.from(forward(model, inputs[0]!))).toHaveLength(3);
  });
  it('has no label when the target column is absent; streams row by row', async () => {
    const file = path.join(dir, 'nolabel.csv');
    writeFileSync(file, 'sepal_length_cm,sepal_width_cm,petal_length_cm,petal_width_cm\n5.1,3.5,1.4,0.2\n6,3,4,1\n');
    const got: unknown[] = [];
    for await (const r of streamRowsForModel(file, model)) got.push(r);
    expect(got).toEqual([
      { inputs: [5.1, 3.5, 1.4, 0.2], label: undefined },
      { inputs: [6, 3, 4, 1], label: undefined },
    ]);
  });
  it('names the missing columns and the ones the file has', async () => {
    const file = path.join(dir, 'missing.csv');
    writeFileSync(file, 'sepal_length_cm,petal_length_cm,colour\n1,2,red\n');
    await expect(readRowsForModel(file, model)).rejects.toMatchObject({
      name: 'CsvError',
      message: `${file} lacks the model's input columns "sepal_width_cm", "petal_width_cm"; the file has: sepal_length_cm, petal_length_cm, colour`,
    });
  });
  it('readCsvFile on a missing file is a CsvError naming it', async () => {
    await expect(readCsvFile(path.join(dir, 'nope.csv'), { name: 'x' })).rejects.toBeInstanceOf(CsvError);
  });
});
