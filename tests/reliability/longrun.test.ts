// Long run, the suite's version of `npm run bench:longrun`: 3,000 generated rows through the virtual Uno over a real pty, a reset every 1,000 and a garbage burst half way between.
import { beforeAll, describe, expect, it } from 'vitest';
import { buildFirmware } from '../../host/bench/bench-fuzz.js';
import { formatLongRun, runLongRun } from '../../host/bench/bench-longrun.js';
import type { LongRunReport } from '../../host/bench/bench-longrun.js';

const ROWS = 3000;
let run: LongRunReport;

beforeAll(async () => {
  const demo = await buildFirmware('demo');
  run = await runLongRun({ model: demo.model, hexPath: demo.hexPath, board: demo.board, rows: ROWS, every: 1000, sampleRows: demo.dataset.inputs });
  console.log(formatLongRun(run, `demo (${demo.model.hash})`));
}, 600_000);

describe('3,000 rows with resets and garbage on the virtual Uno', () => {
  it('fired the faults', () => {
    expect(run.resetsFired).toBe(2);
    expect(run.burstsFired).toBe(3);
    expect(run.report.retries).toBeGreaterThan(0); // the faults cost something, and the session paid for it
  });

  it('accounts for every row exactly once', () => {
    expect(run.report.rows).toBe(ROWS);
    expect(run.accountedOnce).toBe(ROWS);
    expect(run.duplicates).toBe(0);
    expect(run.missing).toBe(0);
    expect(run.report.bitIdentical + run.report.mismatched + run.report.failed).toBe(ROWS);
  });

  it('gets every row right despite the faults: bit-identical, checked again against forward() of the regenerated row', () => {
    expect(run.failReasons).toEqual({});
    expect(run.report.bitIdentical).toBe(ROWS);
    expect(run.independentMismatches).toBe(0);
  });

  it('keeps host memory flat: the heap at the end within 16 MB of the start', () => {
    expect(run.samples).toBeGreaterThan(10);
    expect(run.heapLastTenthBytes - run.heapFirstTenthBytes).toBeLessThan(16 * 2 ** 20);
  });
});
