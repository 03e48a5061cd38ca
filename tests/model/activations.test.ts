import { describe, expect, it } from 'vitest';
import { expNeg, relu, sigmoid, softmaxInPlace, tanh } from '../../host/model/activations.js';
import { f32Bits, f32FromBits, ulpDistance } from '../../host/core/f32.js';

// The activations are our own float32 code (so the board can match them bit for bit); these tests hold them to
// the true functions (Math.exp in double precision) within a stated tolerance.

function grid(from: number, to: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.fround(from + ((to - from) * i) / (n - 1)));
}

describe('expNeg', () => {
  it('is within 2 ulp of e^x over [-87, 0]', () => {
    let worst = 0;
    for (const x of grid(-87, 0, 200_001)) worst = Math.max(worst, ulpDistance(expNeg(x), Math.fround(Math.exp(x))));
    expect(worst).toBeLessThanOrEqual(2);
  });

  it('stated error, on every 997th float32 in [-87, 0]: at most 2 ulp, at most 1 ulp for |x| < 1, mostly exact', () => {
    const worst = { small: 0, large: 0 };
    let exact = 0;
    let n = 0;
    for (let b = 0x80000000; b <= f32Bits(-87); b += 997) {
      const x = f32FromBits(b);
      const e = ulpDistance(expNeg(x), Math.fround(Math.exp(x)));
      if (Math.abs(x) < 1) worst.small = Math.max(worst.small, e);
      else worst.large = Math.max(worst.large, e);
      if (e === 0) exact++;
      n++;
    }
    expect(n).toBeGreaterThan(1_000_000);
    expect(worst).toEqual({ small: 1, large: 2 });
    expect(exact / n).toBeGreaterThan(0.9);
  });

  it('is 1 below |x| = 2^-25, NaN for NaN, and takes |x| (callers pass x <= 0)', () => {
    expect(expNeg(-(2 ** -26))).toBe(1);
    expect(expNeg(-1e-40)).toBe(1);
    expect(Number.isNaN(expNeg(Number.NaN))).toBe(true);
    expect(expNeg(1)).toBe(expNeg(-1));
  });

  it('is exact at 0 and returns 0 below -87 (never a subnormal)', () => {
    expect(expNeg(0)).toBe(1);
    expect(expNeg(-87.5)).toBe(0);
    expect(expNeg(-1000)).toBe(0);
    expect(expNeg(-87)).toBeGreaterThanOrEqual(1.1754943508222875e-38);
  });
});

describe('sigmoid, tanh, relu', () => {
  it('sigmoid is within 1e-6 relative of 1/(1+e^-x) and symmetric', () => {
    for (const x of grid(-30, 30, 20_001)) {
      const want = 1 / (1 + Math.exp(-x));
      expect(Math.abs(sigmoid(x) - want)).toBeLessThanOrEqual(1e-6 * want + 1e-30);
    }
    expect(sigmoid(0)).toBe(0.5);
    expect(sigmoid(200)).toBe(1);
    expect(sigmoid(-200)).toBe(0);
  });

  it('tanh is within 1e-6 absolute of Math.tanh and odd', () => {
    for (const x of grid(-20, 20, 20_001)) {
      expect(Math.abs(tanh(x) - Math.tanh(x))).toBeLessThanOrEqual(1e-6);
      expect(tanh(-x) === -tanh(x)).toBe(true); // === : tanh(-0) may be +0
    }
  });

  it('relu clips negatives to +0', () => {
    expect(relu(-3)).toBe(0);
    expect(Object.is(relu(-0), 0)).toBe(true);
    expect(relu(2.5)).toBe(2.5);
  });
});

describe('softmax', () => {
  it('sums to 1 within float32 rounding and matches the double-precision softmax', () => {
    const v = new Float32Array([1, 2, 3, -1, 0.5, 40, -40]);
    const want = Array.from(v, (x) => Math.exp(x - 40));
    const total = want.reduce((a, b) => a + b, 0);
    softmaxInPlace(v);
    v.forEach((p, i) => expect(Math.abs(p - (want[i] as number) / total)).toBeLessThanOrEqual(1e-6));
    expect(Math.abs(v.reduce((a, b) => a + b, 0) - 1)).toBeLessThanOrEqual(1e-6);
  });
});
