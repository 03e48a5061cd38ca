// Float32 activations: the TypeScript twin of firmware-templates/runtime/nn_activations.h.
// Every operation is rounded to float32 (Math.fround) in the same order as the C, so host and board agree bit for bit.
// Only +, -, *, / and comparisons are used: avr-libc's expf is not correctly rounded, so exp is our own.
import type { Activation } from '../core/model.js';

const f = Math.fround;

// Cody-Waite split of ln 2 and the Cephes expf polynomial (relative error about 1 ulp on [-ln2/2, ln2/2]).
const LOG2E = f(1.44269504088896341);
const LN2_HI = f(0.693359375);
const LN2_LO = f(-2.12194440e-4);
const P0 = f(1.9875691500e-4);
const P1 = f(1.3981999507e-3);
const P2 = f(8.3334519073e-3);
const P3 = f(4.1665795894e-2);
const P4 = f(1.6666665459e-1);
const P5 = f(5.0000001201e-1);
/** Below this exp(x) is returned as 0, so no result is subnormal. */
export const EXP_MIN_ARG = f(-87);

/**
 * e^x for x <= 0 (callers only need non-positive arguments). Returns 0 for x < -87.
 * C twin: nn_exp_neg().
 */
export function expNeg(x: number): number {
  if (x < EXP_MIN_ARG) return 0;
  // k = nearest integer to x / ln 2, as float ops then floor.
  const k = Math.floor(f(f(x * LOG2E) + 0.5));
  let r = f(x - f(k * LN2_HI));
  r = f(r - f(k * LN2_LO));
  const r2 = f(r * r);
  let p = P0;
  p = f(f(p * r) + P1);
  p = f(f(p * r) + P2);
  p = f(f(p * r) + P3);
  p = f(f(p * r) + P4);
  p = f(f(p * r) + P5);
  p = f(f(f(p * r2) + r) + 1);
  // Scale by 2^k, k in [-126, 0]: exact, the result stays normal.
  return f(p * 2 ** k);
}

export function sigmoid(x: number): number {
  if (x >= 0) {
    const e = expNeg(f(-x));
    return f(1 / f(1 + e));
  }
  const e = expNeg(x);
  return f(e / f(1 + e));
}

export function tanh(x: number): number {
  const a = x < 0 ? f(-x) : x;
  const e = expNeg(f(-2 * a));
  const t = f(f(1 - e) / f(1 + e));
  return x < 0 ? f(-t) : t;
}

export function relu(x: number): number {
  return x > 0 ? x : 0;
}

/** Below this a softmax term is divided with its numerator scaled up by 2^24: no quotient is ever subnormal. */
export const SOFTMAX_TINY = 2 ** -100;

/**
 * e / s for 0 <= e <= 1 <= s <= 65535 without a subnormal quotient: avr-libc's `/` truncates those (1 ulp low) where
 * the host rounds. A tiny e is scaled up by 2^24 (exact), divided (a normal quotient, correctly rounded on both), then
 * scaled back by a multiply (correctly rounded on both, subnormals included). C twin: nn_div_small().
 */
export function divSmall(e: number, s: number): number {
  if (e < SOFTMAX_TINY) return f(f(f(e * 2 ** 24) / s) * 2 ** -24);
  return f(e / s);
}

/** In place, over the whole vector: max-shifted, summed in index order. C twin: nn_softmax(). */
export function softmaxInPlace(v: Float32Array): void {
  let m = v[0] ?? 0;
  for (let i = 1; i < v.length; i++) if ((v[i] as number) > m) m = v[i] as number;
  let s = 0;
  for (let i = 0; i < v.length; i++) {
    const e = expNeg(f((v[i] as number) - m));
    v[i] = e;
    s = f(s + e);
  }
  for (let i = 0; i < v.length; i++) v[i] = divSmall(v[i] as number, s);
}

/** Apply a layer's activation to its pre-activations in place (Float32Array stores are float32 already). */
export function activateInPlace(activation: Activation, v: Float32Array): void {
  switch (activation) {
    case 'linear':
      return;
    case 'relu':
      for (let i = 0; i < v.length; i++) v[i] = relu(v[i] as number);
      return;
    case 'sigmoid':
      for (let i = 0; i < v.length; i++) v[i] = sigmoid(v[i] as number);
      return;
    case 'tanh':
      for (let i = 0; i < v.length; i++) v[i] = tanh(v[i] as number);
      return;
    case 'softmax':
      softmaxInPlace(v);
      return;
  }
}
