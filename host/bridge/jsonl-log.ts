// The JSONL log of a session, a subscriber of its events: one {"type":"row"} line per finished row, then the summary.
import { createWriteStream, mkdirSync } from 'node:fs';
import type { WriteStream } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../core/errors.js';
import type { SessionEvent } from './events.js';
import { bitsHex } from './report.js';

export interface JsonlLog {
  /** Write the event's line: rows and the summary; other events are not logged. */
  onEvent(event: SessionEvent): void;
  /** Flush and close; rejects when the file could not be written. Safe to call twice. */
  close(): Promise<void>;
}

/** Create (with its folder) and open the log file; a UsageError naming the path when it cannot be written. */
export async function openJsonlLog(logPath: string): Promise<JsonlLog> {
  let stream: WriteStream | undefined;
  try {
    mkdirSync(path.dirname(path.resolve(logPath)), { recursive: true });
    const s = createWriteStream(logPath);
    stream = s;
    await new Promise<void>((res, rej) => {
      s.once('open', () => res());
      s.once('error', rej);
    });
  } catch (e) {
    throw new UsageError(`cannot write the log ${logPath}: ${(e as Error).message}`, 'choose a writable --log path');
  }
  return {
    onEvent(event) {
      if (event.type === 'row') {
        // The exact bits beside the numbers: JSON has no NaN or Infinity (they become null) and no NaN payload.
        const row = event.row;
        const bits = { hostBits: bitsHex(row.hostOutputs), boardBits: row.boardOutputs && bitsHex(row.boardOutputs) };
        stream?.write(`${JSON.stringify({ type: 'row', row: { ...row, ...bits } })}\n`);
      }
      else if (event.type === 'summary') stream?.write(`${JSON.stringify({ type: 'summary', report: event.report })}\n`);
    },
    async close() {
      const s = stream;
      stream = undefined;
      if (s) await new Promise<void>((res) => s.end(res));
    },
  };
}
