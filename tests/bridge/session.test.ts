// Session against the TypeScript mock board on a manual clock: pacing, every fault, and the report's sums. No test
// waits on the wall clock: simulated time jumps from one timer to the next.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BoardNotReadyError, ModelHashMismatchError, UsageError } from '../../host/core/errors.js';
import { MockBoard } from '../../host/bridge/mock-board.js';
import type { MockBoardOptions } from '../../host/bridge/mock-board.js';
import { createSession, defaultTimeoutMs, DisconnectedSessionError, runSession } from '../../host/bridge/session.js';
import type { RowInput, SessionOptions } from '../../host/bridge/session.js';
import type { ComparisonReport, RowResult, SessionEvent } from '../../host/bridge/events.js';
import { formatReport, reportPassed } from '../../host/bridge/report.js';
import { makeModel, makeRows, uno } from './fixtures.js';
import { ManualClock } from './manual-clock.js';

const model = makeModel([4, 6, 3]);
const rows = makeRows(model, 120);

function setup(board: Partial<MockBoardOptions> = {}, session: Partial<SessionOptions> = {}) {
  const clock = new ManualClock();
  const mock = new MockBoard({ model, board: uno, clock, ...board });
  const results: RowResult[] = [];
  const events: SessionEvent[] = [];
  const opts: SessionOptions = {
    model,
    rows,
    transport: mock,
    board: uno,
    timeoutMs: 1000,
    clock,
    onEvent: (e) => {
      events.push(e);
      if (e.type === 'row') results.push(e.row);
    },
    ...session,
  };
  /** Run the session to its end on the manual clock. */
  const run = (o: SessionOptions = opts): Promise<ComparisonReport> => clock.run(runSession(o));
  return { mock, results, events, opts, clock, run };
}

/** How many of the request ordinals 1..n the predicate picks. */
const countOf = (n: number, pick: (i: number) => boolean): number => Array.from({ length: n }, (_, i) => i + 1).filter(pick).length;

/** Every row index appears exactly once, and the report's counts are the sums of the row statuses. */
function expectAccounted(report: ComparisonReport, results: RowResult[], total: number): void {
  expect(results.map((r) => r.index).sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i));
  expect(report.rows).toBe(total);
  expect(report.bitIdentical).toBe(results.filter((r) => r.status === 'bit-identical').length);
  expect(report.mismatched).toBe(results.filter((r) => r.status === 'mismatched').length);
  expect(report.failed).toBe(results.filter((r) => r.status === 'failed').length);
  expect(report.bitIdentical + report.mismatched + report.failed).toBe(total);
  expect(report.answered).toBe(report.bitIdentical + report.mismatched);
  expect(report.sent).toBe(results.reduce((s, r) => s + r.attempts, 0));
}

describe('session on a healthy board', () => {
  it('answers every row bit-identically, keeps the window full but never overfull', async () => {
    const { mock, results, opts, run } = setup();
    const report = await run();
    expectAccounted(report, results, rows.length);
    expect(report.bitIdentical).toBe(rows.length);
    expect(report.sent).toBe(rows.length);
    expect(report.retries).toBe(0);
    expect(report.maxUlp).toBe(0);
    expect(report.classAgreement).toBe(1);
    expect(report.modelHash).toBe(model.hash);
    expect(report.boardHash).toBe(model.hash);
    expect(mock.stats.violations).toEqual([]);
    expect(mock.stats.maxOutstanding).toBe(2);
    expect(reportPassed(report)).toBe(true);
    // Latency from the cycles at 16 MHz: the mock reports a fixed count, so min = max = cycles / 16.
    const cycles = results[0]!.cycles!;
    expect(report.latency).toEqual({ minUs: cycles / 16, medianUs: cycles / 16, p99Us: cycles / 16, maxUs: cycles / 16 });
    // Board accuracy against the (random) labels is the share of rows whose board prediction equals the label.
    const agree = results.filter((r) => r.label === r.boardPrediction).length;
    expect(report.boardAccuracy).toBeCloseTo(agree / rows.length, 12);
    expect(formatReport(report)).toMatch(/PASS/);
  });

  it('matches replies by sequence number and sends exact float32 bits', async () => {
    const { mock, results, opts, run } = setup();
    await run();
    const seqs = results.map((r) => r.seq);
    expect(new Set(seqs).size).toBe(rows.length);
    // Request of row 0 carries its inputs as float32 hex, in order.
    const first = mock.hostLines.find((l) => l.startsWith('>1:'))!;
    const hex = rows[0]!.inputs.map((x) => {
      const dv = new DataView(new ArrayBuffer(4));
      dv.setFloat32(0, x);
      return dv.getUint32(0).toString(16).padStart(8, '0');
    });
    expect(first.slice(3, 3 + 32)).toBe(hex.join(''));
  });

  it('uses the window the board announces, and a smaller one when asked', async () => {
    const three = setup({ window: 3 });
    await three.run();
    expect(three.mock.stats.maxOutstanding).toBe(3);
    expect(three.mock.stats.violations).toEqual([]);
    const one = setup({ window: 3 }, { window: 1 });
    await one.run();
    expect(one.mock.stats.maxOutstanding).toBe(1);
  });

  it('keeps the window with a slow board and the default timeout', async () => {
    const { mock, results, opts, run } = setup({ computeMs: 15 }, { rows: rows.slice(0, 20), timeoutMs: undefined });
    const report = await run();
    expectAccounted(report, results, 20);
    expect(report.retries).toBe(0);
    expect(mock.stats.violations).toEqual([]);
  });

  it('a timeout shorter than the board takes: the late request keeps its slot, the window is never overfilled', async () => {
    const { mock, results, opts, run } = setup({ computeMs: 150 }, { rows: rows.slice(0, 12), timeoutMs: 100, retries: 10 });
    const report = await run();
    expectAccounted(report, results, 12);
    expect(report.bitIdentical).toBe(12);
    expect(report.retries).toBeGreaterThan(0);
    expect(mock.stats.violations).toEqual([]);
    expect(mock.stats.maxOutstanding).toBeLessThanOrEqual(2);
  });

  it('streams an async iterable and writes one JSONL line per row plus the summary', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bridge-'));
    const logPath = path.join(dir, 'sub', 'log.jsonl');
    async function* gen(): AsyncGenerator<RowInput> {
      for (const r of rows) yield r;
    }
    const { results, opts, run } = setup({}, { rows: gen(), logPath });
    const report = await run();
    expectAccounted(report, results, rows.length);
    const lines = readFileSync(logPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(rows.length + 1);
    expect(lines.slice(0, -1).every((l) => l.type === 'row' && l.row.status === 'bit-identical')).toBe(true);
    expect(lines.at(-1)).toEqual({ type: 'summary', report });
  });
});

describe('faults, each ending with every row accounted for', () => {
  it('garbage bytes to the host mid-stream', async () => {
    let g = 0;
    const noise = (n: number) => {
      if (n % 7 !== 0) return undefined;
      g++;
      // Binary noise, a fake frame, a half line that merges with the next reply.
      return ['\x00\xff\x13=zz:1234*ABCD\n', '#READY proto=1 model=0123456789abcdef board=uno in=4 out=3 window=2*0000\n', '=1f:'][g % 3];
    };
    const { mock, results, opts, run } = setup({ faults: { garbageToHost: noise } });
    const report = await run();
    expectAccounted(report, results, rows.length);
    expect(report.bitIdentical).toBe(rows.length);
    // The fake frame and the half line (which spoils the reply it merges with) are one garbled line each; the binary
    // noise starts with no frame character, so it reads as text.
    expect(g).toBeGreaterThanOrEqual(17);
    expect(report.garbledLines).toBe(countOf(g, (k) => k % 3 !== 0));
    expect(report.resets).toBe(0);
    expect(mock.stats.violations).toEqual([]);
  });

  it('garbage bytes to the board mid-stream: board errors, rows retried', async () => {
    const { mock, results, opts, run } = setup({ faults: { garbageToBoard: (n) => (n % 9 === 0 ? 'q\x01z' : n % 13 === 0 ? '\n' : undefined) } });
    const report = await run();
    expectAccounted(report, results, rows.length);
    expect(report.bitIdentical).toBe(rows.length);
    // Each spoiled request is answered with at least one board error and sent once more.
    const spoiled = countOf(mock.stats.requests, (n) => n % 9 === 0 || n % 13 === 0);
    expect(report.retries).toBe(spoiled);
    expect(report.boardErrors).toBeGreaterThanOrEqual(spoiled);
    expect(mock.stats.violations).toEqual([]);
  });

  it('dropped replies and replies with a bad check value are retried', async () => {
    const { mock, results, opts, run } = setup({ faults: { dropReply: (n) => n % 11 === 0, badCrc: (n) => n % 17 === 0 } }, { timeoutMs: 200 });
    const report = await run();
    expectAccounted(report, results, rows.length);
    expect(report.bitIdentical).toBe(rows.length);
    // Every reply with a bad check value is one garbled line; every dropped or garbled reply is one retry.
    expect(report.garbledLines).toBe(countOf(mock.stats.requests, (n) => n % 17 === 0 && n % 11 !== 0));
    expect(report.retries).toBe(countOf(mock.stats.requests, (n) => n % 11 === 0 || n % 17 === 0));
    expect(mock.stats.violations).toEqual([]);
  });

  it('a reply delayed past the timeout', async () => {
    const { mock, results, opts, run } = setup({ faults: { delayReplyMs: (n) => (n === 30 ? 300 : 0) } }, { timeoutMs: 200 });
    const report = await run();
    expectAccounted(report, results, rows.length);
    expect(report.bitIdentical).toBe(rows.length);
    // The board still held both requests: they keep their slots (nothing resent into a full board), and the late
    // answers finish their rows.
    expect(report.retries).toBe(0);
    expect(results.find((r) => r.index === 29)!.attempts).toBe(1);
    expect(report.seconds).toBeGreaterThanOrEqual(0.3);
    expect(mock.stats.violations).toEqual([]);
  });

  it('the board reset mid-stream: counted, unanswered rows resent, none lost', async () => {
    const { mock, results, events, opts, run } = setup({ faults: { resetOn: (n) => n === 40 || n === 90 } });
    const report = await run();
    expectAccounted(report, results, rows.length);
    expect(report.bitIdentical).toBe(rows.length);
    expect(report.resets).toBe(2);
    expect(mock.stats.resets).toBe(2);
    expect(events.some((e) => e.type === 'state' && e.state === 'board-reset')).toBe(true);
    expect(mock.stats.violations).toEqual([]);
  });

  it('a reset in the middle of a reply: the ready line glued to the half line is still seen', async () => {
    const { mock, results, opts, run } = setup({ faults: { preamble: '=1f:3f80', resetOn: (n) => n === 40 } });
    const report = await run();
    expectAccounted(report, results, rows.length);
    expect(report.bitIdentical).toBe(rows.length);
    expect(report.resets).toBe(1);
    expect(report.garbledLines).toBe(2);
    expect(mock.stats.violations).toEqual([]);
  });

  it('the device closed under the session: DisconnectedError with the partial report, also in the log', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bridge-'));
    const logPath = path.join(dir, 'log.jsonl');
    const { results, opts, run } = setup({ faults: { disconnectOn: (n) => n === 50 } }, { logPath });
    const err = (await run().catch((e: unknown) => e)) as DisconnectedSessionError;
    expect(err).toBeInstanceOf(DisconnectedSessionError);
    expect(err.code).toBe('disconnected');
    expect(err.message).toMatch(/went away/);
    expectAccounted(err.report, results, rows.length);
    expect(err.report.bitIdentical).toBeGreaterThanOrEqual(47);
    expect(err.report.failed).toBe(rows.length - err.report.bitIdentical);
    const lines = readFileSync(logPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(rows.length + 1);
    expect(lines.at(-1)).toEqual({ type: 'summary', report: err.report });
  });

  it('a board running another model is refused at the ready line, naming both hashes', async () => {
    const { mock, opts, run } = setup({ faults: { modelHash: '0123456789abcdef' } });
    const err = (await run().catch((e: unknown) => e)) as ModelHashMismatchError;
    expect(err).toBeInstanceOf(ModelHashMismatchError);
    expect(err.message).toContain('0123456789abcdef');
    expect(err.message).toContain(model.hash);
    expect(mock.stats.requests).toBe(0);
  });

  it('a row the board always rejects fails after the retries; the others pass', async () => {
    // Every request carrying row 5's inputs is answered with a crc error.
    const row5hex = `:${f32hex(rows[5]!.inputs)}*`;
    const requestLine = (n: number): string => mock.hostLines.filter((l) => l.startsWith('>'))[n - 1] ?? '';
    const { mock, results, opts, run } = setup({ faults: { errorReply: (n) => (requestLine(n).includes(row5hex) ? 'crc' : undefined) } });
    const report = await run();
    expectAccounted(report, results, rows.length);
    const row5 = results.find((r) => r.index === 5)!;
    expect(row5.status).toBe('failed');
    expect(row5.attempts).toBe(4);
    expect(row5.error).toMatch(/crc.*4 attempts/);
    expect(report.failed).toBe(1);
    expect(report.bitIdentical).toBe(rows.length - 1);
    expect(reportPassed(report)).toBe(false);
  });

  it('a board that computes differently: mismatched with the ulp difference', async () => {
    const { results, opts, run } = setup({ faults: { wrongOutput: (n) => n === 3 } });
    const report = await run();
    expectAccounted(report, results, rows.length);
    expect(report.mismatched).toBe(1);
    expect(report.maxUlp).toBe(1);
    const row = results.find((r) => r.status === 'mismatched')!;
    expect(row.maxUlp).toBe(1);
    expect(formatReport(report)).toMatch(/FAIL: 1 mismatched/);
  });
});

function f32hex(xs: readonly number[]): string {
  const dv = new DataView(new ArrayBuffer(4));
  return xs
    .map((x) => {
      dv.setFloat32(0, x);
      return dv.getUint32(0).toString(16).padStart(8, '0');
    })
    .join('');
}

describe('ready line', () => {
  it('ignores noise before it and asks with ? when the board stays silent', async () => {
    const { mock, results, opts, run } = setup({ faults: { silentBoot: true, preamble: '\xfe\xfegarbage\nbootloader v1\n' } }, { queryAfterMs: 50 });
    const report = await run();
    expectAccounted(report, results, rows.length);
    expect(mock.hostLines[0]).toBe('?');
    expect(report.resets).toBe(0);
  });

  it('a ? answered in mid-stream is not a reset', async () => {
    const { mock, opts, clock } = setup({ computeMs: 2 });
    const s = createSession(opts);
    clock.setTimeout(() => s.sendRaw('?'), 30);
    const report = await clock.run(s.done);
    expect(mock.hostLines.filter((l) => l === '?')).toHaveLength(1);
    expect(report.resets).toBe(0);
    expect(report.bitIdentical).toBe(rows.length);
    expect(mock.stats.violations).toEqual([]);
  });

  it('no ready line: BoardNotReadyError naming what was received', async () => {
    const { opts, run } = setup({ faults: { silentBoot: true, modelHash: 'zz' } }, { readyTimeoutMs: 200, queryAfterMs: 50 });
    // The board answers ? with a ready line whose hash is not 16 hex digits: garbled, never accepted.
    const err = (await run().catch((e: unknown) => e)) as BoardNotReadyError;
    expect(err).toBeInstanceOf(BoardNotReadyError);
    expect(err.message).toMatch(/no ready line from mock within 200 ms; last lines: "#READY/);
  });
});

describe('console, abort, options', () => {
  it('sendRaw: a human-mode line gets its prediction back as text', async () => {
    const { events, opts, clock } = setup({ computeMs: 1 }, { rows: rows.slice(0, 10) });
    const s = createSession(opts);
    clock.setTimeout(() => s.sendRaw('0.5,1,-1,2'), 5);
    await clock.run(s.done);
    const text = events.find((e) => e.type === 'line' && e.direction === 'rx' && /^class\d /.test(e.text));
    expect(text).toBeDefined();
    expect(() => s.sendRaw('x'.repeat(64))).not.toThrow(); // finished: ignored
  });

  it('sendRaw refuses a line that could overrun the receive buffer', async () => {
    const { opts, clock } = setup({ computeMs: 1 });
    const s = createSession(opts);
    await clock.advance(20);
    expect(() => s.sendRaw('1'.repeat(64))).toThrow(UsageError);
    s.abort();
    await clock.run(s.done);
  });

  it('abort ends every unfinished row as failed and resolves', async () => {
    const { results, opts, clock } = setup({ computeMs: 2 });
    const controller = new AbortController();
    const s = createSession({ ...opts, signal: controller.signal });
    let finishedBefore = -1;
    clock.setTimeout(() => {
      finishedBefore = results.length;
      controller.abort();
    }, 40);
    const report = await clock.run(s.done);
    expectAccounted(report, results, rows.length);
    // About 20 rows fit in 40 simulated ms at 2 ms a row; every row not finished by then fails as aborted.
    expect(finishedBefore).toBeGreaterThanOrEqual(10);
    expect(finishedBefore).toBeLessThan(rows.length);
    expect(report.failed).toBe(rows.length - finishedBefore);
    expect(results.filter((r) => r.status === 'failed').every((r) => /aborted/.test(r.error!))).toBe(true);
  });

  it('a row of the wrong width is a UsageError naming the row', async () => {
    const { opts, run } = setup({}, { rows: [{ inputs: [1, 2, 3, 4] }, { inputs: [1, 2] }] });
    await expect(run()).rejects.toThrow(/row 2 has 2 values but model \w+ takes 4 inputs/);
  });

  it('the default timeout grows with the model and stays generous', () => {
    const small = defaultTimeoutMs(makeModel([4, 6, 3]), uno);
    const big = defaultTimeoutMs(makeModel([64, 64, 64, 10]), uno);
    expect(small).toBe(2000);
    // 64*64+64*64+64*10 multiply-adds at 300 cycles = 0.17 s at 16 MHz, x20 > 3 s.
    expect(big).toBeGreaterThan(3000);
    expect(() => createSession({ model, rows, transport: new MockBoard({ model, board: uno }), board: uno, retries: -1 })).toThrow(UsageError);
  });
});
