// A board in TypeScript for unit tests: the board side of docs/protocol.md over a Transport, with faults on demand.
import type { ModelFile } from '../core/model.js';
import { inputCount, outputCount } from '../core/model.js';
import type { BoardProfile } from '../core/boards.js';
import { forward, predictLabel } from '../model/forward.js';
import { encodeError, encodeReady, encodeReply, maxRequestLength, parseHostLine, PROTOCOL_VERSION } from './protocol.js';
import type { BoardErrorCode } from './protocol.js';
import { realClock } from './clock.js';
import type { Clock, ClockTimer } from './clock.js';
import { estimateComputeCycles } from './timing.js';
import { LineSplitter } from './transport.js';
import type { Transport } from './transport.js';

/**
 * Faults, each a function of `n`, the ordinal of the request line the board received (1-based, retries included).
 * All default to "no fault".
 */
export interface MockBoardFaults {
  /** Sent to the host before the ready line (bootloader noise). */
  readonly preamble?: string;
  /** Send no ready line at boot, only in answer to `?` (a board that does not reset on open). */
  readonly silentBoot?: boolean;
  /** Announce this model hash instead of the model's (a board running another model). */
  readonly modelHash?: string;
  /** The reply to request n never reaches the host (lost on the wire). */
  readonly dropReply?: (n: number) => boolean;
  /** The wire stalls for this many ms before the reply to request n (everything behind it waits too). */
  readonly delayReplyMs?: (n: number) => number;
  /** The reply to request n arrives with a wrong check value. */
  readonly badCrc?: (n: number) => boolean;
  /** The board answers request n with this error instead of computing it (line noise the board caught). */
  readonly errorReply?: (n: number) => BoardErrorCode | undefined;
  /** The last bit of output 0 of request n is flipped (a board that computes differently). */
  readonly wrongOutput?: (n: number) => boolean;
  /** Raw bytes (may hold newlines) sent to the host just before the reply to request n. */
  readonly garbageToHost?: (n: number) => string | undefined;
  /** Raw bytes inserted in the middle of request n on its way to the board. */
  readonly garbageToBoard?: (n: number) => string | undefined;
  /** The board resets on receiving request n (that request and all held ones are lost; a ready line follows). */
  readonly resetOn?: (n: number) => boolean;
  /** The device goes away on receiving request n. */
  readonly disconnectOn?: (n: number) => boolean;
}

export interface MockBoardOptions {
  readonly model: ModelFile;
  readonly board: BoardProfile;
  /** Window announced in the ready line; default 2. */
  readonly window?: number;
  /** Time the board takes per request, ms; default 0 (next tick). */
  readonly computeMs?: number;
  /** Boot time before the ready line, ms; default 1. */
  readonly bootMs?: number;
  /** Keep every host line in `hostLines` (default true; turn off for long runs). */
  readonly recordHostLines?: boolean;
  readonly faults?: MockBoardFaults;
  /** Where its time comes from; default the real clock (pass the session's manual clock in unit tests). */
  readonly clock?: Clock;
}

/** What the host did, as the board saw it: the pacing checks of docs/protocol.md. */
export interface MockBoardStats {
  requests: number;
  replies: number;
  resets: number;
  /** Most request lines the host had unanswered at once. */
  maxOutstanding: number;
  /** Most bytes ever waiting in the receive buffer (beyond the request computing and the one being decoded). */
  maxRxBytes: number;
  /** Broken pacing rules, one message each (empty when the host behaved). */
  violations: string[];
}

/** One host write as the board holds it: it frees its slot when every line it turned into has been handled. */
interface Unit {
  readonly isRequest: boolean;
  readonly bytes: number;
  readonly lines: string[];
  readonly n: number;
}

export class MockBoard implements Transport {
  readonly path = 'mock';
  readonly stats: MockBoardStats = { requests: 0, replies: 0, resets: 0, maxOutstanding: 0, maxRxBytes: 0, violations: [] };
  /** Every line the host wrote, in order. */
  readonly hostLines: string[] = [];
  private readonly model: ModelFile;
  private readonly board: BoardProfile;
  private readonly window: number;
  private readonly computeMs: number;
  private readonly bootMs: number;
  private readonly faults: MockBoardFaults;
  private readonly nIn: number;
  private readonly recordHostLines: boolean;
  private readonly fifo: Unit[] = [];
  private readonly hostSplitter = new LineSplitter();
  private readonly lineListeners: ((line: string) => void)[] = [];
  private readonly closeListeners: ((error?: Error) => void)[] = [];
  private wire: { text: string; notBefore: number }[] = [];
  private readonly clock: Clock;
  private wireTimer: ClockTimer | undefined;
  private computeTimer: ClockTimer | undefined;
  private bootTimer: ClockTimer | undefined;
  private booting = true;
  private busy = false;
  private closed = false;

  constructor(opts: MockBoardOptions) {
    this.model = opts.model;
    this.board = opts.board;
    this.window = opts.window ?? 2;
    this.computeMs = opts.computeMs ?? 0;
    this.bootMs = opts.bootMs ?? 1;
    this.faults = opts.faults ?? {};
    this.nIn = inputCount(opts.model);
    this.recordHostLines = opts.recordHostLines ?? true;
    this.clock = opts.clock ?? realClock;
    this.boot();
  }

  // ---- Transport (the host's side of the cable) ----

  write(line: string): void {
    if (this.closed) return;
    if (this.recordHostLines) this.hostLines.push(line);
    const isRequest = line.startsWith('>');
    let bytes = `${line}\n`;
    let n = 0;
    if (isRequest) {
      n = ++this.stats.requests;
      const outstanding = this.fifo.filter((u) => u.isRequest).length + 1;
      this.stats.maxOutstanding = Math.max(this.stats.maxOutstanding, outstanding);
      if (outstanding > this.window) this.stats.violations.push(`request ${n} sent with ${outstanding - 1} unanswered (window ${this.window})`);
      if (this.faults.disconnectOn?.(n)) {
        this.disconnect();
        return;
      }
      if (this.faults.resetOn?.(n)) {
        this.reset();
        return;
      }
      const garbage = this.faults.garbageToBoard?.(n);
      if (garbage !== undefined) {
        const mid = Math.floor(bytes.length / 2);
        bytes = bytes.slice(0, mid) + garbage + bytes.slice(mid);
      }
    }
    if (this.booting) return; // Bytes sent while the board boots are lost.
    // The board's own splitter: a line longer than a request can be is cut, as the firmware's buffer would.
    const splitter = new LineSplitter(maxRequestLength(this.nIn) + 1);
    const lines = splitter.push(bytes);
    if (splitter.pending > 0) lines.push(bytes.slice(bytes.lastIndexOf('\n') + 1));
    this.fifo.push({ isRequest, bytes: bytes.length, lines, n });
    // Two units are decoded (one computing, one arriving); the rest waits in the receive buffer.
    const waiting = this.fifo.slice(2).reduce((s, u) => s + u.bytes, 0);
    this.stats.maxRxBytes = Math.max(this.stats.maxRxBytes, waiting);
    if (waiting > this.board.rxBufferBytes) this.stats.violations.push(`${waiting} bytes waiting in the ${this.board.rxBufferBytes}-byte receive buffer`);
    this.process();
  }

  onLine(listener: (line: string) => void): void {
    this.lineListeners.push(listener);
    this.flushWire();
  }

  onClose(listener: (error?: Error) => void): void {
    this.closeListeners.push(listener);
  }

  close(): Promise<void> {
    this.shutdown(undefined);
    return Promise.resolve();
  }

  // ---- Board controls for tests ----

  /** Reset now: held requests are lost, a ready line follows after the boot time. */
  reset(): void {
    this.stats.resets++;
    this.fifo.length = 0;
    this.clock.clearTimeout(this.computeTimer);
    this.busy = false;
    this.boot();
  }

  /** The device goes away (cable pulled). */
  disconnect(): void {
    this.shutdown(new Error('device disconnected'));
  }

  /** Raw bytes to the host now. */
  injectToHost(text: string): void {
    this.toHost(text, 0);
  }

  // ---- Board internals ----

  private boot(): void {
    this.booting = true;
    this.clock.clearTimeout(this.bootTimer);
    this.bootTimer = this.clock.setTimeout(() => {
      this.booting = false;
      if (this.faults.preamble) this.toHost(this.faults.preamble, 0);
      if (!this.faults.silentBoot) this.sendReady();
    }, this.bootMs);
  }

  private sendReady(): void {
    this.toHost(
      `${encodeReady({
        proto: PROTOCOL_VERSION,
        model: this.faults.modelHash ?? this.model.hash,
        board: this.board.id,
        inputs: this.nIn,
        outputs: outputCount(this.model),
        window: this.window,
      })}\n`,
      0,
    );
  }

  private process(): void {
    if (this.busy || this.closed) return;
    const unit = this.fifo[0];
    if (!unit) return;
    this.busy = true;
    const run = (): void => {
      this.busy = false;
      if (this.fifo[0] !== unit) return; // reset meanwhile
      this.fifo.shift();
      for (const line of unit.lines) this.answer(line, unit.n);
      this.process();
    };
    this.computeTimer = this.clock.setTimeout(run, this.computeMs);
  }

  private answer(line: string, n: number): void {
    const parsed = parseHostLine(line, this.nIn);
    const f = this.faults;
    const delay = n > 0 ? (f.delayReplyMs?.(n) ?? 0) : 0;
    switch (parsed.kind) {
      case 'empty':
        return;
      case 'query':
        this.sendReady();
        return;
      case 'human': {
        const out = forward(this.model, parsed.values);
        const label = this.model.task === 'regression' ? '' : `${predictLabel(this.model, out)} `;
        this.toHost(`${label}${Array.from(out, (v) => v.toFixed(3)).join(' ')}\n`, 0);
        return;
      }
      case 'invalid':
        this.toHost(`${encodeError(parsed.seq, parsed.code)}\n`, delay);
        return;
      case 'request': {
        const garbage = f.garbageToHost?.(n);
        if (garbage !== undefined) this.toHost(garbage, 0);
        const code = f.errorReply?.(n);
        if (code !== undefined) {
          this.toHost(`${encodeError(parsed.seq, code)}\n`, delay);
          return;
        }
        const out = forward(this.model, parsed.inputs);
        if (f.wrongOutput?.(n)) {
          const bits = new Uint32Array(out.buffer);
          bits[0] = (bits[0] as number) ^ 1;
        }
        this.stats.replies++;
        if (f.dropReply?.(n)) return;
        let reply = encodeReply(parsed.seq, out, estimateComputeCycles(this.model));
        if (f.badCrc?.(n)) reply = `${reply.slice(0, -1)}${reply.endsWith('0') ? '1' : '0'}`;
        this.toHost(`${reply}\n`, delay);
        return;
      }
    }
  }

  /** The board-to-host wire: in order, never reordered; `delayMs` stalls it (and all behind). */
  private toHost(text: string, delayMs: number): void {
    if (this.closed) return;
    const last = this.wire[this.wire.length - 1];
    const notBefore = Math.max(this.clock.now() + delayMs, last?.notBefore ?? 0);
    this.wire.push({ text, notBefore });
    this.flushWire();
  }

  private flushWire(): void {
    if (this.wireTimer || this.lineListeners.length === 0) return;
    const head = this.wire[0];
    if (!head) return;
    this.wireTimer = this.clock.setTimeout(() => {
      this.wireTimer = undefined;
      const now = this.clock.now();
      while (this.wire.length > 0 && (this.wire[0] as { notBefore: number }).notBefore <= now && !this.closed) {
        const { text } = this.wire.shift() as { text: string };
        for (const line of this.hostSplitter.push(text)) for (const l of this.lineListeners) l(line);
      }
      this.flushWire();
    }, Math.max(0, head.notBefore - this.clock.now()));
  }

  private shutdown(error: Error | undefined): void {
    if (this.closed) return;
    this.closed = true;
    this.clock.clearTimeout(this.wireTimer);
    this.clock.clearTimeout(this.computeTimer);
    this.clock.clearTimeout(this.bootTimer);
    this.wire = [];
    this.fifo.length = 0;
    for (const l of this.closeListeners) l(error);
  }
}
