/* Float-only activations: the C twin of host/model/activations.ts, the same float32 operations in the same order. */
/* No double and no libm exp: avr-libc's expf is not correctly rounded, so the board and the host would disagree. */
#ifndef NN_ACTIVATIONS_H
#define NN_ACTIVATIONS_H

#include <math.h>
#include "nn_platform.h"

NN_EXACT_BEGIN

/* Cody-Waite split of ln 2 and the Cephes expf polynomial; the same literals as activations.ts. */
#define NN_LOG2E 1.44269504088896341f
#define NN_LN2_HI 0.693359375f
#define NN_LN2_LO -2.12194440e-4f
#define NN_EXP_P0 1.9875691500e-4f
#define NN_EXP_P1 1.3981999507e-3f
#define NN_EXP_P2 8.3334519073e-3f
#define NN_EXP_P3 4.1665795894e-2f
#define NN_EXP_P4 1.6666665459e-1f
#define NN_EXP_P5 5.0000001201e-1f
/* Below this e^x is returned as 0, so no result is subnormal. */
#define NN_EXP_MIN_ARG -87.0f

/* e^x for x <= 0; 0 below -87. Twin: expNeg(). */
static NN_UNUSED float nn_exp_neg(float x) {
  float kf, r, r2, p;
  int k;
  if (x < NN_EXP_MIN_ARG) return 0.0f;
  kf = floorf(x * NN_LOG2E + 0.5f);
  k = (int)kf;
  r = x - kf * NN_LN2_HI;
  r = r - kf * NN_LN2_LO;
  r2 = r * r;
  p = NN_EXP_P0;
  p = p * r + NN_EXP_P1;
  p = p * r + NN_EXP_P2;
  p = p * r + NN_EXP_P3;
  p = p * r + NN_EXP_P4;
  p = p * r + NN_EXP_P5;
  p = p * r2 + r + 1.0f;
  /* times 2^k, k in [-126, 0]: built from its bits, exact, and the product stays normal */
  return p * nn_bits_float((uint32_t)(k + 127) << 23);
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
