// The rows of a session in the order they go out: rows queued again after a failed attempt first, then the source.
import type { ModelFile } from '../core/model.js';
import { inputCount } from '../core/model.js';
import { UsageError } from '../core/errors.js';

/** One data row: raw (unnormalised) inputs, and the label when the data has one. */
export interface RowInput {
  readonly inputs: readonly number[];
  readonly label?: string | undefined;
}

/** A row on its way: how often it was sent, with which sequence number last, and whether it has its status. */
export interface RowState {
  readonly index: number;
  readonly inputs: readonly number[];
  readonly label: string | undefined;
  attempts: number;
  lastSeq: number;
  done: boolean;
}

export class RowSource {
  private readonly queue: RowState[] = [];
  private readonly iterator: Iterator<RowInput> | AsyncIterator<RowInput>;
  private readonly nIn: number;
  private sourceDone = false;
  private nextIndex = 0;

  /** `rows`: an array, or any (async) iterable, read lazily. */
  constructor(
    private readonly rows: Iterable<RowInput> | AsyncIterable<RowInput>,
    private readonly model: ModelFile,
  ) {
    this.nIn = inputCount(model);
    this.iterator =
      Symbol.asyncIterator in rows ? (rows as AsyncIterable<RowInput>)[Symbol.asyncIterator]() : (rows as Iterable<RowInput>)[Symbol.iterator]();
  }

  /** Every row was read and none waits to go again. */
  get exhausted(): boolean {
    return this.sourceDone && this.queue.length === 0;
  }

  /** The next row to send, or undefined when there are none; a UsageError for a row of the wrong width. */
  async next(): Promise<RowState | undefined> {
    const queued = this.queue.shift();
    if (queued) return queued;
    if (this.sourceDone) return undefined;
    const r = await this.iterator.next();
    if (r.done) {
      this.sourceDone = true;
      return undefined;
    }
    const row = r.value;
    const index = this.nextIndex++;
    if (row.inputs.length !== this.nIn) {
      throw new UsageError(
        `row ${index + 1} has ${row.inputs.length} values but model ${this.model.hash} takes ${this.nIn} inputs`,
        `the inputs are: ${this.model.inputNames.join(', ')}`,
      );
    }
    return { index, inputs: row.inputs, label: row.label, attempts: 0, lastSeq: 0, done: false };
  }

  /** Queue a row to go again, in row order. */
  requeue(row: RowState): void {
    let at = this.queue.findIndex((r) => r.index > row.index);
    if (at < 0) at = this.queue.length;
    this.queue.splice(at, 0, row);
  }

  /** Put back a row taken by next() but not sent. */
  putBack(row: RowState): void {
    this.queue.unshift(row);
  }

  /** Take a queued row out (a late answer finished it). */
  remove(row: RowState): void {
    const at = this.queue.indexOf(row);
    if (at >= 0) this.queue.splice(at, 1);
  }

  /** Empty the queue; for an array source also the rows never read (with `unsent` true). Ends the source. */
  drain(): { queued: RowState[]; unsent: RowState[] } {
    const queued = this.queue.splice(0);
    const unsent: RowState[] = [];
    if (Array.isArray(this.rows)) {
      const rows = this.rows as readonly RowInput[];
      for (; this.nextIndex < rows.length; this.nextIndex++) {
        const r = rows[this.nextIndex] as RowInput;
        if (r.inputs.length !== this.nIn) continue;
        unsent.push({ index: this.nextIndex, inputs: r.inputs, label: r.label, attempts: 0, lastSeq: 0, done: false });
      }
      this.sourceDone = true;
    }
    return { queued, unsent };
  }

  /** Close an iterable source early; one that cannot be closed is left to the garbage collector. */
  async close(): Promise<void> {
    try {
      await (this.iterator as AsyncIterator<RowInput>).return?.();
    } catch {
      // Left to the garbage collector.
    }
  }
}
