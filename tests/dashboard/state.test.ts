// The dashboard reducer: counters, confusion matrix, latency quantiles, bounded histories and the CSV export.
import { describe, expect, it } from 'vitest';
import {
  Ring, addLatency, createDashboardState, csvHeader, exportCsv, foldEvent, latencyBins, latencyQuantile, rowsPerSecond, viewOf,
} from '../../host/dashboard/state.js';
import type { LatencyHistogram } from '../../host/dashboard/state.js';
import { READY, row, run } from './synthetic.js';

const hist = (): LatencyHistogram => ({ bucketUs: 1, counts: new Map(), total: 0, minUs: Infinity, maxUs: -Infinity });

describe('Ring', () => {
  it('keeps the newest items in order and counts the dropped ones', () => {
    const r = new Ring<number>(3);
    for (let i = 1; i <= 7; i++) r.push(i);
    expect(r.toArray()).toEqual([5, 6, 7]);
    expect(r.dropped).toBe(4);
    expect(r.length).toBe(3);
  });
  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new Ring(0)).toThrow(/capacity 0/);
  });
});

describe('latency histogram', () => {
  it('gives nearest-rank median and p99 of 1..100 µs as 50 and 99', () => {
    const h = hist();
    for (let us = 100; us >= 1; us--) addLatency(h, us, 1000);
    expect(latencyQuantile(h, 0.5)).toBe(50);
    expect(latencyQuantile(h, 0.99)).toBe(99);
    expect(latencyQuantile(h, 1)).toBe(100);
    expect(h.minUs).toBe(1);
    expect(h.maxUs).toBe(100);
  });
  it('halves its resolution when it has too many buckets, keeping every count and the quantiles within a bucket', () => {
    const h = hist();
    for (let us = 0; us < 1000; us++) addLatency(h, us, 64);
    expect(h.counts.size).toBeLessThanOrEqual(64);
    expect(h.bucketUs).toBe(16); // 1000 distinct values need 16 µs buckets to fit in 64
    expect([...h.counts.values()].reduce((a, b) => a + b, 0)).toBe(1000);
    const median = latencyQuantile(h, 0.5) as number;
    expect(Math.abs(median - 499)).toBeLessThanOrEqual(h.bucketUs);
  });
  it('is empty without latencies', () => {
    expect(latencyQuantile(hist(), 0.5)).toBeNull();
    expect(latencyBins(hist())).toBeNull();
  });
  it('re-bins into at most the bins asked, counts preserved', () => {
    const h = hist();
    for (let i = 0; i < 500; i++) addLatency(h, 1000 + (i % 250), 4096);
    const b = latencyBins(h, 40)!;
    expect(b.counts.length).toBe(40);
    expect(b.counts.reduce((a, c) => a + c, 0)).toBe(500);
    expect(b.startUs).toBe(1000);
  });
});

describe('foldEvent', () => {
  it('counts a clean run: every row bit-identical, one request per row, agreement 100%', () => {
    const s = createDashboardState({ model: { labels: ['a', 'b'], hash: READY.model, task: 'classification' } });
    run(10).forEach((e, i) => foldEvent(s, e, i));
    const v = viewOf(s, 't', 100);
    expect(v.counters).toMatchObject({ sent: 10, done: 10, answered: 10, bitIdentical: 10, mismatched: 0, failed: 0, resets: 0 });
    expect(v.connection).toBe('done');
    expect(v.hashMatches).toBe(true);
    expect(v.classAgreement).toBe(1);
    // labels alternate a,b; the board always says b: 5 right of 10
    expect(v.boardAccuracy).toBe(0.5);
    expect(v.classes).toEqual(['a', 'b']);
    expect(v.confusion).toEqual([[0, 5], [0, 5]]);
    expect(v.latency.medianUs).toBe(1000);
  });

  it('counts mismatches and failures apart, keeps them in the bad list, tracks the largest ulp', () => {
    const s = createDashboardState();
    const bad = (i: number) =>
      i === 3 ? { status: 'mismatched' as const, maxUlp: 2, boardOutputs: [0.25, 0.7500001], boardPrediction: 'b' }
      : i === 5 ? { status: 'failed' as const, maxUlp: null, boardOutputs: null, boardPrediction: undefined, cycles: null, latencyUs: null, attempts: 3, error: 'timeout' }
      : undefined;
    run(8, { bad }).forEach((e, i) => foldEvent(s, e, i));
    const c = s.counters;
    expect([c.done, c.answered, c.bitIdentical, c.mismatched, c.failed, c.maxUlp, c.retries]).toEqual([8, 7, 6, 1, 1, 2, 2]);
    expect(s.bad.toArray().map((r) => r.index)).toEqual([3, 5]);
    expect(s.latency.total).toBe(7);
    // the failed row has no board prediction: 7 predicted rows, all agree
    expect(c.predicted).toBe(7);
  });

  it('notes a board reset once, in the log with the rows done so far', () => {
    const s = createDashboardState();
    run(6, { resetAfter: 4 }).forEach((e, i) => foldEvent(s, e, i));
    expect(s.counters.resets).toBe(1);
    const log = s.stateLog.toArray();
    expect(log.map((x) => x.state)).toEqual(['opening', 'waiting-ready', 'streaming', 'board-reset', 'streaming', 'done']);
    expect(log[3]?.rowsDone).toBe(4);
  });

  it('adds classes it did not know in order of appearance and grows the matrix square', () => {
    const s = createDashboardState({ model: { labels: ['x'], task: 'classification' } });
    foldEvent(s, { type: 'row', row: row(0, { label: 'x', boardPrediction: 'y', hostPrediction: 'y' }) }, 0);
    foldEvent(s, { type: 'row', row: row(1, { label: 'z', boardPrediction: 'x', hostPrediction: 'x' }) }, 0);
    expect(s.classes).toEqual(['x', 'y', 'z']);
    expect(s.confusion).toEqual([[0, 1, 0], [0, 0, 0], [1, 0, 0]]);
  });

  it('keeps no confusion matrix for regression', () => {
    const s = createDashboardState({ model: { task: 'regression' } });
    foldEvent(s, { type: 'row', row: row(0, { label: '1.5', hostPrediction: undefined, boardPrediction: undefined }) }, 0);
    expect(s.classes).toEqual([]);
  });

  it('bounds every history', () => {
    const s = createDashboardState({ recentRows: 5, badRows: 2, consoleLines: 4, exportRows: 3 });
    run(20, { bad: () => ({ status: 'mismatched', maxUlp: 1 }) }).forEach((e, i) => foldEvent(s, e, i));
    expect(s.recent.length).toBe(5);
    expect(s.bad.length).toBe(2);
    expect(s.console.length).toBe(4);
    expect(s.csv.length).toBe(3);
    expect(viewOf(s, 't', 0).exportDropped).toBe(17);
    expect(s.counters.done).toBe(20);
  });

  it('takes resets, garbled lines and the rate from the summary', () => {
    const s = createDashboardState();
    foldEvent(s, {
      type: 'summary',
      report: {
        modelHash: READY.model, boardHash: READY.model, boardId: 'uno', port: 'sim', rows: 4, sent: 5, answered: 4, bitIdentical: 4,
        mismatched: 0, failed: 0, nonFinite: 0, nonFiniteRows: [], maxUlp: 0, classAgreement: 1, boardAccuracy: 1, latency: null, rowsPerSecond: 321, seconds: 1,
        resets: 2, garbledLines: 3, boardErrors: 1, retries: 1,
      },
    }, 0);
    expect(s.counters.resets).toBe(2);
    expect(s.counters.garbledLines).toBe(3);
    expect(s.expectedRows).toBe(4);
    expect(rowsPerSecond(s, 0)).toBe(321);
  });
});

describe('rowsPerSecond', () => {
  it('measures the recent rate and drops to 0 when rows stop', () => {
    const s = createDashboardState();
    // 101 rows 10 ms apart: 100 per second
    for (let i = 0; i <= 100; i++) foldEvent(s, { type: 'row', row: row(i) }, 1000 + i * 10);
    expect(rowsPerSecond(s, 2000, 1000)).toBeCloseTo(100, -1);
    expect(rowsPerSecond(s, 5000, 1000)).toBe(0);
  });
});

describe('CSV export', () => {
  it('has a header and one line per row, quoting cells that need it, numbers exact', () => {
    const s = createDashboardState({ model: { inputNames: ['x', 'y,1', 'z'], outputNames: ['a', 'b'] } });
    const tiny = Math.fround(0.1);
    foldEvent(s, { type: 'row', row: row(0, { inputs: [tiny, 2, 3], label: 'say "hi"' }) }, 0);
    foldEvent(s, { type: 'row', row: row(1, { status: 'failed', boardOutputs: null, maxUlp: null, error: 'timeout' }) }, 0);
    const lines = exportCsv(s).trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe(csvHeader(s.model, 3, 2));
    expect(lines[0]).toContain('"in:y,1"');
    const first = lines[1]!.split(',');
    expect(Number(first[10])).toBe(tiny); // survives the round trip as the same float32
    expect(lines[1]).toContain('"say ""hi"""');
    expect(lines[2]).toMatch(/^1,failed,,b,b,b,.*,timeout,/);
    expect(lines[2]!.endsWith(',,')).toBe(true); // no board outputs
  });
});
