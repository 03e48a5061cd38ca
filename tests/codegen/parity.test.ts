// The host-compiled C (generated header + runtime, gcc -Werror, no double) against the TypeScript forward pass: bit for bit.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateSketch } from '../../host/codegen/generate.js';
import { getBoard } from '../../host/core/boards.js';
import { f32ToHex } from '../../host/core/f32.js';
import { forward } from '../../host/model/forward.js';
import { compileHarness, runHarness } from './harness.js';
import { stressCase, trainedCases } from './models.js';
import type { ParityCase } from './models.js';

async function harnessFor(c: ParityCase): Promise<string> {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'nn-parity-')), 'sketch');
  await generateSketch(c.model, getBoard('uno'), { outDir: dir });
  return compileHarness(dir);
}

function checkParity(c: ParityCase, exe: string): void {
  const input = c.rows.map((r) => r.map(f32ToHex).join('')).join('\n') + '\n';
  const lines = runHarness(exe, 'predict', input).trimEnd().split('\n');
  expect(lines).toHaveLength(c.rows.length);
  let mismatches = 0;
  c.rows.forEach((row, r) => {
    const want = Array.from(forward(c.model, row), f32ToHex).join('');
    if (lines[r] !== want) {
      if (mismatches++ < 3) expect.soft(lines[r], `${c.name}, row ${r}`).toBe(want);
    }
  });
  expect(mismatches, `${c.name}: rows whose C outputs differ from forward()`).toBe(0);
}

describe('host-compiled C vs forward(), bit for bit', () => {
  const cases = trainedCases();
  for (const c of cases) {
    it(`${c.name} (${c.model.layers.map((l) => l.inputs).join('-')}-${c.model.layers.at(-1)!.outputs}), ${c.rows.length} rows`, async () => {
      checkParity(c, await harnessFor(c));
    });
  }

  it('the trained digits model really has zero inputs and dead relu units (the skipped multiply-adds are exercised)', () => {
    const digits = cases.find((c) => c.name.endsWith('digits'))!;
    expect(digits.model.normalization.method).toBe('minmax');
    expect(digits.rows.some((r) => r.includes(0))).toBe(true);
  });

  for (const seed of [1, 2, 3]) {
    it(`stress net ${seed}: tanh, sigmoid, linear, softmax over inputs from 1e-2 to 1e3`, async () => {
      const c = stressCase(seed);
      checkParity(c, await harnessFor(c));
    });
  }
});
