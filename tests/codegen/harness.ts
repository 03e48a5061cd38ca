// Builds and runs the host-compiled harness (harness.c + a generated sketch folder) with the host's gcc.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HARNESS_C = fileURLToPath(new URL('./harness.c', import.meta.url));

/** The strict flags: float only (no double promotion), no contraction into FMA, every warning an error. */
export const HOST_CFLAGS = [
  '-std=c99',
  '-O2',
  '-Wall',
  '-Wextra',
  '-Wdouble-promotion',
  '-Wfloat-conversion',
  '-Werror',
  '-ffp-contract=off',
  '-DNN_WEIGHTS_IN_FLASH=0',
];

/**
 * GNU C with every contraction allowed (-ffp-contract=fast, GCC's default outside ISO mode) on a CPU with fused
 * multiply-add: only the runtime's own pragmas keep `acc + w * x` two roundings.
 */
export const FMA_CFLAGS = [
  '-std=gnu99',
  '-O2',
  '-march=haswell',
  '-ffp-contract=fast',
  '-Wall',
  '-Wextra',
  '-Wdouble-promotion',
  '-Wfloat-conversion',
  '-Werror',
  '-DNN_WEIGHTS_IN_FLASH=0',
];

/** Compile harness.c against the sketch folder's nn_model.h (with `flags`, default HOST_CFLAGS); returns the executable's path. */
export function compileHarness(sketchDir: string, flags: readonly string[] = HOST_CFLAGS): string {
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'nn-harness-')), 'harness');
  execFileSync('gcc', [...flags, `-I${sketchDir}`, HARNESS_C, '-o', out, '-lm'], { stdio: ['ignore', 'pipe', 'pipe'] });
  return out;
}

export function runHarness(exe: string, mode: 'predict' | 'model' | 'serial', input: string | Buffer = ''): string {
  return execFileSync(exe, [mode], { input, maxBuffer: 64 * 1024 * 1024 }).toString('latin1');
}
