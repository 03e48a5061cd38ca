// Train/validation/test splits, stratified by class so every class appears in every part in proportion.
import type { Dataset } from '../core/artifacts.js';
import { TrainingConfigError } from '../core/errors.js';
import type { Rng } from '../train/rng.js';

export interface SplitOptions {
  /** Fraction of all rows held out for the final test (default 0.25; 0 = evaluate on the training rows). */
  readonly testFraction: number;
  /** Fraction of all rows held out for validation / early stopping (default 0). */
  readonly validationFraction: number;
}

/** Row indices of each part; each part sorted by the order the rows were drawn in. */
export interface Split {
  readonly train: number[];
  readonly validation: number[];
  readonly test: number[];
}

/**
 * Split rows at random; for classification, stratified: the test and validation sizes are ceil(n * fraction)
 * (as scikit-learn's train_test_split), shared out between classes in proportion (largest remainder), and every
 * class keeps at least one training row and, when the part is not empty, one row in each held-out part.
 */
export function splitDataset(ds: Pick<Dataset, 'task' | 'classes' | 'targets' | 'targetName'>, opts: SplitOptions, rng: Rng): Split {
  const n = ds.targets.length;
  for (const [k, v] of [['testFraction', opts.testFraction], ['validationFraction', opts.validationFraction]] as const) {
    if (!(v >= 0 && v < 1)) throw new TrainingConfigError(`${k} ${v} is out of range; allowed: 0 <= fraction < 1`);
  }
  if (opts.testFraction + opts.validationFraction >= 1) {
    throw new TrainingConfigError(`test (${opts.testFraction}) and validation (${opts.validationFraction}) fractions leave no training rows`);
  }
  const nTest = Math.ceil(n * opts.testFraction);
  const nVal = Math.ceil(n * opts.validationFraction);
  if (ds.task === 'regression') {
    const idx = rng.shuffle(Array.from({ length: n }, (_v, i) => i));
    if (nTest + nVal >= n) throw new TrainingConfigError(`${n} rows are too few for a ${nTest}-row test part and a ${nVal}-row validation part`);
    return { test: idx.slice(0, nTest), validation: idx.slice(nTest, nTest + nVal), train: idx.slice(nTest + nVal) };
  }
  const byClass: number[][] = ds.classes.map(() => []);
  ds.targets.forEach((t, i) => byClass[t]?.push(i));
  const parts = (nTest > 0 ? 1 : 0) + (nVal > 0 ? 1 : 0);
  byClass.forEach((rows, k) => {
    if (parts > 0 && rows.length < parts + 1) {
      throw new TrainingConfigError(
        `class "${ds.classes[k]}" of column "${ds.targetName}" has ${rows.length} row${rows.length === 1 ? '' : 's'}; a stratified split needs at least ${parts + 1} rows per class`,
        'add rows of that class, or train on all rows with --test-fraction 0',
      );
    }
  });
  const testCounts = share(byClass.map((r) => r.length), nTest);
  const remaining = byClass.map((r, k) => r.length - (testCounts[k] as number));
  const valCounts = share(remaining, nVal);
  const split: Split = { train: [], validation: [], test: [] };
  byClass.forEach((rows, k) => {
    rng.shuffle(rows);
    const t = testCounts[k] as number;
    const v = valCounts[k] as number;
    split.test.push(...rows.slice(0, t));
    split.validation.push(...rows.slice(t, t + v));
    split.train.push(...rows.slice(t + v));
  });
  // Interleave classes so the order carries no class information.
  rng.shuffle(split.train);
  rng.shuffle(split.validation);
  rng.shuffle(split.test);
  return split;
}

/** Share `total` between groups in proportion to their sizes (largest remainder), each at least 1 and at most size-1 when total > 0. */
function share(sizes: number[], total: number): number[] {
  if (total === 0) return sizes.map(() => 0);
  const n = sizes.reduce((a, b) => a + b, 0);
  const exact = sizes.map((s) => (s * total) / n);
  const counts = exact.map((e, k) => Math.min(Math.max(1, Math.floor(e)), (sizes[k] as number) - 1));
  let left = total - counts.reduce((a, b) => a + b, 0);
  const order = exact.map((e, k) => ({ k, r: e - Math.floor(e) })).sort((a, b) => b.r - a.r || a.k - b.k);
  for (let pass = 0; left > 0 && pass < 4; pass++) {
    for (const { k } of order) {
      if (left === 0) break;
      if ((counts[k] as number) < (sizes[k] as number) - 1) {
        counts[k] = (counts[k] as number) + 1;
        left--;
      }
    }
  }
  for (let k = order.length - 1; left < 0 && k >= 0; k--) {
    const j = (order[k] as { k: number }).k;
    if ((counts[j] as number) > 1) {
      counts[j] = (counts[j] as number) - 1;
      left++;
    }
  }
  return counts;
}
