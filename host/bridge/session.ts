// A verification session: stream rows to the board within its window, match replies by seq, check each against forward().
import { createWriteStream, mkdirSync } from 'node:fs';
import type { WriteStream } from 'node:fs';
import path from 'node:path';
import type { BoardProfile } from '../core/boards.js';
import type { ModelFile } from '../core/model.js';
import { inputCount, outputCount } from '../core/model.js';
import { BoardNotReadyError, DeployNnError, DisconnectedError, ModelHashMismatchError, UsageError } from '../core/errors.js';
import { forward } from '../model/forward.js';
import type { ComparisonReport, RowResult, SessionEvent, SessionState } from './events.js';
import { encodeRequest, maxRequestLength, parseBoardLine, PROTOCOL_VERSION } from './protocol.js';
import type { ReadyInfo } from './protocol.js';
import { bitsHex, compareOutputs, ReportAccumulator } from './report.js';
import type { Transport, TransportFactory } from './transport.js';

/** One data row: raw (unnormalised) inputs, and the label when the data has one. */
export interface RowInput {
  readonly inputs: readonly number[];
  readonly label?: string | undefined;
}

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

/** Rough on-board cost of one row: ~300 cycles per multiply-add, ~3000 per exp (sigmoid, tanh, softmax outputs). */
export function estimateComputeCycles(model: Pick<ModelFile, 'layers'>): number {
  let cycles = 300 * inputCount(model);
  for (const l of model.layers) {
    cycles += 300 * l.inputs * l.outputs;
    if (l.activation === 'sigmoid' || l.activation === 'tanh' || l.activation === 'softmax') cycles += 3000 * l.outputs;
  }
  return cycles;
}

/** Bytes on the wire for one request and one reply (with newlines, longest sequence number). */
export function frameBytes(model: Pick<ModelFile, 'layers'>): { request: number; reply: number } {
  return { request: maxRequestLength(inputCount(model)) + 1, reply: 1 + 8 + 1 + 8 * outputCount(model) + 1 + 8 + 5 + 1 };
}

/**
 * Default reply timeout: 20x (compute time at board.fCpu + serial time of a request and a reply at 10 bits per byte),
 * at least 2 s. A row waits behind at most window-1 others, so this is generous; too short a timeout would resend
 * a request the board still holds and could overrun its receive buffer.
 */
export function defaultTimeoutMs(model: Pick<ModelFile, 'layers'>, board: Pick<BoardProfile, 'fCpu' | 'baud'>): number {
  const computeMs = (estimateComputeCycles(model) / board.fCpu) * 1000;
  const { request, reply } = frameBytes(model);
  const serialMs = (((request + reply) * 10) / board.baud) * 1000;
  return Math.max(2000, Math.ceil(20 * (computeMs + serialMs)));
}

interface RowState {
  readonly index: number;
  readonly inputs: readonly number[];
  readonly label: string | undefined;
  attempts: number;
  lastSeq: number;
  done: boolean;
}

/**
 * A request the board may hold. `row` is undefined once it timed out: its row has moved on (queued again or failed),
 * but it keeps its window slot until the board answers it or anything sent after it (the board answers in order), a
 * reset, or ZOMBIE_TIMEOUTS more timeouts. So a timeout that fires while a slow board still holds the request never overfills it.
 */
interface InFlight {
  row: RowState | undefined;
  /** For a timed-out request: the row it carried, which a late answer may still finish. */
  late: RowState | undefined;
  readonly seq: number;
  timer: NodeJS.Timeout;
}

/**
 * How long a ready line counts as the answer to a `?` we sent rather than a reset, ms: after the first ready line for
 * the `?`s sent while waiting for it, from the send for a `?` sent mid-stream (it waits behind the requests). Erring long
 * is safe: a reset taken for an echo only makes its requests time out and go again, while an echo taken for a reset
 * would resend requests the board still holds.
 */
const BOOT_ECHO_MS = 500;
/** A timed-out request gives its window slot back after this many more timeouts even if never answered (a dead board). */
const ZOMBIE_TIMEOUTS = 3;
const QUERY_ECHO_MS = 10_000;

export function createSession(opts: SessionOptions): Session {
  const { model, board } = opts;
  const nIn = inputCount(model);
  const nOut = outputCount(model);
  const retries = opts.retries ?? 3;
  const timeoutMs = opts.timeoutMs ?? defaultTimeoutMs(model, board);
  const readyTimeoutMs = opts.readyTimeoutMs ?? 15_000;
  const queryAfterMs = opts.queryAfterMs ?? 1500;
  for (const [name, v, min] of [['retries', retries, 0], ['timeoutMs', timeoutMs, 1], ['readyTimeoutMs', readyTimeoutMs, 1], ['queryAfterMs', queryAfterMs, 1]] as const) {
    if (!Number.isFinite(v) || v < min) throw new UsageError(`${name} is ${v}`, `use a number >= ${min}`);
  }
  if (opts.window !== undefined && !(Number.isInteger(opts.window) && opts.window >= 1)) {
    throw new UsageError(`window is ${opts.window}`, 'use a whole number >= 1 (or leave it to the board)');
  }

  const acc = new ReportAccumulator(model);
  const emit = (e: SessionEvent): void => {
    try {
      opts.onEvent?.(e);
    } catch {
      // A listener's bug must not break the session.
    }
  };

  let state: SessionState = 'opening';
  let transport: Transport | undefined;
  let log: WriteStream | undefined;
  let boardInfo: ReadyInfo | undefined;
  let window = 1;
  let nextSeq = 1;
  let startedAt = 0;
  let lastFinishAt = 0;
  /** Expiry times (performance.now() ms) of the ready lines we expect in answer to our `?`s. */
  let queryEchoes: number[] = [];
  let readyTimer: NodeJS.Timeout | undefined;
  let queryTimer: NodeJS.Timeout | undefined;
  let finished = false;
  let pumping = false;
  let sourceDone = false;
  let nextIndex = 0;
  const queue: RowState[] = [];
  const inflight = new Map<number, InFlight>();
  const recentLines: string[] = [];

  let resolveDone!: (r: ComparisonReport) => void;
  let rejectDone!: (e: unknown) => void;
  const done = new Promise<ComparisonReport>((res, rej) => {
    resolveDone = res;
    rejectDone = rej;
  });

  const rows = opts.rows;
  const knownLength = Array.isArray(rows) ? rows.length : undefined;
  const iterator: Iterator<RowInput> | AsyncIterator<RowInput> =
    Symbol.asyncIterator in rows ? (rows as AsyncIterable<RowInput>)[Symbol.asyncIterator]() : (rows as Iterable<RowInput>)[Symbol.iterator]();

  const setState = (s: SessionState, detail?: string): void => {
    state = s;
    emit(detail === undefined ? { type: 'state', state: s } : { type: 'state', state: s, detail });
  };

  const send = (line: string): void => {
    transport?.write(line);
    emit({ type: 'line', direction: 'tx', text: line, time: Date.now() });
  };

  const seconds = (): number => (startedAt === 0 ? 0 : ((lastFinishAt || performance.now()) - startedAt) / 1000);
  const buildReport = (): ComparisonReport =>
    acc.build({ boardHash: boardInfo?.model ?? null, boardId: board.id, port: transport?.path ?? '', seconds: seconds() });

  const hostOutputsOf = (row: RowState): Float32Array => forward(model, row.inputs);

  const finishRow = (row: RowState, result: Omit<RowResult, 'index' | 'seq' | 'inputs' | 'label' | 'attempts'>): void => {
    row.done = true;
    const full: RowResult = { index: row.index, seq: row.lastSeq, inputs: row.inputs, label: row.label, attempts: row.attempts, ...result };
    acc.add(full);
    lastFinishAt = performance.now();
    // The exact bits beside the numbers: JSON has no NaN or Infinity (they become null) and no NaN payload.
    log?.write(`${JSON.stringify({ type: 'row', row: { ...full, hostBits: bitsHex(full.hostOutputs), boardBits: full.boardOutputs && bitsHex(full.boardOutputs) } })}\n`);
    emit({ type: 'row', row: full });
  };

  const failRow = (row: RowState, error: string): void => {
    finishRow(row, {
      hostOutputs: Array.from(hostOutputsOf(row)),
      boardOutputs: null,
      status: 'failed',
      maxUlp: null,
      hostPrediction: undefined,
      boardPrediction: undefined,
      cycles: null,
      latencyUs: null,
      error,
    });
  };

  /** One attempt of `row` went nowhere: queue it again (in row order) or, out of retries, fail it. */
  const attemptFailed = (row: RowState, reason: string): void => {
    if (row.done) return;
    if (row.attempts > retries) {
      failRow(row, `${reason} (after ${row.attempts} attempts)`);
      return;
    }
    let at = queue.findIndex((r) => r.index > row.index);
    if (at < 0) at = queue.length;
    queue.splice(at, 0, row);
  };

  /** A request whose row moved on keeps its slot until answered, overtaken, a reset, or ZOMBIE_TIMEOUTS timeouts. */
  const demote = (entry: InFlight): void => {
    clearTimeout(entry.timer);
    entry.late = entry.row;
    entry.row = undefined;
    entry.timer = setTimeout(() => {
      inflight.delete(entry.seq);
      void pump();
    }, ZOMBIE_TIMEOUTS * timeoutMs);
  };

  const takeInflight = (seq: number): InFlight | undefined => {
    const entry = inflight.get(seq);
    if (!entry) return undefined;
    clearTimeout(entry.timer);
    inflight.delete(seq);
    return entry;
  };

  /** The board answers in order: requests sent before `seq` and still unanswered were lost on the way. */
  const dropOvertaken = (seq: number): void => {
    for (const [s, entry] of inflight) {
      if (s === seq) break;
      takeInflight(s);
      if (entry.row) attemptFailed(entry.row, 'request lost (the board answered a later one)');
    }
  };

  const closeLog = async (report: ComparisonReport): Promise<void> => {
    if (!log) return;
    const l = log;
    log = undefined;
    l.write(`${JSON.stringify({ type: 'summary', report })}\n`);
    await new Promise<void>((res) => l.end(res));
  };

  const stopTimers = (): void => {
    clearTimeout(readyTimer);
    clearTimeout(queryTimer);
    for (const entry of inflight.values()) clearTimeout(entry.timer);
  };

  /** Fail every row not yet finished (in flight, queued, and the rest of an array source). */
  const failUnfinished = (reason: string): void => {
    const left = [...inflight.values()].flatMap((e) => (e.row ? [e.row] : [])).concat(queue);
    inflight.clear();
    queue.length = 0;
    left.sort((a, b) => a.index - b.index);
    for (const row of left) failRow(row, reason);
    if (knownLength !== undefined && Array.isArray(rows)) {
      for (; nextIndex < knownLength; nextIndex++) {
        const r = rows[nextIndex] as RowInput;
        if (r.inputs.length !== nIn) continue;
        failRow({ index: nextIndex, inputs: r.inputs, label: r.label, attempts: 0, lastSeq: 0, done: false }, `not sent: ${reason}`);
      }
      sourceDone = true;
    }
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
      await closeLog(report);
    } catch (e) {
      logError = e;
    }
    try {
      await transport?.close();
    } catch {
      // Already gone.
    }
    try {
      await (iterator as AsyncIterator<RowInput>).return?.();
    } catch {
      // A source that cannot be closed early is left to the garbage collector.
    }
    if (error) rejectDone(error);
    else if (logError) rejectDone(new UsageError(`could not write the log ${opts.logPath}: ${(logError as Error).message}`));
    else resolveDone(report);
  };

  const maybeComplete = (): void => {
    if (!finished && state === 'streaming' && sourceDone && queue.length === 0 && [...inflight.values()].every((e) => !e.row)) void end();
  };

  const nextRow = async (): Promise<RowState | undefined> => {
    const queued = queue.shift();
    if (queued) return queued;
    if (sourceDone) return undefined;
    const r = await iterator.next();
    if (r.done) {
      sourceDone = true;
      return undefined;
    }
    const row = r.value;
    const index = nextIndex++;
    if (row.inputs.length !== nIn) {
      throw new UsageError(
        `row ${index + 1} has ${row.inputs.length} values but model ${model.hash} takes ${nIn} inputs`,
        `the inputs are: ${model.inputNames.join(', ')}`,
      );
    }
    return { index, inputs: row.inputs, label: row.label, attempts: 0, lastSeq: 0, done: false };
  };

  const sendRow = (row: RowState): void => {
    const seq = nextSeq;
    nextSeq = (nextSeq + 1) >>> 0;
    row.attempts++;
    row.lastSeq = seq;
    acc.sent++;
    if (row.attempts > 1) acc.retries++;
    const timer = setTimeout(() => {
      const entry = inflight.get(seq);
      if (!entry?.row) return;
      const timedOut = entry.row;
      demote(entry);
      attemptFailed(timedOut, `no reply within ${timeoutMs} ms`);
      void pump();
    }, timeoutMs);
    inflight.set(seq, { row, late: undefined, seq, timer });
    send(encodeRequest(seq, row.inputs));
  };

  /** Keep `window` requests in flight while there are rows. One pump runs at a time. */
  const pump = async (): Promise<void> => {
    if (pumping) return;
    pumping = true;
    try {
      while (!finished && state === 'streaming' && inflight.size < window) {
        const row = await nextRow();
        if (!row) break;
        if (row.done) continue; // finished by a late answer while we waited for the source
        if (finished || state !== 'streaming') {
          if (!finished) queue.unshift(row);
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

  const checkReady = (info: ReadyInfo): DeployNnError | undefined => {
    if (info.model !== model.hash) return new ModelHashMismatchError(info.model, model.hash);
    if (info.proto !== PROTOCOL_VERSION) {
      return new BoardNotReadyError(`the board speaks protocol ${info.proto}; this deploy-nn speaks ${PROTOCOL_VERSION}`, 'regenerate and upload the sketch');
    }
    if (info.inputs !== nIn || info.outputs !== nOut) {
      return new BoardNotReadyError(`the board reports in=${info.inputs} out=${info.outputs}; the model has ${nIn} inputs and ${nOut} outputs`);
    }
    if (info.window < 1) return new BoardNotReadyError(`the board announces window=${info.window}; it must be at least 1`);
    return undefined;
  };

  const onReady = (info: ReadyInfo): void => {
    if (finished) return;
    const now = performance.now();
    queryEchoes = queryEchoes.filter((expiry) => now < expiry);
    const bad = checkReady(info);
    boardInfo = info;
    if (bad) {
      void end(bad, 'the board was refused');
      return;
    }
    window = Math.min(opts.window ?? info.window, info.window);
    emit({ type: 'ready', info });
    if (state === 'waiting-ready') {
      clearTimeout(readyTimer);
      clearTimeout(queryTimer);
      queryEchoes = queryEchoes.map((expiry) => Math.min(expiry, now + BOOT_ECHO_MS));
      setState('streaming');
      startedAt = performance.now();
      void pump();
      return;
    }
    if (queryEchoes.length > 0) {
      // The answer to a `?` we sent: the board did not reset and still holds its requests.
      queryEchoes.shift();
      return;
    }
    // A reset: the board forgot everything in flight. Each such request counts as an attempt.
    acc.resets++;
    setState('board-reset', `reset #${acc.resets}: resending ${inflight.size} unanswered request(s)`);
    for (const seq of [...inflight.keys()]) {
      const entry = takeInflight(seq) as InFlight;
      if (entry.row) attemptFailed(entry.row, 'the board reset');
    }
    setState('streaming');
    void pump();
  };

  const onLine = (line: string): void => {
    if (finished) return;
    // A board that resets while sending leaves half a line: the ready line of its reboot is glued to its end.
    const glued = line.indexOf('#READY ');
    if (glued > 0) {
      onLine(line.slice(0, glued));
      onLine(line.slice(glued));
      return;
    }
    emit({ type: 'line', direction: 'rx', text: line, time: Date.now() });
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
      case 'error': {
        if (state !== 'streaming') return;
        acc.boardErrors++;
        if (parsed.seq === undefined || !inflight.has(parsed.seq)) return; // Not ours to pin on a row: timeouts cover it.
        dropOvertaken(parsed.seq);
        const entry = takeInflight(parsed.seq) as InFlight;
        if (entry.row) attemptFailed(entry.row, `board error "${parsed.code}"`);
        void pump();
        return;
      }
      case 'reply': {
        if (state !== 'streaming' || !inflight.has(parsed.seq)) return; // Not a request we still count.
        dropOvertaken(parsed.seq);
        const taken = takeInflight(parsed.seq) as InFlight;
        let row = taken.row;
        if (!row && taken.late && !taken.late.done) {
          // The late answer to a request that timed out: still the row's answer. Its newer request is now the spare.
          row = taken.late;
          const at = queue.indexOf(row);
          if (at >= 0) queue.splice(at, 1);
          for (const other of inflight.values()) if (other.row === row) demote(other);
        }
        if (!row) {
          // Its row is finished already: only the window slot is freed.
        } else if (parsed.outputs.length !== nOut) {
          attemptFailed(row, `reply had ${parsed.outputs.length} outputs, the model has ${nOut}`);
        } else {
          const host = hostOutputsOf(row);
          const cmp = compareOutputs(model, host, parsed.outputs);
          finishRow(row, {
            hostOutputs: Array.from(host),
            boardOutputs: Array.from(parsed.outputs),
            status: cmp.status,
            maxUlp: cmp.maxUlp,
            hostPrediction: cmp.hostPrediction,
            boardPrediction: cmp.boardPrediction,
            cycles: parsed.cycles,
            latencyUs: (parsed.cycles / board.fCpu) * 1e6,
            error: undefined,
          });
        }
        void pump();
        return;
      }
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
    queryEchoes.push(Number.POSITIVE_INFINITY); // until the first ready line, then BOOT_ECHO_MS
    send('?');
    queryTimer = setTimeout(queryBoard, queryAfterMs);
  };

  const start = async (): Promise<void> => {
    setState('opening');
    if (opts.logPath) {
      const logPath = opts.logPath;
      try {
        mkdirSync(path.dirname(path.resolve(logPath)), { recursive: true });
        log = createWriteStream(logPath);
        await new Promise<void>((res, rej) => {
          (log as WriteStream).once('open', () => res());
          (log as WriteStream).once('error', rej);
        });
      } catch (e) {
        log = undefined;
        throw new UsageError(`cannot write the log ${logPath}: ${(e as Error).message}`, 'choose a writable --log path');
      }
    }
    transport = typeof opts.transport === 'function' ? await opts.transport() : opts.transport;
    if (finished) {
      await transport.close();
      return;
    }
    transport.onLine(onLine);
    transport.onClose(onClose);
    setState('waiting-ready');
    queryTimer = setTimeout(queryBoard, queryAfterMs);
    readyTimer = setTimeout(() => {
      const seen = recentLines.length ? `; last lines: ${recentLines.map((l) => JSON.stringify(l)).join(', ')}` : '; nothing was received';
      void end(
        new BoardNotReadyError(
          `no ready line from ${transport?.path} within ${readyTimeoutMs} ms${seen}`,
          'is the deploy-nn sketch uploaded, and the baud rate right? (deploy-nn build and upload)',
        ),
      );
    }, readyTimeoutMs);
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
      if (line.trim() === '?') queryEchoes.push(state === 'streaming' ? performance.now() + QUERY_ECHO_MS : Number.POSITIVE_INFINITY);
      send(line);
    },
  };
}

/** Run a session to its end: createSession(opts).done. */
export function runSession(opts: SessionOptions): Promise<ComparisonReport> {
  return createSession(opts).done;
}
