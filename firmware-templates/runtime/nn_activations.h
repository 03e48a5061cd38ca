/* Float-only activations: the C twin of host/model/activations.ts, the same float32 operations in the same order. */
/* No double and no libm exp: avr-libc's expf is not correctly rounded, so the board and the host would disagree. */
/* exp is computed in integer arithmetic (exact on both sides), sigmoid, tanh and softmax from it with float + and /. */
#ifndef NN_ACTIVATIONS_H
#define NN_ACTIVATIONS_H

#include <math.h>
#include "nn_platform.h"

NN_EXACT_BEGIN

/* Below this e^x is returned as 0, so no result is subnormal. */
#define NN_EXP_MIN_ARG -87.0f

/* e^-|x| in 32-bit fixed point: integers only (16 x 16 -> 32-bit products), the same operations as activations.ts,
 * so board and host agree by construction and no float routine is called. Scalings keep AVR shifts to whole bytes. */
#define NN_LOG2E_M1_Q32 1901360723UL /* round((log2(e) - 1) 2^32) */
#define NN_LN2_Q32 2977044472UL      /* round(ln 2 2^32) */
#define NN_SIXTH_Q16 10923u          /* round(2^16 / 6) */
#define NN_EXP_MIN_BITS 0x42ae0000UL /* |x| above 87 gives 0 */

/* round(2^(-i/32) 2^31), i = 0..31. Twin: EXP2_TABLE. */
static const uint32_t nn_exp2_table[32] NN_CONST_DATA = {
  2147483648UL, 2101467502UL, 2056437387UL, 2012372174UL, 1969251188UL, 1927054196UL, 1885761398UL, 1845353420UL,
  1805811301UL, 1767116489UL, 1729250827UL, 1692196547UL, 1655936265UL, 1620452965UL, 1585730000UL, 1551751076UL,
  1518500250UL, 1485961921UL, 1454120821UL, 1422962010UL, 1392470869UL, 1362633090UL, 1333434672UL, 1304861917UL,
  1276901417UL, 1249540052UL, 1222764986UL, 1196563654UL, 1170923762UL, 1145833280UL, 1121280436UL, 1097253708UL,
};

/* The high 32 bits of a * b from three 16 x 16-bit products (the low one dropped). Twin: mulhi().
 * On AVR in assembly: 12 MUL instructions and no library call (avr-gcc's 32-bit products cost several times more). */
static inline __attribute__((always_inline)) uint32_t nn_mulhi(uint32_t a, uint32_t b) {
#if defined(__AVR__) && defined(__AVR_HAVE_MUL__)
  uint32_t r, t;
  uint8_t z;
  __asm__(
      "clr %[z]\n\t"
      /* r = ah * bh */
      "mul %C[a], %C[b]\n\t" "movw %A[r], r0\n\t"
      "mul %D[a], %D[b]\n\t" "movw %C[r], r0\n\t"
      "mul %D[a], %C[b]\n\t" "add %B[r], r0\n\t" "adc %C[r], r1\n\t" "adc %D[r], %[z]\n\t"
      "mul %C[a], %D[b]\n\t" "add %B[r], r0\n\t" "adc %C[r], r1\n\t" "adc %D[r], %[z]\n\t"
      /* r += (ah * bl) >> 16 */
      "mul %C[a], %A[b]\n\t" "movw %A[t], r0\n\t"
      "mul %D[a], %B[b]\n\t" "movw %C[t], r0\n\t"
      "mul %D[a], %A[b]\n\t" "add %B[t], r0\n\t" "adc %C[t], r1\n\t" "adc %D[t], %[z]\n\t"
      "mul %C[a], %B[b]\n\t" "add %B[t], r0\n\t" "adc %C[t], r1\n\t" "adc %D[t], %[z]\n\t"
      "add %A[r], %C[t]\n\t" "adc %B[r], %D[t]\n\t" "adc %C[r], %[z]\n\t" "adc %D[r], %[z]\n\t"
      /* r += (al * bh) >> 16 */
      "mul %A[a], %C[b]\n\t" "movw %A[t], r0\n\t"
      "mul %B[a], %D[b]\n\t" "movw %C[t], r0\n\t"
      "mul %B[a], %C[b]\n\t" "add %B[t], r0\n\t" "adc %C[t], r1\n\t" "adc %D[t], %[z]\n\t"
      "mul %A[a], %D[b]\n\t" "add %B[t], r0\n\t" "adc %C[t], r1\n\t" "adc %D[t], %[z]\n\t"
      "add %A[r], %C[t]\n\t" "adc %B[r], %D[t]\n\t" "adc %C[r], %[z]\n\t" "adc %D[r], %[z]\n\t"
      "clr __zero_reg__"
      : [r] "=&r"(r), [t] "=&r"(t), [z] "=&r"(z)
      : [a] "r"(a), [b] "r"(b)
      : "r0");
  return r;
#else
  uint16_t ah = (uint16_t)(a >> 16), al = (uint16_t)a, bh = (uint16_t)(b >> 16), bl = (uint16_t)b;
  uint32_t hh = (uint32_t)ah * bh, hl = (uint32_t)ah * bl, lh = (uint32_t)al * bh;
  return hh + (uint16_t)(hl >> 16) + (uint16_t)(lh >> 16);
#endif
}

/* e^-|x| (callers pass x <= 0): 0 for |x| > 87, 1 for |x| < 2^-25, NaN for NaN; within 1 ulp. Twin: expNeg(). */
static NN_UNUSED float nn_exp_neg(float x) {
  uint32_t u, m, X, Y, G, Z, Z2, D, T, M, mant;
  uint16_t Z3;
  uint8_t field, k, i, rest;
  int16_t e;
  u = nn_float_bits(x) & 0x7fffffffUL;
  if (u > 0x7f800000UL) return x;
  if (u > NN_EXP_MIN_BITS) return 0.0f;
  field = (uint8_t)(u >> 23);
  if (field < 102) return 1.0f;
  m = (u & 0x7fffffUL) | 0x800000UL;
  if (field >= 127) { /* |x| >= 1: 2^24 scaling, k up to 125 */
    X = m << (field - 126);
    Y = X + nn_mulhi(X, NN_LOG2E_M1_Q32);
    k = (uint8_t)(Y >> 24);
    i = (uint8_t)((uint8_t)(Y >> 16) >> 3) & 31u;
    G = (Y & 0x7ffffUL) << 8;
  } else { /* |x| < 1: 2^31 scaling, k is 0 or 1 */
    X = field >= 119 ? m << (field - 119) : m >> (119 - field);
    Y = X + nn_mulhi(X, NN_LOG2E_M1_Q32);
    k = (uint8_t)(Y >> 31);
    i = (uint8_t)((uint8_t)(Y >> 24) >> 2) & 31u;
    G = (Y & 0x3ffffffUL) << 1;
  }
  Z = nn_mulhi(G, NN_LN2_Q32); /* z 2^32 */
  Z2 = nn_mulhi(Z, Z);              /* z^2 2^32 */
  Z3 = (uint16_t)nn_mulhi(Z2, Z);   /* z^3 2^32, below 2^16 */
  D = Z - (Z2 >> 1) + nn_mulhi(Z3, (uint32_t)NN_SIXTH_Q16 << 16); /* d 2^32; the product is Z3 * SIXTH >> 16 */
  T = NN_READ_U32(&nn_exp2_table[i]);
  M = T - nn_mulhi(T, D); /* 2^(-i/32) (1 - d) 2^31 */
  if (M >= 0x80000000UL) return nn_bits_float((uint32_t)(127 - k) << 23);
  e = (int16_t)(126 - k);
  if (M < 0x40000000UL) {
    M <<= 1;
    e--;
  }
  mant = (M << 1) >> 8;
  rest = (uint8_t)(M & 127u);
  if (rest > 64 || (rest == 64 && (mant & 1u))) mant++;
  if (mant == 0x1000000UL) {
    mant = 0x800000UL;
    e++;
  }
  return nn_bits_float(((uint32_t)e << 23) | (mant & 0x7fffffUL));
}

static NN_UNUSED float nn_sigmoid(float x) {
  float e;
  if (x >= 0.0f) {
    e = nn_exp_neg(-x);
    return 1.0f / (1.0f + e);
  }
  e = nn_exp_neg(x);
  return e / (1.0f + e);
}

static NN_UNUSED float nn_tanh(float x) {
  float a = x < 0.0f ? -x : x;
  float e = nn_exp_neg(-2.0f * a);
  float t = (1.0f - e) / (1.0f + e);
  return x < 0.0f ? -t : t;
}

static NN_UNUSED void nn_relu_vec(float *v, uint16_t n) {
  uint16_t i;
  for (i = 0; i < n; i++) {
    if (!(v[i] > 0.0f)) v[i] = 0.0f;
  }
}

/* The vector activations call NN_POLL() after each exp (a few thousand cycles) to keep serial input flowing. */
static NN_UNUSED void nn_sigmoid_vec(float *v, uint16_t n) {
  uint16_t i;
  for (i = 0; i < n; i++) {
    v[i] = nn_sigmoid(v[i]);
    NN_POLL();
  }
}

static NN_UNUSED void nn_tanh_vec(float *v, uint16_t n) {
  uint16_t i;
  for (i = 0; i < n; i++) {
    v[i] = nn_tanh(v[i]);
    NN_POLL();
  }
}

/* e / s for 0 <= e <= 1 <= s without a subnormal quotient (avr-libc's `/` truncates those, the host rounds):
 * a tiny e is scaled by 2^24 (exact), divided (normal quotient), scaled back by a correctly rounded multiply. Twin: divSmall(). */
#define NN_SOFTMAX_TINY 7.88860905e-31f /* 2^-100 */
static NN_UNUSED float nn_div_small(float e, float s) {
  if (e < NN_SOFTMAX_TINY) return ((e * 16777216.0f) / s) * 5.96046448e-8f; /* 2^24, 2^-24 */
  return e / s;
}

/* In place: max-shifted, summed in index order. Twin: softmaxInPlace(). */
static NN_UNUSED void nn_softmax_vec(float *v, uint16_t n) {
  uint16_t i;
  float m = v[0], s = 0.0f;
  for (i = 1; i < n; i++) {
    if (v[i] > m) m = v[i];
  }
  for (i = 0; i < n; i++) {
    float e = nn_exp_neg(v[i] - m);
    v[i] = e;
    s = s + e;
    NN_POLL();
  }
  for (i = 0; i < n; i++) {
    v[i] = nn_div_small(v[i], s);
    NN_POLL();
  }
}

NN_EXACT_END

#endif
