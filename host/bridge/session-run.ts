// One running session: the pump that keeps the board's window full, and what each line from the board, each timer and
// the device's close do to the rows. The API around it (options, defaults, errors) is session.ts.
import type { BoardProfile } from '../core/boards.js';
import type { ModelFile } from '../core/model.js';
import { outputCount } from '../core/model.js';
import { BoardNotReadyError, DeployNnError, DisconnectedError, UsageError } from '../core/errors.js';
import { forward } from '../model/forward.js';
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

/** What a run needs, the options checked and defaulted. */
export interface RunSettings {
  readonly model: ModelFile;
  readonly board: BoardProfile;
  readonly rows: Iterable<RowInput> | AsyncIterable<RowInput>;
  readonly transport: Transport | TransportFactory;
  readonly window: number | undefined;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly readyTimeoutMs: number;
  readonly queryAfterMs: number;
  readonly logPath: string | undefined;
  readonly onEvent: ((event: SessionEvent) => void) | undefined;
  readonly clock: Clock;
}

/** The device went away under the session: `report` holds every row read so far (unfinished ones failed). */
export class DisconnectedSessionError extends DisconnectedError {
  readonly report: ComparisonReport;
  constructor(message: string, report: ComparisonReport, hint?: string) {
    super(message, hint);
    this.report = report;
  }
}

type RowOutcome = Omit<RowResult, 'index' | 'seq' | 'inputs' | 'label' | 'attempts'>;

export class SessionRun {
  readonly done: Promise<ComparisonReport>;
  private resolveDone!: (r: ComparisonReport) => void;
  private rejectDone!: (e: unknown) => void;
  private readonly nOut: number;
  private readonly clock: Clock;
  private readonly acc: ReportAccumulator;
  private readonly source: RowSource;
  private readonly inflight: RequestWindow<RowState>;
  private readonly readyLines = new ReadyClassifier();
  private log: JsonlLog | undefined;
  private state: SessionState = 'opening';
  private transport: Transport | undefined;
  private boardInfo: ReadyInfo | undefined;
  private window = 1;
  private nextSeq = 1;
  private startedAt = 0;
  private lastFinishAt = 0;
  private readyTimer: ClockTimer | undefined;
  private queryTimer: ClockTimer | undefined;
  private windowTimer: ClockTimer | undefined;
  private windowTimerAt: number | undefined;
  private finished = false;
  private pumping = false;
  private readonly recentLines: string[] = [];

  constructor(private readonly s: RunSettings) {
    this.nOut = outputCount(s.model);
    this.clock = s.clock;
    this.acc = new ReportAccumulator(s.model);
    this.source = new RowSource(s.rows, s.model);
    this.inflight = new RequestWindow<RowState>(s.timeoutMs);
    this.done = new Promise<ComparisonReport>((res, rej) => {
      this.resolveDone = res;
      this.rejectDone = rej;
    });
    this.start().catch((err: unknown) => {
      void this.end(err instanceof DeployNnError ? err : new DisconnectedError(`could not open the board: ${(err as Error).message}`));
    });
  }

  /** Stop now: unfinished rows end as failed ("aborted"). */
  readonly abort = (): void => {
    if (!this.finished) void this.end(undefined, 'aborted');
  };

  /** A console line to the board, outside the window. */
  sendRaw(line: string): void {
    if (this.finished || !this.transport) return;
    const rx = this.s.board.rxBufferBytes;
    if (line.length >= rx) throw new UsageError(`a console line of ${line.length} characters could overrun the board's ${rx}-byte receive buffer`, `send lines under ${rx} characters`);
    if (line.trim() === '?') this.readyLines.queried(this.clock.now(), this.state === 'streaming');
    this.send(line);
  }

  private emit(e: SessionEvent): void {
    this.log?.onEvent(e);
    try {
      this.s.onEvent?.(e);
    } catch {
      // A listener's bug must not break the session.
    }
  }

  private setState(state: SessionState, detail?: string): void {
    this.state = state;
    this.emit(detail === undefined ? { type: 'state', state } : { type: 'state', state, detail });
  }

  private send(line: string): void {
    this.transport?.write(line);
    this.emit({ type: 'line', direction: 'tx', text: line, time: this.clock.now() });
  }

  private buildReport(): ComparisonReport {
    const seconds = this.startedAt === 0 ? 0 : ((this.lastFinishAt || this.clock.now()) - this.startedAt) / 1000;
    return this.acc.build({ boardHash: this.boardInfo?.model ?? null, boardId: this.s.board.id, port: this.transport?.path ?? '', seconds });
  }

  private finishRow(row: RowState, result: RowOutcome): void {
    row.done = true;
    const full: RowResult = { index: row.index, seq: row.lastSeq, inputs: row.inputs, label: row.label, attempts: row.attempts, ...result };
    this.acc.add(full);
    this.lastFinishAt = this.clock.now();
    this.emit({ type: 'row', row: full });
  }

  private failRow(row: RowState, error: string): void {
    const hostOutputs = Array.from(forward(this.s.model, row.inputs));
    this.finishRow(row, { hostOutputs, boardOutputs: null, status: 'failed', maxUlp: null, hostPrediction: undefined, boardPrediction: undefined, cycles: null, latencyUs: null, error });
  }

  /** One attempt of `row` went nowhere: queue it again (in row order) or, out of retries, fail it. */
  private attemptFailed(row: RowState, reason: string): void {
    if (row.done) return;
    if (row.attempts > this.s.retries) this.failRow(row, `${reason} (after ${row.attempts} attempts)`);
    else this.source.requeue(row);
  }

  /** One timer for the window's next deadline (a timeout, or a timed-out request giving its slot back). */
  private armWindowTimer(): void {
    const at = this.finished ? undefined : this.inflight.nextDeadline();
    if (at === this.windowTimerAt) return;
    this.clock.clearTimeout(this.windowTimer);
    this.windowTimer = undefined;
    this.windowTimerAt = at;
    if (at !== undefined) this.windowTimer = this.clock.setTimeout(this.onWindowDeadline, Math.max(0, at - this.clock.now()));
  }

  private readonly onWindowDeadline = (): void => {
    this.windowTimer = undefined;
    this.windowTimerAt = undefined;
    for (const row of this.inflight.expire(this.clock.now())) this.attemptFailed(row, `no reply within ${this.s.timeoutMs} ms`);
    this.armWindowTimer();
    void this.pump();
  };

  private stopTimers(): void {
    this.clock.clearTimeout(this.readyTimer);
    this.clock.clearTimeout(this.queryTimer);
    this.clock.clearTimeout(this.windowTimer);
    this.windowTimer = undefined;
  }

  /** Fail every row not yet finished (in flight, queued, and the rest of an array source). */
  private failUnfinished(reason: string): void {
    const { queued, unsent } = this.source.drain();
    const left = this.inflight.clear().concat(queued);
    left.sort((a, b) => a.index - b.index);
    for (const row of left) this.failRow(row, reason);
    for (const row of unsent) this.failRow(row, `not sent: ${reason}`);
  }

  /** End the session: resolve with the report, or reject with `error` (the report is logged either way). */
  private async end(error?: DeployNnError, unfinishedReason?: string): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    this.stopTimers();
    if (unfinishedReason !== undefined) this.failUnfinished(unfinishedReason);
    const report = this.buildReport();
    this.emit({ type: 'summary', report });
    this.setState(error instanceof DisconnectedError ? 'disconnected' : 'done', error?.message);
    let logError: unknown;
    try {
      await this.log?.close();
    } catch (e) {
      logError = e;
    }
    try {
      await this.transport?.close();
    } catch {
      // Already gone.
    }
    await this.source.close();
    if (error) this.rejectDone(error);
    else if (logError) this.rejectDone(new UsageError(`could not write the log ${this.s.logPath}: ${(logError as Error).message}`));
    else this.resolveDone(report);
  }

  private sendRow(row: RowState): void {
    const seq = this.nextSeq;
    this.nextSeq = (this.nextSeq + 1) >>> 0;
    row.attempts++;
    row.lastSeq = seq;
    this.acc.sent++;
    if (row.attempts > 1) this.acc.retries++;
    this.inflight.add(seq, row, this.clock.now());
    this.armWindowTimer();
    this.send(encodeRequest(seq, row.inputs));
  }

  /** Keep `window` requests in flight while there are rows. One pump runs at a time. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.finished && this.state === 'streaming' && this.inflight.size < this.window) {
        const row = await this.source.next();
        if (!row) break;
        if (row.done) continue; // finished by a late answer while we waited for the source
        if (this.finished || this.state !== 'streaming') {
          if (!this.finished) this.source.putBack(row);
          break;
        }
        this.sendRow(row);
      }
    } catch (err) {
      await this.end(err instanceof DeployNnError ? err : new UsageError(`could not read the rows: ${(err as Error).message}`), 'the rows could not be read');
      return;
    } finally {
      this.pumping = false;
    }
    if (!this.finished && this.state === 'streaming' && this.source.exhausted && !this.inflight.hasLive()) void this.end();
  }

  private onReady(info: ReadyInfo): void {
    if (this.finished) return;
    const now = this.clock.now();
    const bad = readyProblem(info, this.s.model);
    this.boardInfo = info;
    if (bad) {
      void this.end(bad, 'the board was refused');
      return;
    }
    this.window = Math.min(this.s.window ?? info.window, info.window);
    this.emit({ type: 'ready', info });
    const kind = this.readyLines.classify(now, this.state === 'waiting-ready');
    if (kind === 'first') {
      this.clock.clearTimeout(this.readyTimer);
      this.clock.clearTimeout(this.queryTimer);
      this.setState('streaming');
      this.startedAt = this.clock.now();
      void this.pump();
      return;
    }
    if (kind === 'echo') return;
    // A reset: the board forgot everything in flight. Each such request counts as an attempt.
    this.acc.resets++;
    this.setState('board-reset', `reset #${this.acc.resets}: resending ${this.inflight.size} unanswered request(s)`);
    for (const row of this.inflight.clear()) this.attemptFailed(row, 'the board reset');
    this.armWindowTimer();
    this.setState('streaming');
    void this.pump();
  }

  /** A reply (outputs) or a board error (code) for a request still counted: settle it and the ones it overtook. */
  private onAnswer(seq: number, outputs: Float32Array | undefined, cycles: number, errorCode?: string): void {
    const settled = this.inflight.settle(seq, this.clock.now(), outputs !== undefined);
    this.armWindowTimer();
    for (const lost of settled.lost) this.attemptFailed(lost, 'request lost (the board answered a later one)');
    const row = settled.row;
    if (settled.late && row) this.source.remove(row);
    if (!row) {
      // Its row is finished already: only the window slot is freed.
    } else if (outputs === undefined) {
      this.attemptFailed(row, `board error "${errorCode}"`);
    } else if (outputs.length !== this.nOut) {
      this.attemptFailed(row, `reply had ${outputs.length} outputs, the model has ${this.nOut}`);
    } else {
      const host = forward(this.s.model, row.inputs);
      const cmp = compareOutputs(this.s.model, host, outputs);
      this.finishRow(row, {
        hostOutputs: Array.from(host),
        boardOutputs: Array.from(outputs),
        status: cmp.status,
        maxUlp: cmp.maxUlp,
        hostPrediction: cmp.hostPrediction,
        boardPrediction: cmp.boardPrediction,
        cycles,
        latencyUs: (cycles / this.s.board.fCpu) * 1e6,
        error: undefined,
      });
    }
    void this.pump();
  }

  private readonly onLine = (line: string): void => {
    for (const piece of splitGluedReady(line)) this.onOneLine(piece);
  };

  private onOneLine(line: string): void {
    if (this.finished) return;
    this.emit({ type: 'line', direction: 'rx', text: line, time: this.clock.now() });
    if (this.state === 'waiting-ready' || this.state === 'opening') {
      this.recentLines.push(line.length > 80 ? `${line.slice(0, 80)}...` : line);
      if (this.recentLines.length > 3) this.recentLines.shift();
    }
    const parsed = parseBoardLine(line);
    switch (parsed.kind) {
      case 'ready':
        this.onReady(parsed.info);
        return;
      case 'garbled':
        this.acc.garbledLines++;
        return;
      case 'text':
        return;
      case 'error':
        if (this.state !== 'streaming') return;
        this.acc.boardErrors++;
        if (parsed.seq === undefined || !this.inflight.has(parsed.seq)) return; // Not ours to pin on a row: timeouts cover it.
        this.onAnswer(parsed.seq, undefined, 0, parsed.code);
        return;
      case 'reply':
        if (this.state !== 'streaming' || !this.inflight.has(parsed.seq)) return; // Not a request we still count.
        this.onAnswer(parsed.seq, parsed.outputs, parsed.cycles);
        return;
    }
  }

  private readonly onClose = (error?: Error): void => {
    if (this.finished) return;
    const why = error?.message ?? 'closed';
    this.stopTimers();
    this.failUnfinished('the board disconnected');
    const partial = this.buildReport();
    const where = this.s.logPath ? `saved in ${this.s.logPath}` : 'attached to the error';
    void this.end(
      new DisconnectedSessionError(
        `the serial device ${this.transport?.path ?? ''} went away during the session (${why}): ${partial.rows - partial.failed} of ${partial.rows} rows finished; partial report ${where}`,
        partial,
        'check the cable (a real Uno) or the virtual board, then run verify again',
      ),
    );
  };

  private readonly queryBoard = (): void => {
    if (this.finished || this.state !== 'waiting-ready') return;
    this.readyLines.queried(this.clock.now(), false);
    this.send('?');
    this.queryTimer = this.clock.setTimeout(this.queryBoard, this.s.queryAfterMs);
  };

  private readonly noReadyLine = (): void => {
    const seen = this.recentLines.length ? `; last lines: ${this.recentLines.map((l) => JSON.stringify(l)).join(', ')}` : '; nothing was received';
    void this.end(
      new BoardNotReadyError(
        `no ready line from ${this.transport?.path} within ${this.s.readyTimeoutMs} ms${seen}`,
        'is the deploy-nn sketch uploaded, and the baud rate right? (deploy-nn build and upload)',
      ),
    );
  };

  private async start(): Promise<void> {
    this.setState('opening');
    if (this.s.logPath) this.log = await openJsonlLog(this.s.logPath);
    const t = this.s.transport;
    const transport = typeof t === 'function' ? await t() : t;
    this.transport = transport;
    if (this.finished) {
      await transport.close();
      return;
    }
    transport.onLine(this.onLine);
    transport.onClose(this.onClose);
    this.setState('waiting-ready');
    this.queryTimer = this.clock.setTimeout(this.queryBoard, this.s.queryAfterMs);
    this.readyTimer = this.clock.setTimeout(this.noReadyLine, this.s.readyTimeoutMs);
  }
}
