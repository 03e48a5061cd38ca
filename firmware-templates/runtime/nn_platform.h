/* Where constant model data lives: flash (PROGMEM, read with pgm_read_*) when NN_WEIGHTS_IN_FLASH is 1, plain const otherwise. */
#ifndef NN_PLATFORM_H
#define NN_PLATFORM_H

#include <stdint.h>
#include <string.h>

#ifndef NN_WEIGHTS_IN_FLASH
#define NN_WEIGHTS_IN_FLASH 0
#endif

/* Runtime functions and model data a sketch may not use (the user's own sketch, the host harness): no warning. */
#define NN_UNUSED __attribute__((unused))

#if NN_WEIGHTS_IN_FLASH
#include <avr/pgmspace.h>
#define NN_CONST_DATA NN_UNUSED PROGMEM
#define NN_READ_FLOAT(p) pgm_read_float(p)
#define NN_READ_BYTE(p) pgm_read_byte(p)
#define NN_READ_WORD(p) pgm_read_word(p)
#define NN_READ_PTR(p) ((const char *)pgm_read_ptr(p))
#else
#define NN_CONST_DATA NN_UNUSED
#define NN_READ_FLOAT(p) (*(p))
#define NN_READ_BYTE(p) (*(const uint8_t *)(p))
#define NN_READ_WORD(p) (*(p))
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
