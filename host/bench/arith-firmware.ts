// The arithmetic fuzz firmware: a bare ATmega328P program (no Arduino core) that applies one of the firmware's float
// operations to a batch of operand sets the host wrote into SRAM, then flags the batch done. Built with avr-gcc and
// avr-libc's libm, the same float routines the generated sketches link; the runtime headers are the real ones.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { readElfSymbols } from '../sim/elf-symbols.js';

const RUNTIME_DIR = fileURLToPath(new URL('../../firmware-templates/runtime/', import.meta.url));

/** Operand sets per batch: six float arrays of this length fit the Uno's 2 KB of SRAM with room for the stack. */
export const ARITH_BATCH = 64;

/** The operations, in the order of their codes in the firmware's switch. */
export const ARITH_OPS = ['mul', 'add', 'div', 'divsmall', 'mac', 'exp', 'sigmoid', 'tanh', 'softmax', 'expf', 'none', 'dot'] as const;

/** Elements per row of the 'dot' operation: set i runs nn_dot over sets i .. i + DOT_SPAN - 1 of the batch. */
export const DOT_SPAN = 8;
export type ArithOp = (typeof ARITH_OPS)[number];

const SOURCE = `/* Arithmetic fuzz firmware: fz_state 1 = batch ready (host), 2 = done (board). */
#include <math.h>
#include <stdint.h>
#include <avr/pgmspace.h>
/* Weights in flash, as in the sketches: nn_dot runs the assembly kernel (the host writes fz_w into flash). */
#define NN_WEIGHTS_IN_FLASH 1
#include "nn_runtime.h"

#define N ${ARITH_BATCH}
volatile uint8_t fz_state;
volatile uint8_t fz_op;
volatile uint8_t fz_count;
float fz_a[N], fz_b[N], fz_c[N];
const float fz_w[N] PROGMEM = { 0 };
float fz_r0[N], fz_r1[N], fz_r2[N];

/* Each case loops over the batch itself so that a batch's cycles are N times one operation plus a small loop. */
static void run_batch(uint8_t op, uint8_t n) {
  uint8_t i;
  float v[3];
  switch (op) {
    case 0: for (i = 0; i < n; i++) fz_r0[i] = fz_a[i] * fz_b[i]; break;
    case 1: for (i = 0; i < n; i++) fz_r0[i] = fz_a[i] + fz_b[i]; break;
    case 2: for (i = 0; i < n; i++) fz_r0[i] = fz_a[i] / fz_b[i]; break;
    case 3: for (i = 0; i < n; i++) fz_r0[i] = nn_div_small(fz_a[i], fz_b[i]); break;
    case 4: for (i = 0; i < n; i++) fz_r0[i] = nn_dot(fz_c[i], &fz_w[i], &fz_b[i], &fz_b[i] + 1); break;
    case 5: for (i = 0; i < n; i++) fz_r0[i] = nn_exp_neg(fz_a[i]); break;
    case 6: for (i = 0; i < n; i++) fz_r0[i] = nn_sigmoid(fz_a[i]); break;
    case 7: for (i = 0; i < n; i++) fz_r0[i] = nn_tanh(fz_a[i]); break;
    case 8:
      for (i = 0; i < n; i++) {
        v[0] = fz_a[i]; v[1] = fz_b[i]; v[2] = fz_c[i];
        nn_softmax_vec(v, 3);
        fz_r0[i] = v[0]; fz_r1[i] = v[1]; fz_r2[i] = v[2];
      }
      break;
    case 9: for (i = 0; i < n; i++) fz_r0[i] = expf(fz_a[i]); break;
    case 11:
      for (i = 0; i < n; i++) fz_r0[i] = nn_dot(fz_c[i], &fz_w[i], &fz_b[i], &fz_b[i + ${DOT_SPAN} <= n ? i + ${DOT_SPAN} : n]);
      break;
    default: for (i = 0; i < n; i++) fz_r0[i] = fz_a[i]; break;
  }
}

int main(void) {
  for (;;) {
    while (fz_state != 1) {
    }
    run_batch(fz_op, fz_count);
    fz_state = 2;
  }
}
`;

export interface ArithFirmware {
  readonly hex: string;
  /** SRAM addresses (data space) of the firmware's variables. */
  readonly addr: Record<'state' | 'op' | 'count' | 'a' | 'b' | 'c' | 'r0' | 'r1' | 'r2', number>;
  /** Flash byte address of fz_w, the weights nn_dot reads (the host writes the operand a there). */
  readonly weights: number;
  /** Flash bytes of the program (avr-size text + data). */
  readonly flashBytes: number;
  /** Whether nn_dot runs the assembly kernel (nn_dot_run is in the program). */
  readonly asmKernel: boolean;
}

const run = promisify(execFile);

/** Compile the fuzz firmware with avr-gcc -Os for the ATmega328P (as the sketches are) into a fresh temp folder. */
export async function buildArithFirmware(): Promise<ArithFirmware> {
  const dir = mkdtempSync(path.join(tmpdir(), 'nn-arith-fw-'));
  const src = path.join(dir, 'arith.c');
  const elf = path.join(dir, 'arith.elf');
  const hex = path.join(dir, 'arith.hex');
  writeFileSync(src, SOURCE);
  await run('avr-gcc', ['-mmcu=atmega328p', '-Os', '-std=gnu11', '-Wall', '-Werror', '-ffunction-sections', '-fdata-sections', '-Wl,--gc-sections', `-I${RUNTIME_DIR}`, src, '-o', elf, '-lm']);
  await run('avr-objcopy', ['-O', 'ihex', '-R', '.eeprom', elf, hex]);
  const symbols = readElfSymbols(readFileSync(elf), elf);
  const at = (name: string): number => {
    const v = symbols.get(name);
    if (v === undefined) throw new Error(`arith firmware: no symbol ${name}`);
    return v & 0xffff;
  };
  const size = (await run('avr-size', ['-A', elf])).stdout;
  const section = (name: string): number => Number(new RegExp(`^\\${name}\\s+(\\d+)`, 'm').exec(size)?.[1] ?? 0);
  return {
    hex: readFileSync(hex, 'latin1'),
    addr: { state: at('fz_state'), op: at('fz_op'), count: at('fz_count'), a: at('fz_a'), b: at('fz_b'), c: at('fz_c'), r0: at('fz_r0'), r1: at('fz_r1'), r2: at('fz_r2') },
    weights: symbols.get('fz_w') ?? (() => { throw new Error('arith firmware: no symbol fz_w'); })(),
    flashBytes: section('.text') + section('.data'),
    asmKernel: symbols.has('nn_dot_run'),
  };
}
