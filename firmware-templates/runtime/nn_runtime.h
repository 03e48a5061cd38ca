/* The forward pass: the C twin of host/model/forward.ts, operation for operation, float only, no malloc. */
#ifndef NN_RUNTIME_H
#define NN_RUNTIME_H

#include "nn_platform.h"
#include "nn_activations.h"

NN_EXACT_BEGIN

/* x'[i] = (x[i] - offset[i]) * scale[i]: the normalization learned in training, so callers pass raw sensor values. */
static NN_UNUSED void nn_normalize(const float *in, const float *offset, const float *scale, float *out, uint16_t n) {
  uint16_t i;
  for (i = 0; i < n; i++) out[i] = (in[i] - NN_READ_FLOAT(offset + i)) * NN_READ_FLOAT(scale + i);
}

/*
 * y[o] = b[o] + sum over i, in index order, of w[o][i] * x[i]; w is row-major (one row per neuron).
 * A zero input is skipped: w * 0 adds nothing, and forward.ts skips it too, so the two stay bit-identical.
 * NN_POLL() runs every NN_POLL_EVERY inputs, so serial input keeps flowing while a long layer computes
 * (at 115200 baud the Uno's 64-byte receive buffer fills in 5.5 ms).
 */
#ifndef NN_POLL_EVERY
#define NN_POLL_EVERY 32
#endif

/* The assembly kernel: AVR with MUL, weights in flash below 64 KB (LPM); NN_PORTABLE_KERNEL selects the C anyway. */
#if defined(__AVR__) && defined(__AVR_HAVE_MUL__) && !defined(__AVR_HAVE_ELPM__) && NN_WEIGHTS_IN_FLASH && !defined(NN_PORTABLE_KERNEL)
#define NN_AVR_KERNEL 1
#include "nn_kernel_avr.h"
#else
#define NN_AVR_KERNEL 0
#endif

/* acc + w[i] * x[i] for each x[i] != 0 up to xend, in order. Out of line so its four pointers and acc stay in registers. */
static NN_UNUSED __attribute__((noinline)) float nn_dot(float acc, const float *w, const float *x, const float *xend) {
#if NN_AVR_KERNEL
  /* The assembly runs while every step is a fast case; the C below does the one it stopped at, then it goes on. */
  uint32_t a = nn_float_bits(acc);
  nn_dot_state st;
  st.w = (const uint8_t *)w;
  st.x = (const uint8_t *)x;
  while (st.x != (const uint8_t *)xend) {
    uint16_t left = (uint16_t)((const float *)xend - (const float *)st.x);
    st.n = left > 255 ? 255 : (uint8_t)left;
    a = nn_dot_run(a, &st);
    if (st.n != 0) {
      float xi, s = nn_bits_float(a);
      memcpy(&xi, st.x, sizeof xi);
      if (nn_float_bits(xi) << 1) s = s + NN_READ_FLOAT((const float *)st.w) * xi;
      a = nn_float_bits(s);
      st.x += sizeof(float);
      st.w += sizeof(float);
    }
  }
  return nn_bits_float(a);
#else
  do {
    float xi = *x++;
    if (nn_float_bits(xi) << 1) acc = acc + NN_READ_FLOAT(w) * xi;
    w++;
  } while (x != xend);
  return acc;
#endif
}

static NN_UNUSED void nn_dense(const float *w, const float *b, const float *x, float *y, uint16_t nin, uint16_t nout) {
  const float *xend = x + nin;
  uint16_t o;
  for (o = 0; o < nout; o++) {
    float acc = NN_READ_FLOAT(b + o);
    const float *xp = x;
    do {
      const float *stop = (uint16_t)(xend - xp) > NN_POLL_EVERY ? xp + NN_POLL_EVERY : xend;
      acc = nn_dot(acc, w, xp, stop);
      w += stop - xp;
      xp = stop;
      NN_POLL();
    } while (xp != xend);
    y[o] = acc;
  }
}

/* Index of the largest value, the first on ties. Twin: argmax(). */
static NN_UNUSED uint16_t nn_argmax(const float *v, uint16_t n) {
  uint16_t i, best = 0;
  for (i = 1; i < n; i++) {
    if (v[i] > v[best]) best = i;
  }
  return best;
}


NN_EXACT_END
#endif
