// Chips with fused multiply-add: the runtime forbids contraction itself, so the header stays exact wherever it is compiled.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generateSketch } from '../../host/codegen/generate.js';
import { getBoard } from '../../host/core/boards.js';
import { f32ToHex } from '../../host/core/f32.js';
import { forward } from '../../host/model/forward.js';
import { compileHarness, FMA_CFLAGS, runHarness } from './harness.js';
import { stressCase, trainedCases } from './models.js';
import type { ParityCase } from './models.js';

const cpuHasFma = existsSync('/proc/cpuinfo') && /\bfma\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));
const NO_PRAGMA = ['-DNN_EXACT_BEGIN=', '-DNN_EXACT_END='];

async function sketchFor(c: ParityCase): Promise<string> {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'nn-fma-')), 'sketch');
  await generateSketch(c.model, getBoard('uno'), { outDir: dir });
  return dir;
}

/** Rows whose outputs differ from forward(); `runner` runs the executable (qemu-arm for an ARM build). */
function differingRows(c: ParityCase, exe: string, runner?: string): number {
  const input = c.rows.map((r) => r.map(f32ToHex).join('')).join('\n') + '\n';
  const output = runner
    ? execFileSync(runner, [exe, 'predict'], { input, maxBuffer: 64 * 1024 * 1024 }).toString('latin1')
    : runHarness(exe, 'predict', input);
  const lines = output.trimEnd().split('\n');
  expect(lines).toHaveLength(c.rows.length);
  return c.rows.filter((row, r) => lines[r] !== Array.from(forward(c.model, row), f32ToHex).join('')).length;
}

describe.skipIf(!cpuHasFma)('host harness built with -O2 -march=haswell -ffp-contract=fast (this CPU has FMA)', () => {
  const digits = trainedCases().find((c) => c.name.endsWith('digits'))!;
  const cases = [digits, stressCase(1), stressCase(2)];

  for (const c of cases) {
    it(`${c.name}: bit-identical to forward()`, async () => {
      expect(differingRows(c, compileHarness(await sketchFor(c), FMA_CFLAGS))).toBe(0);
    });
  }

  it('the same build without the runtime\'s pragmas really contracts: most digits rows differ (the test can fail)', async () => {
    const exe = compileHarness(await sketchFor(digits), [...FMA_CFLAGS, ...NO_PRAGMA]);
    expect(differingRows(digits, exe)).toBeGreaterThan(digits.rows.length / 2);
  });
});

if (!cpuHasFma) {
  it.skip('host harness with FMA: skipped, this CPU has no fused multiply-add (no "fma" in /proc/cpuinfo)', () => {});
}

const HARNESS_C = fileURLToPath(new URL('./harness.c', import.meta.url));
const ARM_COMMON = ['-std=gnu99', '-O2', '-ffp-contract=fast', '-Wall', '-Wextra', '-Werror', '-DNN_WEIGHTS_IN_FLASH=0'];
/** Cortex-M4F: single-precision FPU with vfma.f32. */
const CORTEX_M4F = ['-mcpu=cortex-m4', '-mthumb', '-mfpu=fpv4-sp-d16', '-mfloat-abi=hard'];
/** Cortex-A7 with VFPv4 (vfma.f32 too), ARM mode: qemu-arm's user mode runs it, with newlib's semihosting for stdio. */
const CORTEX_A7 = ['-marm', '-mcpu=cortex-a7', '-mfpu=vfpv4', '-mfloat-abi=hard', '--specs=rdimon.specs'];
const FUSED = /\bv(fma|fms|fnma|fnms)\b/;

function has(tool: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const haveArmGcc = has('arm-none-eabi-gcc') && has('arm-none-eabi-objdump');
const haveQemu = haveArmGcc && has('qemu-arm');

function armCompile(sketchDir: string, target: readonly string[], extra: readonly string[], link: boolean): string {
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'nn-arm-')), link ? 'harness.elf' : 'harness.o');
  execFileSync('arm-none-eabi-gcc', [...target, ...ARM_COMMON, ...extra, `-I${sketchDir}`, ...(link ? [] : ['-c']), HARNESS_C, '-o', out, ...(link ? ['-lm'] : [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return out;
}

/** The disassembly of nn_dot, nn_dense and the activations (every function of the runtime that does float arithmetic). */
function runtimeDisassembly(obj: string): string {
  const text = execFileSync('arm-none-eabi-objdump', ['-d', obj], { maxBuffer: 64 * 1024 * 1024 }).toString();
  const blocks = text.split(/\n(?=[0-9a-f]+ <)/).filter((b) => /^[0-9a-f]+ <nn_/.test(b));
  expect(blocks.length, 'no nn_ functions in the object').toBeGreaterThan(0);
  return blocks.join('\n');
}

describe.skipIf(!haveArmGcc)('ARM Cortex-M4F cross build (arm-none-eabi-gcc -O2 -ffp-contract=fast)', () => {
  const digits = trainedCases().find((c) => c.name.endsWith('digits'))!;

  it('the dense loop and the activations contain no fused multiply-add instruction', async () => {
    const dis = runtimeDisassembly(armCompile(await sketchFor(stressCase(1)), CORTEX_M4F, [], false));
    expect(dis).toMatch(/<nn_dot>/);
    expect(dis).toMatch(/\bvmul\.f32\b/);
    expect(dis.split('\n').filter((l) => FUSED.test(l))).toEqual([]);
  });

  it('without the runtime\'s pragmas the same build has vfma (the check can fail)', async () => {
    const dis = runtimeDisassembly(armCompile(await sketchFor(stressCase(1)), CORTEX_M4F, NO_PRAGMA, false));
    expect(dis).toMatch(FUSED);
  });

  it.skipIf(!haveQemu)('run under qemu-arm (Cortex-A7 + VFPv4, ARM mode, semihosting): digits bit-identical to forward()', async () => {
    const dir = await sketchFor(digits);
    expect(differingRows(digits, armCompile(dir, CORTEX_A7, [], true), 'qemu-arm')).toBe(0);
    // The control: the same source without the pragmas, contracted, differs on most rows.
    expect(differingRows(digits, armCompile(dir, CORTEX_A7, NO_PRAGMA, true), 'qemu-arm')).toBeGreaterThan(digits.rows.length / 2);
  }, 120_000);
});

if (!haveArmGcc) {
  it.skip('ARM cross build: skipped, arm-none-eabi-gcc is not installed (apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi)', () => {});
} else if (!haveQemu) {
  it.skip('ARM under qemu: skipped, qemu-arm is not installed (apt-get install qemu-user)', () => {});
}
