// End to end: trained models, generated and built with avr-gcc, running on the virtual Uno behind a real pty opened by serialport.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ModelHashMismatchError } from '../../host/core/errors.js';
import { f32Bits } from '../../host/core/f32.js';
import { forward } from '../../host/model/forward.js';
import { serializeModel } from '../../host/model/model-file.js';
import { startVirtualBoard } from '../../host/sim/virtual-board.js';
import type { VirtualBoard } from '../../host/sim/virtual-board.js';
import type { ComparisonReport, RowResult, SessionEvent } from '../../host/bridge/events.js';
import { createSession, DisconnectedSessionError, runSession } from '../../host/bridge/session.js';
import type { SessionOptions } from '../../host/bridge/session.js';
import { openSerialTransport } from '../../host/bridge/transport.js';
import { realClock } from '../../host/bridge/clock.js';
import type { Clock } from '../../host/bridge/clock.js';
import { ensureCompiledCli } from '../dashboard/digits-fixture.js';
import { buildChain } from './chain.js';
import type { Chain } from './chain.js';

let iris: Chain;
let digits: Chain;
const boards: VirtualBoard[] = [];

beforeAll(async () => {
  [iris, digits] = await Promise.all([buildChain('iris'), buildChain('digits')]);
}, 600_000);

afterAll(() => {
  for (const c of [iris, digits]) if (c) rmSync(c.dir, { recursive: true, force: true });
});

afterEach(async () => {
  for (const vb of boards.splice(0)) await vb.stop();
});

async function sim(chain: Chain): Promise<VirtualBoard> {
  const vb = await startVirtualBoard({ hexPath: chain.hexPath, board: chain.board });
  boards.push(vb);
  return vb;
}

function sessionOptions(chain: Chain, vb: VirtualBoard, extra: Partial<SessionOptions> = {}): SessionOptions & { results: RowResult[] } {
  const results: RowResult[] = [];
  const onEvent = extra.onEvent;
  return {
    model: chain.model,
    rows: chain.heldOut,
    board: chain.board,
    transport: () => openSerialTransport({ path: vb.path, baudRate: chain.board.baud }),
    ...extra,
    onEvent: (e: SessionEvent) => {
      if (e.type === 'row') results.push(e.row);
      onEvent?.(e);
    },
    results,
  };
}

/** Each row once; every output's bits equal the float32 forward pass computed here, independently of the session. */
function expectAllBitIdentical(report: ComparisonReport, results: RowResult[], chain: Chain, rows = chain.heldOut): void {
  expect(report.rows).toBe(rows.length);
  expect(report.bitIdentical).toBe(rows.length);
  expect(report.failed + report.mismatched).toBe(0);
  expect(results.map((r) => r.index).sort((a, b) => a - b)).toEqual(rows.map((_r, i) => i));
  for (const r of results) {
    const host = forward(chain.model, rows[r.index]!.inputs);
    expect(r.boardOutputs!.map(f32Bits)).toEqual(Array.from(host, f32Bits));
  }
}

describe('virtual Uno over a real pty', () => {
  it('digits: the held-out quarter, every output bit-identical, none lost', async () => {
    expect(digits.heldOut.length).toBeGreaterThan(440);
    const vb = await sim(digits);
    const o = sessionOptions(digits, vb);
    const report = await runSession(o);
    expectAllBitIdentical(report, o.results, digits);
    // The board's accuracy on the held-out rows is the trainer's float32 test accuracy, row for row.
    expect(report.boardAccuracy).toBe(digits.evaluation.accuracy);
    expect(report.classAgreement).toBe(1);
    // Latency comes from the cycles the board counted, at 16 MHz.
    expect(report.latency!.minUs).toBe(Math.min(...o.results.map((r) => (r.cycles! / digits.board.fCpu) * 1e6)));
    expect(report.boardHash).toBe(digits.model.hash);
  }, 480_000); // ~250M emulated cycles: seconds when quiet, minutes beside other suites (a hang-guard, not a speed target)

  it('iris: all 150 rows bit-identical', async () => {
    const vb = await sim(iris);
    const o = sessionOptions(iris, vb, { rows: iris.allRows });
    const report = await runSession(o);
    expectAllBitIdentical(report, o.results, iris, iris.allRows);
    expect(report.retries).toBe(0);
  });
});

describe('faults on the virtual Uno', () => {
  /** Run with `fault` fired once when `at` rows have finished. */
  function withFaultAt(chain: Chain, vb: VirtualBoard, at: number, fault: () => void, extra: Partial<SessionOptions> = {}) {
    let fired = false;
    let finished = 0;
    return sessionOptions(chain, vb, {
      ...extra,
      onEvent: (e) => {
        if (e.type !== 'row') return;
        finished++;
        if (!fired && finished === at) {
          fired = true;
          fault();
        }
      },
    });
  }

  it('random garbage bytes injected both ways mid-stream', async () => {
    const vb = await sim(iris);
    let seed = 7;
    const noise = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24) & 0xff);
    let rowsSeen = 0;
    const o = withFaultAt(iris, vb, 20, () => {
      vb.injectToBoard(noise(40));
      vb.injectToHost(noise(60));
    }, {
      rows: iris.allRows,
      timeoutMs: 1500,
      // Ten rows later, a request the board cannot parse.
      onEvent: (e) => {
        if (e.type === 'row' && ++rowsSeen === 30) vb.injectToBoard('\n>zz:nonsense*0000\n');
      },
    });
    const report = await runSession(o);
    expectAllBitIdentical(report, o.results, iris, iris.allRows);
    // The garbage was noticed: where it lands (inside a request, between two, in the board's 64-byte receive buffer
    // beside held requests) decides whether it shows as a board error, a garbled line or a request retried.
    expect(report.boardErrors + report.garbledLines + report.retries).toBeGreaterThanOrEqual(1);
  });

  it('the board reset mid-stream: noticed, unanswered rows resent', async () => {
    const vb = await sim(iris);
    const o = withFaultAt(iris, vb, 80, () => vb.reset(), { rows: iris.allRows });
    const report = await runSession(o);
    expectAllBitIdentical(report, o.results, iris, iris.allRows);
    expect(report.resets).toBe(1);
  });

  it('a reply delayed past the timeout', async () => {
    const vb = await sim(iris);
    const timeoutMs = 800;
    let finished = 0;
    let heldAt: number | undefined;
    let releasedAfterMs: number | undefined;
    let sentWhileHeld = 0;
    // The session's only timer while streaming is the window's: the board's output is held from row 40 until that
    // timer has fired past the timeout, whatever the machine's load (no fixed hold time).
    const clock: Clock = {
      now: () => realClock.now(),
      clearTimeout: (t) => realClock.clearTimeout(t),
      setTimeout: (fn, ms) =>
        realClock.setTimeout(() => {
          fn();
          if (heldAt !== undefined && releasedAfterMs === undefined && realClock.now() - heldAt >= timeoutMs) {
            releasedAfterMs = realClock.now() - heldAt;
            vb.releaseTx();
          }
        }, ms),
    };
    const o = sessionOptions(iris, vb, {
      rows: iris.allRows,
      timeoutMs,
      clock,
      onEvent: (e) => {
        if (e.type === 'line' && e.direction === 'tx' && e.text.startsWith('>') && heldAt !== undefined && releasedAfterMs === undefined) sentWhileHeld++;
        if (e.type === 'row' && ++finished === 40) {
          heldAt = realClock.now();
          vb.holdTx(600_000);
        }
      },
    });
    const report = await runSession(o);
    expectAllBitIdentical(report, o.results, iris, iris.allRows);
    // Requests timed out while the board held them and kept their slots: nothing was resent into the full board
    // during the hold (at most the window's 2 requests went out: the one after row 40, and one more if a reply had
    // left the board before the hold), and the late answers finished their rows. (A retry elsewhere in the run is
    // possible on a loaded machine, so the total is not asserted.)
    expect(releasedAfterMs).toBeGreaterThanOrEqual(timeoutMs);
    expect(sentWhileHeld).toBeGreaterThanOrEqual(1);
    expect(sentWhileHeld).toBeLessThanOrEqual(2);
  });

  it('the serial device closed under the session: clear error, partial report saved, no hang', async () => {
    const vb = await sim(iris);
    const logPath = path.join(mkdtempSync(path.join(tmpdir(), 'bridge-e2e-')), 'verify.jsonl');
    const o = withFaultAt(iris, vb, 50, () => void vb.disconnect(), { rows: iris.allRows, logPath });
    const err = (await runSession(o).catch((e: unknown) => e)) as DisconnectedSessionError;
    expect(err).toBeInstanceOf(DisconnectedSessionError);
    expect(err.message).toMatch(/went away/);
    expect(err.report.rows).toBe(150);
    expect(err.report.bitIdentical).toBeGreaterThanOrEqual(50);
    expect(err.report.bitIdentical + err.report.failed).toBe(150);
    const lines = readFileSync(logPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(151);
    expect(lines.at(-1)).toEqual({ type: 'summary', report: err.report });
  });

  it('a board running a different model is refused at the ready line, naming both hashes', async () => {
    const vb = await sim(iris);
    // The digits model against the iris firmware.
    const o = sessionOptions(digits, vb);
    const err = (await runSession({ ...o, board: iris.board }).catch((e: unknown) => e)) as ModelHashMismatchError;
    expect(err).toBeInstanceOf(ModelHashMismatchError);
    expect(err.message).toContain(iris.model.hash);
    expect(err.message).toContain(digits.model.hash);
  });

  it('human mode through the console: a typed line gets its prediction back as text', async () => {
    const vb = await sim(iris);
    const texts: string[] = [];
    let gotText!: () => void;
    const textCame = new Promise<void>((r) => (gotText = r));
    let s: ReturnType<typeof createSession> | undefined;
    let finished = 0;
    const o = sessionOptions(iris, vb, {
      onEvent: (e) => {
        if (e.type === 'line' && e.direction === 'rx' && !/^[#=!]/.test(e.text)) {
          texts.push(e.text);
          gotText();
        }
        // Typed once the three rows are answered; the rows end only when the answer to it came.
        if (e.type === 'row' && ++finished === 3) s?.sendRaw('5.1,3.5,1.4,0.2');
      },
    });
    s = createSession({ ...o, rows: (async function* () {
      yield* iris.allRows.slice(0, 3);
      await textCame;
    })() });
    await s.done;
    expect(texts.some((t) => /setosa/.test(t))).toBe(true);
  });
});

describe('deploy-nn verify', () => {
  const run = promisify(execFile);
  it('passes on the virtual Uno (exit 0, --json report) and refuses a stale board (exit 3)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bridge-cli-'));
    const modelPath = path.join(dir, 'iris.json');
    writeFileSync(modelPath, serializeModel(iris.model));
    // Compiled only when dist/ is older than the sources (npm test compiles first): recompiling every time rewrote
    // dist/ under a suite running beside this one, whose CLI then failed to load.
    const cli = ensureCompiledCli();
    const { stdout } = await run('node', [cli, 'verify', '--model', modelPath, '--port', 'sim', '--hex', iris.hexPath, '--data', 'datasets/iris.csv', '--json']);
    const report = JSON.parse(stdout) as ComparisonReport;
    expect(report.rows).toBe(150);
    expect(report.bitIdentical).toBe(150);
    const digitsPath = path.join(dir, 'digits.json');
    writeFileSync(digitsPath, serializeModel(digits.model));
    const stale = await run('node', [cli, 'verify', '--model', digitsPath, '--port', 'sim', '--hex', iris.hexPath, '--data', 'datasets/digits.csv']).catch((e: { code: number; stderr: string }) => e);
    expect((stale as { code: number }).code).toBe(3);
    expect((stale as { stderr: string }).stderr).toContain(digits.model.hash);
  });
});
