// Built-in data sets: the demo and the seed networks' toy sets in code, iris and digits from the shipped datasets/ folder.
import { readFileSync } from 'node:fs';
import type { Dataset } from '../core/artifacts.js';
import { UsageError } from '../core/errors.js';
import { packagePath } from '../core/paths.js';
import { parseCsv } from './csv.js';

/** Absolute path of a shipped data set file. */
export function datasetPath(file: string): string {
  return packagePath('datasets', file);
}

export const BUILTIN_DATASETS: readonly { readonly name: string; readonly description: string }[] = [
  { name: 'demo', description: '3-bit parity: the eight 3-bit cases, output 1 when an odd number of bits is set (3-4-1 sigmoid net)' },
  { name: 'hinge6', description: "the six 2-D points of Karpathy's Hacker's Guide to Neural Networks, labels -1/+1 (hinge loss)" },
  { name: 'iris', description: 'Fisher iris: 150 flowers, 4 measurements in cm, 3 species (datasets/iris.csv)' },
  { name: 'digits', description: 'handwritten digits: 1797 8x8 images, 64 pixel counts 0..16, 10 classes (datasets/digits.csv)' },
];

/**
 * The demo's target is 3-bit parity (XOR of the three bits): not linearly separable, so the hidden layer is needed,
 * and a 3-4-1 sigmoid net learns it from every seed we tried (tests/train/seed-networks.test.ts checks several).
 */
function demo(): Dataset {
  const inputs: number[][] = [];
  const targets: number[] = [];
  for (let k = 0; k < 8; k++) {
    const bits = [(k >> 2) & 1, (k >> 1) & 1, k & 1];
    inputs.push(bits);
    targets.push(bits.reduce((a, b) => a ^ b, 0));
  }
  return { name: 'demo', inputNames: ['a', 'b', 'c'], targetName: 'parity', task: 'binary', classes: ['0', '1'], inputs, targets };
}

/** Karpathy's six points; class 0 is -1, class 1 is +1. */
function hinge6(): Dataset {
  const points: [number, number, number][] = [
    [1.2, 0.7, 1],
    [-0.3, -0.5, -1],
    [3.0, 0.1, 1],
    [-0.1, -1.0, -1],
    [-1.0, 1.1, -1],
    [2.1, -3, 1],
  ];
  return {
    name: 'hinge6',
    inputNames: ['x', 'y'],
    targetName: 'label',
    task: 'binary',
    classes: ['-1', '+1'],
    inputs: points.map((p) => [p[0], p[1]]),
    targets: points.map((p) => (p[2] > 0 ? 1 : 0)),
  };
}

const cache = new Map<string, Dataset>();

/** A built-in data set by name; unknown names -> UsageError listing the names there are. */
export function builtinDataset(name: string): Dataset {
  const hit = cache.get(name);
  if (hit) return hit;
  let ds: Dataset;
  switch (name) {
    case 'demo':
      ds = demo();
      break;
    case 'hinge6':
      ds = hinge6();
      break;
    case 'iris':
    case 'digits':
      ds = parseCsv(readFileSync(datasetPath(`${name}.csv`), 'utf8'), { name, task: 'classification' });
      break;
    default:
      throw new UsageError(`unknown data set "${name}"`, `choose one of: ${BUILTIN_DATASETS.map((d) => d.name).join(', ')}, or give a CSV file with --data`);
  }
  cache.set(name, ds);
  return ds;
}
