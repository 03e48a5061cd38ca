// A verification session: stream rows to the board within its window, match replies by seq, check each against forward().
// Its parts: RowSource (what goes next), RequestWindow (what the board holds), ReadyClassifier (reset or echo), the
// JSONL log (a subscriber of the events), timing.ts (the default timeout); time comes from an injected Clock.
import type { BoardProfile } from '../core/boards.js';
import type { ModelFile } from '../core/model.js';
import { outputCount } from '../core/model.js';
import { BoardNotReadyError, DeployNnError, DisconnectedError, UsageError } from '../core/errors.js';
import { forward } from '../model/forward.js';
import { realClock } from './clock.js';
import type { Clock, ClockTimer } from './clock.js';
import type { ComparisonReport, RowResult, SessionEvent, SessionState } from './events.js';
import { openJsonlLog } from './jsonl-log.js';
import type { JsonlLog } from './jsonl-log.js';
import { encodeRequest, parseBoardLine } from './protocol.js';
import type { ReadyInfo } from './protocol.js';
import { ReadyClassifier, readyProblem, splitGluedReady } from './ready-line.js';
import { compareOutputs, ReportAccumulator } from './report.js';
import { RequestWindow } from './request-window.js';
import { RowSource } from './row-source.js';
import type { RowInput, RowState } from './row-source.js';
import type { Transport, TransportFactory } from './transport.js';

export type { RowInput } from './row-source.js';
export { defaultTimeoutMs, estimateComputeCycles, frameBytes } from './timing.js';
import { defaultTimeoutMs } from './timing.js';

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

/** The device went away under the session: `report` holds every row read so far (unfinished ones failed). */
export class DisconnectedSessionError extends DisconnectedError {
  readonly report: ComparisonReport;
  constructor(message: string, report: ComparisonReport, hint?: string) {
    super(message, hint);
    this.report = report;
  }
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
  const { model, board } = opts;
  const nOut = outputCount(model);
  const { retries, timeoutMs, readyTimeoutMs, queryAfterMs } = settings(opts);
  const clock = opts.clock ?? realClock;

  const acc = new ReportAccumulator(model);
  const source = new RowSource(opts.rows, model);
  const inflight = new RequestWindow<RowState>(timeoutMs);
  const readyLines = new ReadyClassifier();
  let log: JsonlLog | undefined;
  const emit = (e: SessionEvent): void => {
    log?.onEvent(e);
    try {
      opts.onEvent?.(e);
    } catch {
      // A listener's bug must not break the session.
    }
  };

  let state: SessionState = 'opening';
  let transport: Transport | undefined;
  let boardInfo: ReadyInfo | undefined;
  let window = 1;
  let nextSeq = 1;
  let startedAt = 0;
  let lastFinishAt = 0;
  let readyTimer: ClockTimer | undefined;
  let queryTimer: ClockTimer | undefined;
  let windowTimer: ClockTimer | undefined;
  let windowTimerAt: number | undefined;
  let finished = false;
  let pumping = false;
  const recentLines: string[] = [];

  let resolveDone!: (r: ComparisonReport) => void;
  let rejectDone!: (e: unknown) => void;
  const done = new Promise<ComparisonReport>((res, rej) => {
    resolveDone = res;
    rejectDone = rej;
  });

  const setState = (s: SessionState, detail?: string): void => {
    state = s;
    emit(detail === undefined ? { type: 'state', state: s } : { type: 'state', state: s, detail });
  };

  const send = (line: string): void => {
    transport?.write(line);
    emit({ type: 'line', direction: 'tx', text: line, time: clock.now() });
  };

  const seconds = (): number => (startedAt === 0 ? 0 : ((lastFinishAt || clock.now()) - startedAt) / 1000);
  const buildReport = (): ComparisonReport =>
    acc.build({ boardHash: boardInfo?.model ?? null, boardId: board.id, port: transport?.path ?? '', seconds: seconds() });

  const finishRow = (row: RowState, result: Omit<RowResult, 'index' | 'seq' | 'inputs' | 'label' | 'attempts'>): void => {
    row.done = true;
    const full: RowResult = { index: row.index, seq: row.lastSeq, inputs: row.inputs, label: row.label, attempts: row.attempts, ...result };
    acc.add(full);
    lastFinishAt = clock.now();
    emit({ type: 'row', row: full });
  };

  const failRow = (row: RowState, error: string): void => {
    const hostOutputs = Array.from(forward(model, row.inputs));
    finishRow(row, { hostOutputs, boardOutputs: null, status: 'failed', maxUlp: null, hostPrediction: undefined, boardPrediction: undefined, cycles: null, latencyUs: null, error });
  };

  /** One attempt of `row` went nowhere: queue it again (in row order) or, out of retries, fail it. */
  const attemptFailed = (row: RowState, reason: string): void => {
    if (row.done) return;
    if (row.attempts > retries) failRow(row, `${reason} (after ${row.attempts} attempts)`);
    else source.requeue(row);
  };

  /** One timer for the window's next deadline (a timeout, or a timed-out request giving its slot back). */
  const armWindowTimer = (): void => {
    const at = finished ? undefined : inflight.nextDeadline();
    if (at === windowTimerAt) return;
    clock.clearTimeout(windowTimer);
    windowTimer = undefined;
    windowTimerAt = at;
    if (at === undefined) return;
    windowTimer = clock.setTimeout(() => {
      windowTimer = undefined;
      windowTimerAt = undefined;
      for (const row of inflight.expire(clock.now())) attemptFailed(row, `no reply within ${timeoutMs} ms`);
      armWindowTimer();
      void pump();
    }, Math.max(0, at - clock.now()));
  };

  const stopTimers = (): void => {
    clock.clearTimeout(readyTimer);
    clock.clearTimeout(queryTimer);
    clock.clearTimeout(windowTimer);
    windowTimer = undefined;
  };

  /** Fail every row not yet finished (in flight, queued, and the rest of an array source). */
  const failUnfinished = (reason: string): void => {
    const { queued, unsent } = source.drain();
    const left = inflight.clear().concat(queued);
    left.sort((a, b) => a.index - b.index);
    for (const row of left) failRow(row, reason);
    for (const row of unsent) failRow(row, `not sent: ${reason}`);
  };

  /** End the session: resolve with the report, or reject with `error` (the report is logged either way). */
  const end = async (error?: DeployNnError, unfinishedReason?: string): Promise<void> => {
    if (finished) return;
    finished = true;
    stopTimers();
    if (unfinishedReason !== undefined) failUnfinished(unfinishedReason);
    const report = buildReport();
    emit({ type: 'summary', report });
    setState(error instanceof DisconnectedError ? 'disconnected' : 'done', error?.message);
    let logError: unknown;
    try {
      await log?.close();
    } catch (e) {
      logError = e;
    }
    try {
      await transport?.close();
    } catch {
      // Already gone.
    }
    await source.close();
    if (error) rejectDone(error);
    else if (logError) rejectDone(new UsageError(`could not write the log ${opts.logPath}: ${(logError as Error).message}`));
    else resolveDone(report);
  };

  const maybeComplete = (): void => {
    if (!finished && state === 'streaming' && source.exhausted && !inflight.hasLive()) void end();
  };

  const sendRow = (row: RowState): void => {
    const seq = nextSeq;
    nextSeq = (nextSeq + 1) >>> 0;
    row.attempts++;
    row.lastSeq = seq;
    acc.sent++;
    if (row.attempts > 1) acc.retries++;
    inflight.add(seq, row, clock.now());
    armWindowTimer();
    send(encodeRequest(seq, row.inputs));
  };

  /** Keep `window` requests in flight while there are rows. One pump runs at a time. */
  const pump = async (): Promise<void> => {
    if (pumping) return;
    pumping = true;
    try {
      while (!finished && state === 'streaming' && inflight.size < window) {
        const row = await source.next();
        if (!row) break;
        if (row.done) continue; // finished by a late answer while we waited for the source
        if (finished || state !== 'streaming') {
          if (!finished) source.putBack(row);
          break;
        }
        sendRow(row);
      }
    } catch (err) {
      await end(err instanceof DeployNnError ? err : new UsageError(`could not read the rows: ${(err as Error).message}`), 'the rows could not be read');
      return;
    } finally {
      pumping = false;
    }
    maybeComplete();
  };

  const onReady = (info: ReadyInfo): void => {
    if (finished) return;
    const now = clock.now();
    const bad = readyProblem(info, model);
    boardInfo = info;
    if (bad) {
      void end(bad, 'the board was refused');
      return;
    }
    window = Math.min(opts.window ?? info.window, info.window);
    emit({ type: 'ready', info });
    const kind = readyLines.classify(now, state === 'waiting-ready');
    if (kind === 'first') {
      clock.clearTimeout(readyTimer);
      clock.clearTimeout(queryTimer);
      setState('streaming');
      startedAt = clock.now();
      void pump();
      return;
    }
    if (kind === 'echo') return;
    // A reset: the board forgot everything in flight. Each such request counts as an attempt.
    acc.resets++;
    setState('board-reset', `reset #${acc.resets}: resending ${inflight.size} unanswered request(s)`);
    for (const row of inflight.clear()) attemptFailed(row, 'the board reset');
    armWindowTimer();
    setState('streaming');
    void pump();
  };

  /** A reply or a board error for a request still counted: settle it and the ones it overtook. */
  const onAnswer = (seq: number, outputs: Float32Array | undefined, cycles: number, errorCode?: string): void => {
    const settled = inflight.settle(seq, clock.now(), outputs !== undefined);
    armWindowTimer();
    for (const lost of settled.lost) attemptFailed(lost, 'request lost (the board answered a later one)');
    const row = settled.row;
    if (settled.late && row) source.remove(row);
    if (!row) {
      // Its row is finished already: only the window slot is freed.
    } else if (outputs === undefined) {
      attemptFailed(row, `board error "${errorCode}"`);
    } else if (outputs.length !== nOut) {
      attemptFailed(row, `reply had ${outputs.length} outputs, the model has ${nOut}`);
    } else {
      const host = forward(model, row.inputs);
      const cmp = compareOutputs(model, host, outputs);
      finishRow(row, {
        hostOutputs: Array.from(host),
        boardOutputs: Array.from(outputs),
        status: cmp.status,
        maxUlp: cmp.maxUlp,
        hostPrediction: cmp.hostPrediction,
        boardPrediction: cmp.boardPrediction,
        cycles,
        latencyUs: (cycles / board.fCpu) * 1e6,
        error: undefined,
      });
    }
    void pump();
  };

  const onLine = (line: string): void => {
    for (const piece of splitGluedReady(line)) onOneLine(piece);
  };

  const onOneLine = (line: string): void => {
    if (finished) return;
    emit({ type: 'line', direction: 'rx', text: line, time: clock.now() });
    if (state === 'waiting-ready' || state === 'opening') {
      recentLines.push(line.length > 80 ? `${line.slice(0, 80)}...` : line);
      if (recentLines.length > 3) recentLines.shift();
    }
    const parsed = parseBoardLine(line);
    switch (parsed.kind) {
      case 'ready':
        onReady(parsed.info);
        return;
      case 'garbled':
        acc.garbledLines++;
        return;
      case 'text':
        return;
      case 'error':
        if (state !== 'streaming') return;
        acc.boardErrors++;
        if (parsed.seq === undefined || !inflight.has(parsed.seq)) return; // Not ours to pin on a row: timeouts cover it.
        onAnswer(parsed.seq, undefined, 0, parsed.code);
        return;
      case 'reply':
        if (state !== 'streaming' || !inflight.has(parsed.seq)) return; // Not a request we still count.
        onAnswer(parsed.seq, parsed.outputs, parsed.cycles);
        return;
    }
  };

  const onClose = (error?: Error): void => {
    if (finished) return;
    const why = error?.message ?? 'closed';
    stopTimers();
    failUnfinished('the board disconnected');
    const partial = buildReport();
    const where = opts.logPath ? `saved in ${opts.logPath}` : 'attached to the error';
    void end(
      new DisconnectedSessionError(
        `the serial device ${transport?.path ?? ''} went away during the session (${why}): ${partial.rows - partial.failed} of ${partial.rows} rows finished; partial report ${where}`,
        partial,
        'check the cable (a real Uno) or the virtual board, then run verify again',
      ),
    );
  };

  const queryBoard = (): void => {
    if (finished || state !== 'waiting-ready') return;
    readyLines.queried(clock.now(), false);
    send('?');
    queryTimer = clock.setTimeout(queryBoard, queryAfterMs);
  };

  const noReadyLine = (): void => {
    const seen = recentLines.length ? `; last lines: ${recentLines.map((l) => JSON.stringify(l)).join(', ')}` : '; nothing was received';
    void end(
      new BoardNotReadyError(
        `no ready line from ${transport?.path} within ${readyTimeoutMs} ms${seen}`,
        'is the deploy-nn sketch uploaded, and the baud rate right? (deploy-nn build and upload)',
      ),
    );
  };

  const start = async (): Promise<void> => {
    setState('opening');
    if (opts.logPath) log = await openJsonlLog(opts.logPath);
    transport = typeof opts.transport === 'function' ? await opts.transport() : opts.transport;
    if (finished) {
      await transport.close();
      return;
    }
    transport.onLine(onLine);
    transport.onClose(onClose);
    setState('waiting-ready');
    queryTimer = clock.setTimeout(queryBoard, queryAfterMs);
    readyTimer = clock.setTimeout(noReadyLine, readyTimeoutMs);
  };

  start().catch((err: unknown) => {
    void end(err instanceof DeployNnError ? err : new DisconnectedError(`could not open the board: ${(err as Error).message}`));
  });

  const abort = (): void => {
    if (finished) return;
    void end(undefined, 'aborted');
  };
  opts.signal?.addEventListener('abort', abort, { once: true });
  if (opts.signal?.aborted) abort();

  return {
    done,
    abort,
    sendRaw(line: string): void {
      if (finished || !transport) return;
      if (line.length >= board.rxBufferBytes) {
        throw new UsageError(`a console line of ${line.length} characters could overrun the board's ${board.rxBufferBytes}-byte receive buffer`, `send lines under ${board.rxBufferBytes} characters`);
      }
      if (line.trim() === '?') readyLines.queried(clock.now(), state === 'streaming');
      send(line);
    },
  };
}

/** Run a session to its end: createSession(opts).done. */
export function runSession(opts: SessionOptions): Promise<ComparisonReport> {
  return createSession(opts).done;
}
