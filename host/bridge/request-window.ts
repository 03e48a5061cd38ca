// The requests a board may hold: which are in flight, which timed out, and what a (late) answer finishes. No timers:
// the owner passes the time in and arms one timer for nextDeadline().

/** A timed-out request gives its window slot back after this many more timeouts even if never answered (a dead board). */
export const ZOMBIE_TIMEOUTS = 3;

/**
 * A request the board may hold. `row` is undefined once it timed out: its row has moved on (queued again or failed),
 * but it keeps its window slot until the board answers it or anything sent after it (the board answers in order), a
 * reset, or ZOMBIE_TIMEOUTS more timeouts. So a timeout that fires while a slow board still holds the request never
 * overfills it.
 */
interface Entry<R> {
  readonly seq: number;
  row: R | undefined;
  /** For a timed-out request: the row it carried, which a late answer may still finish. */
  late: R | undefined;
  /** When it times out (live) or gives its slot back (timed out), in clock ms. */
  deadline: number;
}

/** What an answer (reply or board error) to one sequence number settles. */
export interface Settled<R> {
  /** Rows of the live requests sent before it and unanswered: lost on the way (the board answers in order). */
  readonly lost: R[];
  /** The row the answer finishes: the live request's, or (a late answer) the timed-out request's unfinished row. */
  readonly row: R | undefined;
  /** True when `row` comes from a request that had timed out (its row may be queued again: take it out). */
  readonly late: boolean;
}

export class RequestWindow<R extends { readonly done: boolean }> {
  private readonly entries = new Map<number, Entry<R>>();
  constructor(private readonly timeoutMs: number) {}

  /** Requests holding a slot (live and timed out). */
  get size(): number {
    return this.entries.size;
  }

  has(seq: number): boolean {
    return this.entries.has(seq);
  }

  /** A request for `row` was sent at `now`. */
  add(seq: number, row: R, now: number): void {
    this.entries.set(seq, { seq, row, late: undefined, deadline: now + this.timeoutMs });
  }

  /** Whether any request still carries a row that waits for its answer. */
  hasLive(): boolean {
    for (const e of this.entries.values()) if (e.row) return true;
    return false;
  }

  /** The earliest deadline (a timeout or a slot given back), or undefined when nothing is in flight. */
  nextDeadline(): number | undefined {
    let next: number | undefined;
    for (const e of this.entries.values()) if (next === undefined || e.deadline < next) next = e.deadline;
    return next;
  }

  /**
   * Apply every deadline reached at `now`: live requests time out (their rows are returned, in send order, to be
   * retried or failed) and keep their slots; timed-out requests past ZOMBIE_TIMEOUTS more timeouts give them back.
   */
  expire(now: number): R[] {
    const timedOut: R[] = [];
    for (const [seq, e] of this.entries) {
      if (e.deadline > now) continue;
      if (e.row) {
        timedOut.push(e.row);
        this.demote(e, now);
      } else {
        this.entries.delete(seq);
      }
    }
    return timedOut;
  }

  /**
   * The board answered `seq` (a request still counted: check has() first). Requests sent before it are dropped.
   * With `acceptLate`, the late answer to a timed-out request still finishes its row when that row is unfinished, and
   * the row's newer request becomes the spare (timed out).
   */
  settle(seq: number, now: number, acceptLate: boolean): Settled<R> {
    const lost: R[] = [];
    for (const [s, e] of this.entries) {
      if (s === seq) break;
      this.entries.delete(s);
      if (e.row) lost.push(e.row);
    }
    const entry = this.entries.get(seq);
    this.entries.delete(seq);
    if (!entry) return { lost, row: undefined, late: false };
    if (entry.row || !acceptLate || !entry.late || entry.late.done) return { lost, row: entry.row, late: false };
    const row = entry.late;
    for (const other of this.entries.values()) if (other.row === row) this.demote(other, now);
    return { lost, row, late: true };
  }

  /** Empty the window (a reset, or the end): the rows still waiting for answers, in send order. */
  clear(): R[] {
    const live = [...this.entries.values()].flatMap((e) => (e.row ? [e.row] : []));
    this.entries.clear();
    return live;
  }

  private demote(e: Entry<R>, now: number): void {
    e.late = e.row;
    e.row = undefined;
    e.deadline = now + ZOMBIE_TIMEOUTS * this.timeoutMs;
  }
}
