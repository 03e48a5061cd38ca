// Float32 activations: the TypeScript twin of firmware-templates/runtime/nn_activations.h.
// Every operation is rounded to float32 (Math.fround) in the same order as the C, so host and board agree bit for bit.
// Float operations are only +, -, *, / (correctly rounded on both sides); avr-libc's expf is not correctly rounded, so
// exp is our own, in integer arithmetic.
import type { Activation } from '../core/model.js';
import { f32Bits, f32FromBits } from '../core/f32.js';

const f = Math.fround;

/** Below this exp(x) is returned as 0, so no result is subnormal. */
export const EXP_MIN_ARG = f(-87);

// e^-|x| in 32-bit fixed point: integers only (16 x 16 -> 32-bit products on AVR, exact doubles here), so the board and
// the host compute the same bits by construction, in a fraction of the cycles of float operations. The scalings are
// chosen so that AVR shifts whole bytes.
/** round((log2(e) - 1) * 2^32), round(ln 2 * 2^32), round(2^16 / 6). */
const LOG2E_M1_Q32 = 1901360723;
const LN2_Q32 = 2977044472;
const SIXTH_Q16 = 10923;
/** |x| above this (the bits of 87) gives 0. */
const EXP_MIN_BITS = 0x42ae0000;
/** round(2^(-i/32) * 2^31), i = 0..31. C twin: nn_exp2_table. */
export const EXP2_TABLE: readonly number[] = [
  2147483648, 2101467502, 2056437387, 2012372174, 1969251188, 1927054196, 1885761398, 1845353420, 1805811301,
  1767116489, 1729250827, 1692196547, 1655936265, 1620452965, 1585730000, 1551751076, 1518500250, 1485961921,
  1454120821, 1422962010, 1392470869, 1362633090, 1333434672, 1304861917, 1276901417, 1249540052, 1222764986,
  1196563654, 1170923762, 1145833280, 1121280436, 1097253708,
];

/**
 * The high 32 bits of a * b for 32-bit a, b, from three 16 x 16-bit products (the low one is dropped, so the result
 * can be up to 2 below the exact floor). C twin: nn_mulhi().
 */
export function mulhi(a: number, b: number): number {
  const ah = a >>> 16;
  const al = a & 0xffff;
  const bh = b >>> 16;
  const bl = b & 0xffff;
  return ah * bh + Math.floor((ah * bl) / 65536) + Math.floor((al * bh) / 65536);
}

/**
 * e^-|x| (callers pass x <= 0): 0 for |x| > 87, 1 for |x| < 2^-25, NaN for NaN; within 1 ulp of e^x over [-87, 0]
 * (tests/model/activations.test.ts). C twin: nn_exp_neg().
 *   X = |x| 2^24 (|x| >= 1, exact) or |x| 2^31 (|x| < 1), Y = X log2(e) = (k + i/32 + g) 2^24 (or 2^31),
 *   e^-|x| = 2^-k 2^(-i/32) (1 - d), d = 1 - e^(-g ln 2) = z - z^2/2 + z^3/6, z = g ln 2 < 0.0217 (all 2^32 scaled),
 * then rounded to nearest even into a float32 (always normal: 2^-k >= 2^-125).
 */
export function expNeg(x: number): number {
  const u = f32Bits(x) & 0x7fffffff;
  if (u > 0x7f800000) return x;
  if (u > EXP_MIN_BITS) return 0;
  const field = u >>> 23;
  if (field < 102) return 1;
  const m = (u & 0x7fffff) | 0x800000;
  let k: number;
  let i: number;
  let Z: number;
  if (field >= 127) {
    // |x| >= 1: 2^24 scaling, k up to 125.
    const X = m * 2 ** (field - 126);
    const Y = X + mulhi(X, LOG2E_M1_Q32);
    k = Y >>> 24;
    i = (Y >>> 19) & 31;
    Z = mulhi((Y & 0x7ffff) * 256, LN2_Q32); // z 2^32
  } else {
    // |x| < 1: 2^31 scaling (seven more bits of x), k is 0 or 1.
    const X = field >= 119 ? m * 2 ** (field - 119) : m >>> (119 - field);
    const Y = X + mulhi(X, LOG2E_M1_Q32);
    k = Y >>> 31;
    i = (Y >>> 26) & 31;
    Z = mulhi((Y & 0x3ffffff) * 2, LN2_Q32);
  }
  const Z2 = mulhi(Z, Z); // z^2 2^32
  const Z3 = mulhi(Z2, Z); // z^3 2^32, below 2^16
  const D = Z - (Z2 >>> 1) + Math.floor((Z3 * SIXTH_Q16) / 65536); // d 2^32
  const T = EXP2_TABLE[i] as number;
  let M = T - mulhi(T, D); // 2^(-i/32) (1 - d) 2^31
  if (M >= 0x80000000) return f32FromBits((127 - k) << 23);
  let e = 126 - k;
  if (M < 0x40000000) {
    M *= 2;
    e--;
  }
  let mant = M >>> 7;
  const rest = M & 127;
  if (rest > 64 || (rest === 64 && (mant & 1) === 1)) mant++;
  if (mant === 0x1000000) {
    mant = 0x800000;
    e++;
  }
  return f32FromBits(((e << 23) | (mant & 0x7fffff)) >>> 0);
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
