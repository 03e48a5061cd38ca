// A clock for unit tests: time moves only when the test says, or run() jumps from one timer to the next whenever the
// code under test has nothing else to do. No wall-clock time passes in simulated milliseconds.
import type { Clock, ClockTimer } from '../../host/bridge/clock.js';

interface Pending {
  readonly at: number;
  readonly order: number;
  readonly fn: () => void;
}

const yieldToEventLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

export class ManualClock implements Clock {
  private t: number;
  private order = 0;
  private readonly timers = new Map<number, Pending>();

  constructor(start = 1_700_000_000_000) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): ClockTimer {
    const id = ++this.order;
    this.timers.set(id, { at: this.t + Math.max(0, ms), order: id, fn });
    return id as unknown as ClockTimer;
  }

  clearTimeout(timer: ClockTimer | undefined): void {
    if (timer !== undefined) this.timers.delete(timer as unknown as number);
  }

  /** Timers not yet fired. */
  get pending(): number {
    return this.timers.size;
  }

  /** Fire the earliest timer (ties in the order they were set), moving time to it; false when none is set. */
  step(until = Number.POSITIVE_INFINITY): boolean {
    let next: [number, Pending] | undefined;
    for (const entry of this.timers) if (!next || entry[1].at < next[1].at || (entry[1].at === next[1].at && entry[1].order < next[1].order)) next = entry;
    if (!next || next[1].at > until) return false;
    this.timers.delete(next[0]);
    this.t = Math.max(this.t, next[1].at);
    next[1].fn();
    return true;
  }

  /** Move time forward by `ms`, firing the timers due on the way (letting promises settle after each). */
  async advance(ms: number): Promise<void> {
    const until = this.t + ms;
    await yieldToEventLoop();
    while (this.step(until)) await yieldToEventLoop();
    this.t = until;
    await yieldToEventLoop();
  }

  /**
   * Settle `promise`, firing timers one by one whenever the event loop has nothing else to do (promises, file I/O):
   * simulated time jumps straight to the next timer. `onTime` runs before each timer with the time it fires at.
   */
  async run<T>(promise: Promise<T>, onTime?: (now: number) => void): Promise<T> {
    let settled = false;
    promise.then(
      () => (settled = true),
      () => (settled = true),
    );
    while (!settled) {
      await yieldToEventLoop();
      if (settled) break;
      onTime?.(this.t);
      if (!this.step()) await new Promise((r) => setTimeout(r, 1)); // only real I/O (a file) is left: let it finish
    }
    return promise;
  }
}
