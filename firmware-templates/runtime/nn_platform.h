/* Where constant model data lives: flash (PROGMEM, read with pgm_read_*) when NN_WEIGHTS_IN_FLASH is 1, plain const otherwise. */
#ifndef NN_PLATFORM_H
#define NN_PLATFORM_H

#include <stdint.h>
#include <string.h>

#ifndef NN_WEIGHTS_IN_FLASH
#define NN_WEIGHTS_IN_FLASH 0
#endif

/*
 * Exact float arithmetic wherever this code is compiled: every `a * b + c` is a multiply rounded to float, then an
 * add rounded to float, as on the host. Compilers contract it into one fused multiply-add (rounded once) on chips
 * that have one (x86 with FMA, Cortex-M4F/M7, ESP32) unless told not to, so the code between NN_EXACT_BEGIN and
 * NN_EXACT_END forbids it: GCC by an optimize pragma, clang by its fp pragma, any other C99 compiler that honours
 * it by the standard STDC FP_CONTRACT pragma. A compiler that honours none of these needs -ffp-contract=off (or its
 * own equivalent) on the command line. AVR has no fused multiply-add: nothing to forbid, the code stays as it is.
 */
#if defined(NN_EXACT_BEGIN)
/* defined by the build (the tests that show what contraction does define both empty) */
#elif defined(__AVR__)
#define NN_EXACT_BEGIN
#define NN_EXACT_END
#elif defined(__clang__)
#define NN_EXACT_BEGIN _Pragma("float_control(push)") _Pragma("clang fp contract(off)")
#define NN_EXACT_END _Pragma("float_control(pop)")
#elif defined(__GNUC__)
#define NN_EXACT_BEGIN _Pragma("GCC push_options") _Pragma("GCC optimize(\"fp-contract=off\")")
#define NN_EXACT_END _Pragma("GCC pop_options")
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 199901L
#define NN_EXACT_BEGIN _Pragma("STDC FP_CONTRACT OFF")
#define NN_EXACT_END _Pragma("STDC FP_CONTRACT DEFAULT")
#else
#define NN_EXACT_BEGIN
#define NN_EXACT_END
#endif

/* Runtime functions and model data a sketch may not use (the user's own sketch, the host harness): no warning. */
#define NN_UNUSED __attribute__((unused))

#if NN_WEIGHTS_IN_FLASH
#include <avr/pgmspace.h>
#define NN_CONST_DATA NN_UNUSED PROGMEM
#define NN_READ_FLOAT(p) pgm_read_float(p)
#define NN_READ_BYTE(p) pgm_read_byte(p)
#define NN_READ_WORD(p) pgm_read_word(p)
#define NN_READ_U32(p) pgm_read_dword(p)
#define NN_READ_PTR(p) ((const char *)pgm_read_ptr(p))
#else
#define NN_CONST_DATA NN_UNUSED
#define NN_READ_FLOAT(p) (*(p))
#define NN_READ_BYTE(p) (*(const uint8_t *)(p))
#define NN_READ_WORD(p) (*(p))
#define NN_READ_U32(p) (*(p))
#define NN_READ_PTR(p) (*(p))
#endif

/* Called by nn_predict between neurons: the bridge sketch reads serial input here; a no-op by default. */
#ifndef NN_POLL
#define NN_POLL() ((void)0)
#endif

/* The IEEE-754 bits of a float and back, without aliasing tricks. */
static inline uint32_t nn_float_bits(float x) {
  uint32_t u;
  memcpy(&u, &x, sizeof u);
  return u;
}

static inline float nn_bits_float(uint32_t u) {
  float x;
  memcpy(&x, &u, sizeof x);
  return x;
}

#endif
