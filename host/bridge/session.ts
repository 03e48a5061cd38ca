// A verification session: stream rows to the board within its window, match replies by seq, check each against forward().
// This file is its API; the run is SessionRun (session-run.ts), built of RowSource (what goes next), RequestWindow (what
// the board holds), ReadyClassifier (reset or echo), the JSONL log (a subscriber of the events) and timing.ts (the
// default timeout). Time comes from an injected Clock.
import type { BoardProfile } from '../core/boards.js';
import type { ModelFile } from '../core/model.js';
import { UsageError } from '../core/errors.js';
import { realClock } from './clock.js';
import type { Clock } from './clock.js';
import type { ComparisonReport, SessionEvent } from './events.js';
import type { RowInput } from './row-source.js';
import { SessionRun } from './session-run.js';
import { defaultTimeoutMs } from './timing.js';
import type { Transport, TransportFactory } from './transport.js';

export type { RowInput } from './row-source.js';
export { DisconnectedSessionError } from './session-run.js';
export { defaultTimeoutMs, estimateComputeCycles, frameBytes } from './timing.js';

export interface SessionOptions {
  readonly model: ModelFile;
  /** The rows, in order: an array, or any (async) iterable, read lazily so 100,000-row files and stdin stay flat. */
  readonly rows: Iterable<RowInput> | AsyncIterable<RowInput>;
  /** An open transport, or a factory that opens one. The session closes it when it ends. */
  readonly transport: Transport | TransportFactory;
  readonly board: BoardProfile;
  /** Requests in flight at most; default (and upper limit): the `window` of the board's ready line. */
  readonly window?: number;
  /** Time to wait for a reply before retrying the row, ms; default defaultTimeoutMs(model, board). */
  readonly timeoutMs?: number;
  /** Retries per row after a timeout, a board error or a reset; default 3 (so at most 4 requests). */
  readonly retries?: number;
  /** Time to wait for a valid ready line after opening, ms; default 15000. */
  readonly readyTimeoutMs?: number;
  /** Send `?` when no ready line came within this many ms (boards that do not reset on open), and again each time; default 1500. */
  readonly queryAfterMs?: number;
  /** JSONL log: one `{"type":"row","row":...}` line per row as it finishes, then `{"type":"summary","report":...}`; default none. */
  readonly logPath?: string;
  readonly onEvent?: (event: SessionEvent) => void;
  /** Aborting ends the session as abort() does. */
  readonly signal?: AbortSignal;
  /** Where time comes from; default the real clock (tests pass a manual one). */
  readonly clock?: Clock;
}

export interface Session {
  /** The report, once every row has its status. Rejects with a typed error (see DisconnectedSessionError). */
  readonly done: Promise<ComparisonReport>;
  /** Send a line to the board as typed (the dashboard console); it bypasses the window, so keep it short. */
  sendRaw(line: string): void;
  /** Stop now: unfinished rows end as failed ("aborted") and `done` resolves with the report. */
  abort(): void;
}

/** The options checked, with their defaults. */
function settings(opts: SessionOptions): { retries: number; timeoutMs: number; readyTimeoutMs: number; queryAfterMs: number } {
  const s = {
    retries: opts.retries ?? 3,
    timeoutMs: opts.timeoutMs ?? defaultTimeoutMs(opts.model, opts.board),
    readyTimeoutMs: opts.readyTimeoutMs ?? 15_000,
    queryAfterMs: opts.queryAfterMs ?? 1500,
  };
  for (const [name, v, min] of [['retries', s.retries, 0], ['timeoutMs', s.timeoutMs, 1], ['readyTimeoutMs', s.readyTimeoutMs, 1], ['queryAfterMs', s.queryAfterMs, 1]] as const) {
    if (!Number.isFinite(v) || v < min) throw new UsageError(`${name} is ${v}`, `use a number >= ${min}`);
  }
  if (opts.window !== undefined && !(Number.isInteger(opts.window) && opts.window >= 1)) {
    throw new UsageError(`window is ${opts.window}`, 'use a whole number >= 1 (or leave it to the board)');
  }
  return s;
}

export function createSession(opts: SessionOptions): Session {
  const run = new SessionRun({
    ...settings(opts),
    model: opts.model,
    board: opts.board,
    rows: opts.rows,
    transport: opts.transport,
    window: opts.window,
    logPath: opts.logPath,
    onEvent: opts.onEvent,
    clock: opts.clock ?? realClock,
  });
  opts.signal?.addEventListener('abort', run.abort, { once: true });
  if (opts.signal?.aborted) run.abort();
  return { done: run.done, abort: run.abort, sendRaw: (line) => run.sendRaw(line) };
}

/** Run a session to its end: createSession(opts).done. */
export function runSession(opts: SessionOptions): Promise<ComparisonReport> {
  return createSession(opts).done;
}
