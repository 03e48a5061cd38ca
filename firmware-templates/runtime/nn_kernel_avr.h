/* The dense layer's multiply-accumulate in AVR assembly: acc = round32(acc + round32(w * x)), exactly what avr-libc's
 * __mulsf3 then __addsf3 compute (round to nearest even after the multiply and after the add), for the cases that
 * matter: normal operands and a normal accumulator away from the ends of the exponent range. Anything else (a zero,
 * subnormal, infinite or NaN operand or accumulator, a product or sum near overflow or underflow, an exact
 * cancellation after it) leaves the loop, and the portable C (avr-libc) does that one multiply-add. Weights are read
 * from flash with LPM (Z below 64 KB: chips with ELPM use the portable C), the accumulator stays unpacked in
 * registers for the whole row, zero inputs are skipped. Twin: the same forward.ts as the C; checked against it by
 * the arithmetic fuzz (host/bench/arith-fuzz.ts) and the parity tests. */
#ifndef NN_KERNEL_AVR_H
#define NN_KERNEL_AVR_H

#include "nn_platform.h"

/*
 * NN_DOT_ASM(acc, w, x, n): runs acc = acc + w[i] * x[i] over the next n (1..255) elements while every step is in the
 * fast case; acc (the float's bits, uint32_t), w (flash) and x (RAM) are byte pointers advanced past the elements
 * done, n counts down to the elements left (0 when all are done).
 */
#define NN_DOT_ASM(acc, w, x, n) \
  do { \
    uint32_t wv, xv, ph; \
    uint8_t pl; \
    uint8_t pe; \
    __asm__ volatile(NN_DOT_ASM_TEXT \
      : [a] "+r"(acc), [xp] "+e"(x), [zp] "+z"(w), [n] "+r"(n), [wv] "=&r"(wv), [xv] "=&r"(xv), [pl] "=&r"(pl), \
        [ph] "=&r"(ph), [pe] "=&d"(pe) \
      : \
      : "r0", "memory"); \
  } while (0)

/* Where a row stands: the next weight (flash), the next input, how many inputs are left in this call (1..255). */
typedef struct {
  const uint8_t *w;
  const uint8_t *x;
  uint8_t n;
} nn_dot_state;

static uint32_t nn_dot_run(uint32_t acc, nn_dot_state *st);

#define NN_DOT_ASM_TEXT \
  /* unpack acc: T = sign, %D = exponent field, %C |= implicit bit */ \
  "bst %D[a], 7\n\t" \
  "lsl %C[a]\n\t" \
  "rol %D[a]\n\t" \
  "sec\n\t" \
  "ror %C[a]\n\t" \
  "rjmp 10f\n\t" \
  /* out of the loop's way: a product exponent sum of 256 or more (at most 377), and the way out for an element */ \
  "21:\n\t" \
  "cpi %[pe], 122\n\t" \
  "brsh 80f\n\t" \
  "subi %[pe], 127\n\t" \
  "rjmp 22f\n\t" \
  "80:\n\t" /* this element is not for the fast path: give it back */ \
  "sbiw %A[xp], 4\n\t" \
  "sbiw r30, 4\n\t" \
  "inc %[n]\n\t" \
  "81:\n\t" /* the loop's exits, within a branch's reach */ \
  "rjmp 90f\n\t" \
  "10:\n\t" \
  /* acc exponent field in [26, 252], else stop */ \
  "mov %[pe], %D[a]\n\t" \
  "subi %[pe], 26\n\t" \
  "cpi %[pe], 227\n\t" \
  "brsh 81b\n\t" \
  "11:\n\t" \
  "tst %[n]\n\t" \
  "breq 81b\n\t" \
  "dec %[n]\n\t" \
  "ld %A[xv], %a[xp]+\n\t" \
  "ld %B[xv], %a[xp]+\n\t" \
  "ld %C[xv], %a[xp]+\n\t" \
  "ld %D[xv], %a[xp]+\n\t" \
  /* x = +0 or -0: skip it and its weight (the exponent's top 7 bits settle most inputs at once) */ \
  "mov %[pe], %D[xv]\n\t" \
  "lsl %[pe]\n\t" \
  "brne 20f\n\t" \
  "or %[pe], %A[xv]\n\t" \
  "or %[pe], %B[xv]\n\t" \
  "or %[pe], %C[xv]\n\t" \
  "brne 20f\n\t" \
  "adiw r30, 4\n\t" \
  "rjmp 11b\n\t" \
  "20:\n\t" \
  "lpm %A[wv], Z+\n\t" \
  "lpm %B[wv], Z+\n\t" \
  "lpm %C[wv], Z+\n\t" \
  "lpm %D[wv], Z+\n\t" \
  "mov %[pl], %D[wv]\n\t" \
  "eor %[pl], %D[xv]\n\t" /* product sign in bit 7, for now */ \
  "lsl %C[xv]\n\t" \
  "rol %D[xv]\n\t" \
  "sec\n\t" \
  "ror %C[xv]\n\t" \
  "lsl %C[wv]\n\t" \
  "rol %D[wv]\n\t" \
  "sec\n\t" \
  "ror %C[wv]\n\t" \
  /* both exponent fields in [1, 254] */ \
  "mov %[pe], %D[xv]\n\t" \
  "subi %[pe], 1\n\t" \
  "cpi %[pe], 254\n\t" \
  "brsh 80b\n\t" \
  "mov %[pe], %D[wv]\n\t" \
  "subi %[pe], 1\n\t" \
  "cpi %[pe], 254\n\t" \
  "brsh 80b\n\t" \
  /* product exponent field xf + wf - 127 in [26, 250] (after rounding at most 252: no sum can overflow) */ \
  "mov %[pe], %D[xv]\n\t" \
  "add %[pe], %D[wv]\n\t" \
  "brcs 21b\n\t" \
  "subi %[pe], 153\n\t" /* the sum below 256: at least 153 */ \
  "brcs 80b\n\t" \
  "subi %[pe], -26\n\t" \
  "22:\n\t" \
  /* the exponent bytes are free now: x's holds the product sign (ps), w's is a zero (zr) */ \
  "lsl %[pl]\n\t" \
  "clr %D[xv]\n\t" \
  "ror %D[xv]\n\t" /* ps: the sign in bit 7; bit 0 will say whether the lowest product byte is nonzero */ \
  "clr %D[wv]\n\t" \
  /* 24 x 24-bit product: P5..P0 = %D %C %B %A of ph, %B %A of pl */ \
  "mul %A[wv], %A[xv]\n\t" \
  "mov %[pl], r1\n\t" \
  "neg r0\n\t" \
  "adc %D[xv], %D[wv]\n\t" \
  "mul %B[wv], %B[xv]\n\t" \
  "movw %A[ph], r0\n\t" \
  "mul %C[wv], %C[xv]\n\t" \
  "movw %C[ph], r0\n\t" \
  "mul %A[wv], %B[xv]\n\t" \
  "add %[pl], r0\n\t" \
  "adc %A[ph], r1\n\t" \
  "adc %B[ph], %D[wv]\n\t" \
  "adc %C[ph], %D[wv]\n\t" \
  "adc %D[ph], %D[wv]\n\t" \
  "mul %B[wv], %A[xv]\n\t" \
  "add %[pl], r0\n\t" \
  "adc %A[ph], r1\n\t" \
  "adc %B[ph], %D[wv]\n\t" \
  "adc %C[ph], %D[wv]\n\t" \
  "adc %D[ph], %D[wv]\n\t" \
  "mul %A[wv], %C[xv]\n\t" \
  "add %A[ph], r0\n\t" \
  "adc %B[ph], r1\n\t" \
  "adc %C[ph], %D[wv]\n\t" \
  "adc %D[ph], %D[wv]\n\t" \
  "mul %C[wv], %A[xv]\n\t" \
  "add %A[ph], r0\n\t" \
  "adc %B[ph], r1\n\t" \
  "adc %C[ph], %D[wv]\n\t" \
  "adc %D[ph], %D[wv]\n\t" \
  "mul %B[wv], %C[xv]\n\t" \
  "add %B[ph], r0\n\t" \
  "adc %C[ph], r1\n\t" \
  "adc %D[ph], %D[wv]\n\t" \
  "mul %C[wv], %B[xv]\n\t" \
  "add %B[ph], r0\n\t" \
  "adc %C[ph], r1\n\t" \
  "adc %D[ph], %D[wv]\n\t" \
  /* normalize to 24 bits in P5:P4:P3, round bit P2.7, sticky the rest */ \
  "sbrc %D[ph], 7\n\t" \
  "rjmp 23f\n\t" \
  "lsl %[pl]\n\t" \
  "rol %A[ph]\n\t" \
  "rol %B[ph]\n\t" \
  "rol %C[ph]\n\t" \
  "rol %D[ph]\n\t" \
  "rjmp 24f\n\t" \
  "23:\n\t" \
  "inc %[pe]\n\t" \
  "24:\n\t" \
  "sbrs %A[ph], 7\n\t" \
  "rjmp 26f\n\t" \
  "mov %A[xv], %A[ph]\n\t" \
  "lsl %A[xv]\n\t" \
  "or %A[xv], %[pl]\n\t" \
  "brne 25f\n\t" \
  "sbrc %D[xv], 0\n\t" \
  "rjmp 25f\n\t" \
  "sbrs %B[ph], 0\n\t" \
  "rjmp 26f\n\t" \
  "25:\n\t" \
  "sec\n\t" \
  "adc %B[ph], %D[wv]\n\t" \
  "adc %C[ph], %D[wv]\n\t" \
  "adc %D[ph], %D[wv]\n\t" \
  "brcc 26f\n\t" \
  "ror %D[ph]\n\t" \
  "inc %[pe]\n\t" \
  "26:\n\t" \
  /* the sum: make acc (A regs, sign T) the larger magnitude */ \
  "cp %A[a], %B[ph]\n\t" \
  "cpc %B[a], %C[ph]\n\t" \
  "cpc %C[a], %D[ph]\n\t" \
  "cpc %D[a], %[pe]\n\t" \
  "brsh 30f\n\t" \
  "bld %A[wv], 7\n\t" \
  "bst %D[xv], 7\n\t" \
  "mov %D[xv], %A[wv]\n\t" \
  "movw %A[wv], %A[a]\n\t" /* acc's four bytes into wv.A, wv.B, xv.A, xv.B (free here) */ \
  "movw %A[xv], %C[a]\n\t" \
  "mov %A[a], %B[ph]\n\t" \
  "mov %B[a], %C[ph]\n\t" \
  "mov %C[a], %D[ph]\n\t" \
  "mov %D[a], %[pe]\n\t" \
  "mov %B[ph], %A[wv]\n\t" \
  "mov %C[ph], %B[wv]\n\t" \
  "mov %D[ph], %A[xv]\n\t" \
  "mov %[pe], %B[xv]\n\t" \
  "30:\n\t" \
  /* d = exponent difference; 26 or more: the smaller one cannot change the rounded sum */ \
  "neg %[pe]\n\t" \
  "add %[pe], %D[a]\n\t" \
  "cpi %[pe], 26\n\t" \
  "brlo 31f\n\t" \
  "rjmp 11b\n\t" \
  "31:\n\t" \
  /* align the smaller: P5:P4:P3, guard G = P2, sticky S = P1 */ \
  "clr %A[ph]\n\t" \
  "clr %[pl]\n\t" \
  "cpi %[pe], 8\n\t" \
  "brlo 39f\n\t" \
  /* 8 bits or more: whole bytes first, what falls off the guard byte into the sticky */ \
  "32:\n\t" \
  "or %[pl], %A[ph]\n\t" \
  "mov %A[ph], %B[ph]\n\t" \
  "mov %B[ph], %C[ph]\n\t" \
  "mov %C[ph], %D[ph]\n\t" \
  "clr %D[ph]\n\t" \
  "subi %[pe], 8\n\t" \
  "cpi %[pe], 8\n\t" \
  "brsh 32b\n\t" \
  "neg %[pl]\n\t" \
  "clr %[pl]\n\t" \
  "rol %[pl]\n\t" \
  "cpi %[pe], 4\n\t" \
  "brlo 36f\n\t" \
  "37:\n\t" \
  /* s = 4..7: f = 2^(8-s) (16 >> (s - 4)); each byte times f: high byte = byte >> s, low byte = the bits for the next */ \
  "mov %A[wv], %[pe]\n\t" \
  "ldi %[pe], 16\n\t" \
  "sbrc %A[wv], 0\n\t" \
  "lsr %[pe]\n\t" \
  "sbrc %A[wv], 1\n\t" \
  "lsr %[pe]\n\t" \
  "sbrc %A[wv], 1\n\t" \
  "lsr %[pe]\n\t" \
  "mul %D[ph], %[pe]\n\t" \
  "mov %D[ph], r1\n\t" \
  "mov %B[wv], r0\n\t" \
  "mul %C[ph], %[pe]\n\t" \
  "mov %C[ph], r1\n\t" \
  "or %C[ph], %B[wv]\n\t" \
  "mov %B[wv], r0\n\t" \
  "mul %B[ph], %[pe]\n\t" \
  "mov %B[ph], r1\n\t" \
  "or %B[ph], %B[wv]\n\t" \
  "mov %B[wv], r0\n\t" \
  "mul %A[ph], %[pe]\n\t" \
  "mov %A[ph], r1\n\t" \
  "or %A[ph], %B[wv]\n\t" \
  "neg r0\n\t" /* bits below the guard byte: into the sticky */ \
  "adc %[pl], %D[wv]\n\t" \
  "rjmp 35f\n\t" \
  "36:\n\t" \
  "tst %[pe]\n\t" \
  "breq 35f\n\t" \
  "34:\n\t" \
  "lsr %D[ph]\n\t" \
  "ror %C[ph]\n\t" \
  "ror %B[ph]\n\t" \
  "ror %A[ph]\n\t" \
  "adc %[pl], %D[wv]\n\t" \
  "dec %[pe]\n\t" \
  "brne 34b\n\t" \
  "rjmp 35f\n\t" \
  /* fewer than 8 bits (the common case): the guard byte and the sticky start at 0 and nothing falls below the guard
   * byte; 4 to 7 bits by MUL, 1 to 3 by unrolled shifts */ \
  "39:\n\t" \
  "cpi %[pe], 4\n\t" \
  "brsh 37b\n\t" \
  "tst %[pe]\n\t" \
  "breq 35f\n\t" \
  "lsr %D[ph]\n\t" \
  "ror %C[ph]\n\t" \
  "ror %B[ph]\n\t" \
  "ror %A[ph]\n\t" \
  "sbrs %[pe], 1\n\t" \
  "rjmp 35f\n\t" \
  "lsr %D[ph]\n\t" \
  "ror %C[ph]\n\t" \
  "ror %B[ph]\n\t" \
  "ror %A[ph]\n\t" \
  "sbrs %[pe], 0\n\t" \
  "rjmp 35f\n\t" \
  "lsr %D[ph]\n\t" \
  "ror %C[ph]\n\t" \
  "ror %B[ph]\n\t" \
  "ror %A[ph]\n\t" \
  "35:\n\t" \
  /* same signs: add; else subtract */ \
  "bld %A[wv], 7\n\t" \
  "eor %A[wv], %D[xv]\n\t" \
  "sbrc %A[wv], 7\n\t" \
  "rjmp 50f\n\t" \
  "add %A[a], %B[ph]\n\t" \
  "adc %B[a], %C[ph]\n\t" \
  "adc %C[a], %D[ph]\n\t" \
  "brcc 44f\n\t" \
  "ror %C[a]\n\t" \
  "ror %B[a]\n\t" \
  "ror %A[a]\n\t" \
  "ror %A[ph]\n\t" \
  "adc %[pl], %D[wv]\n\t" \
  "inc %D[a]\n\t" \
  "rjmp 45f\n\t" \
  "44:\n\t" \
  /* a sum without carry keeps the larger operand's exponent, already in range (the accumulator's, checked, or the
   * product's, at most 252): the same rounding as at 45, back to the loop without the accumulator check unless the
   * rounding carries */ \
  "sbrs %A[ph], 7\n\t" \
  "rjmp 11b\n\t" \
  "mov %A[xv], %A[ph]\n\t" \
  "lsl %A[xv]\n\t" \
  "or %A[xv], %[pl]\n\t" \
  "brne 43f\n\t" \
  "sbrs %A[a], 0\n\t" \
  "rjmp 11b\n\t" \
  "43:\n\t" \
  "sec\n\t" \
  "adc %A[a], %D[wv]\n\t" \
  "adc %B[a], %D[wv]\n\t" \
  "adc %C[a], %D[wv]\n\t" \
  "brcs 48f\n\t" \
  "rjmp 11b\n\t" \
  "48:\n\t" \
  "ror %C[a]\n\t" \
  "inc %D[a]\n\t" \
  "rjmp 10b\n\t" \
  "50:\n\t" \
  /* (A2 A1 A0 . 0 . 0) - (P5 P4 P3 . G . S) into A2 A1 A0 . wv.A . wv.B */ \
  "clr %A[wv]\n\t" \
  "clr %B[wv]\n\t" \
  "sub %B[wv], %[pl]\n\t" \
  "sbc %A[wv], %A[ph]\n\t" \
  "sbc %A[a], %B[ph]\n\t" \
  "sbc %B[a], %C[ph]\n\t" \
  "sbc %C[a], %D[ph]\n\t" \
  "mov %A[xv], %A[a]\n\t" \
  "or %A[xv], %B[a]\n\t" \
  "or %A[xv], %C[a]\n\t" \
  "or %A[xv], %A[wv]\n\t" \
  "or %A[xv], %B[wv]\n\t" \
  "brne 51f\n\t" \
  /* exact cancellation: +0 (round to nearest), the element is done, the loop stops on the zero */ \
  "clr %D[a]\n\t" \
  "clt\n\t" \
  "rjmp 90f\n\t" \
  "51:\n\t" \
  "sbrc %C[a], 7\n\t" \
  "rjmp 52f\n\t" \
  "lsl %B[wv]\n\t" \
  "rol %A[wv]\n\t" \
  "rol %A[a]\n\t" \
  "rol %B[a]\n\t" \
  "rol %C[a]\n\t" \
  "dec %D[a]\n\t" \
  "rjmp 51b\n\t" \
  "52:\n\t" \
  "mov %A[ph], %A[wv]\n\t" \
  "mov %[pl], %B[wv]\n\t" \
  "45:\n\t" \
  /* round to nearest even: round bit G.7, sticky (G & 0x7f) | S, lsb A0.0 */ \
  "sbrs %A[ph], 7\n\t" \
  "rjmp 10b\n\t" \
  "mov %A[xv], %A[ph]\n\t" \
  "lsl %A[xv]\n\t" \
  "or %A[xv], %[pl]\n\t" \
  "brne 46f\n\t" \
  "sbrs %A[a], 0\n\t" \
  "rjmp 10b\n\t" \
  "46:\n\t" \
  "sec\n\t" \
  "adc %A[a], %D[wv]\n\t" \
  "adc %B[a], %D[wv]\n\t" \
  "adc %C[a], %D[wv]\n\t" \
  "brcc 47f\n\t" \
  "ror %C[a]\n\t" \
  "inc %D[a]\n\t" \
  "47:\n\t" \
  "rjmp 10b\n\t" \
  "90:\n\t" \
  /* pack acc */ \
  "lsl %C[a]\n\t" \
  "lsr %D[a]\n\t" \
  "ror %C[a]\n\t" \
  "bld %D[a], 7\n\t" \
  "clr __zero_reg__\n\t" \
  ""

/* Out of line, so the assembly has nearly every register to itself. */
static NN_UNUSED __attribute__((noinline)) uint32_t nn_dot_run(uint32_t acc, nn_dot_state *st) {
  const uint8_t *w = st->w, *x = st->x;
  uint8_t n = st->n;
  NN_DOT_ASM(acc, w, x, n);
  st->w = w;
  st->x = x;
  st->n = n;
  return acc;
}

#endif
