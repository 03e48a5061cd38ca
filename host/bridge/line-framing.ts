// Line framing of the serial stream: @serialport/parser-readline splits at `\n`, behind a guard that cuts overlong
// lines so that a device that never sends a newline cannot grow memory (the parser alone buffers without bound).
import { Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import { ReadlineParser } from '@serialport/parser-readline';

const NEWLINE = Buffer.from('\n', 'latin1');

/**
 * Passes bytes on unchanged, except that a line longer than `maxLength` bytes is cut: its first maxLength bytes go on
 * with a `\n` after them, the rest up to the next `\n` is dropped. So what follows never buffers more than maxLength.
 */
export class LineLengthGuard extends Transform {
  /** Bytes passed on since the last newline. */
  private run = 0;
  private discarding = false;

  constructor(private readonly maxLength: number) {
    super();
    if (!Number.isInteger(maxLength) || maxLength < 1) throw new RangeError(`maxLength must be a whole number >= 1, got ${maxLength}`);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const out: Buffer[] = [];
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(0x0a, start);
      if (this.discarding) {
        if (nl < 0) break;
        this.discarding = false;
        start = nl + 1;
        continue;
      }
      const end = nl < 0 ? chunk.length : nl;
      const room = this.maxLength - this.run;
      if (end - start > room) {
        out.push(chunk.subarray(start, start + room), NEWLINE);
        this.run = 0;
        if (nl < 0) {
          this.discarding = true;
          break;
        }
        start = nl + 1;
        continue;
      }
      if (nl < 0) {
        out.push(chunk.subarray(start));
        this.run += chunk.length - start;
        break;
      }
      out.push(chunk.subarray(start, nl + 1));
      this.run = 0;
      start = nl + 1;
    }
    if (out.length > 0) this.push(Buffer.concat(out));
    callback();
  }
}

/** A line framer: write() the bytes as they come, `onLine` gets each complete line (latin1, without its `\n`). */
export interface LineFramer {
  write(chunk: Uint8Array): void;
}

/**
 * Frame a byte stream into lines with ReadlineParser behind a LineLengthGuard: lines are latin1 (one char per byte,
 * so noise cannot throw), at most maxLength characters; an unfinished line is never handed on, nor an empty one (the
 * parser pushes it as a zero-length chunk, which a stream drops; a session reads an empty line as text anyway).
 */
export function createLineFramer(maxLength: number, onLine: (line: string) => void): LineFramer {
  const guard = new LineLengthGuard(maxLength);
  const parser = new ReadlineParser({ delimiter: '\n', encoding: 'latin1' });
  guard.pipe(parser);
  parser.on('data', (line: string) => onLine(line));
  return { write: (chunk) => void guard.write(chunk) };
}
