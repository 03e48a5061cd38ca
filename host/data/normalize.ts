// Input normalization learned on the training rows and stored in the model; applied in float32 exactly as the board does.
import type { Normalization } from '../core/model.js';
import { TrainingConfigError } from '../core/errors.js';

export const NORMALIZE_METHODS = ['zscore', 'minmax', 'none'] as const;
export type NormalizeMethod = (typeof NORMALIZE_METHODS)[number];

const f = Math.fround;

/**
 * Fit offset and scale on `rows` (the training rows only): zscore -> (x - mean) / std; minmax -> (x - min) / (max - min);
 * none -> offset 0, scale 1. A constant column gets scale 1. Values are float32 (what the model stores).
 */
export function fitNormalization(rows: readonly (readonly number[])[], width: number, method: NormalizeMethod): Normalization {
  if (!(NORMALIZE_METHODS as readonly string[]).includes(method)) {
    throw new TrainingConfigError(`unknown normalization "${method}"; allowed: ${NORMALIZE_METHODS.join(', ')}`);
  }
  const offset = new Array<number>(width).fill(0);
  const scale = new Array<number>(width).fill(1);
  if (method === 'none' || rows.length === 0) return { method, offset, scale };
  for (let i = 0; i < width; i++) {
    if (method === 'zscore') {
      let mean = 0;
      for (const r of rows) mean += r[i] as number;
      mean /= rows.length;
      let v = 0;
      for (const r of rows) v += ((r[i] as number) - mean) ** 2;
      const std = Math.sqrt(v / rows.length);
      offset[i] = f(mean);
      scale[i] = std > 0 ? f(1 / std) : 1;
    } else {
      let lo = Infinity;
      let hi = -Infinity;
      for (const r of rows) {
        lo = Math.min(lo, r[i] as number);
        hi = Math.max(hi, r[i] as number);
      }
      offset[i] = f(lo);
      scale[i] = hi > lo ? f(1 / (hi - lo)) : 1;
    }
  }
  return { method, offset, scale };
}

/** x' = fround(fround(x - offset) * scale): the board's normalization, bit for bit (host/model/forward.ts). */
export function applyNormalization(norm: Normalization, x: readonly number[], out: Float64Array, at: number): void {
  for (let i = 0; i < x.length; i++) out[at + i] = f(f(f(x[i] as number) - (norm.offset[i] as number)) * (norm.scale[i] as number));
}
