// The line transport a session talks to, injected: serialport in production, a mock board in unit tests.
import { PortNotFoundError } from '../core/errors.js';
import { checkPort, portErrorFromMessage } from '../ports/check.js';
import { createLineFramer } from './line-framing.js';

/** A line-oriented link to a board. Lines are latin1 text without their `\n`. */
export interface Transport {
  /** Where it goes (device path, "mock", ...), for reports and messages. */
  readonly path: string;
  /** Send one line; the transport appends `\n`. Writes after close are dropped. */
  write(line: string): void;
  /** Every complete line received from the board, in order (a trailing `\r` is kept; the parser drops it). */
  onLine(listener: (line: string) => void): void;
  /** The device went away or was closed; called once. `error` is set when it was not our own close(). */
  onClose(listener: (error?: Error) => void): void;
  /** Close the link; resolves once closed. Safe to call twice. */
  close(): Promise<void>;
}

/** A factory that opens a fresh transport (every open resets a real Uno). */
export type TransportFactory = () => Promise<Transport>;

/** Longest line kept, in characters: a 64-output reply is about 540; longer lines are cut (the rest up to `\n` dropped). */
export const MAX_LINE_LENGTH = 4096;

/**
 * Splits a byte stream into lines at `\n`, chunk boundaries anywhere. Bytes are decoded as latin1 (one char per byte),
 * so binary noise cannot throw or merge characters. Memory is bounded by `maxLength`.
 */
export class LineSplitter {
  private buffered = '';
  private discarding = false;
  constructor(private readonly maxLength = MAX_LINE_LENGTH) {
    if (!Number.isInteger(maxLength) || maxLength < 1) throw new RangeError(`maxLength must be a whole number >= 1, got ${maxLength}`);
  }

  /** Feed a chunk; returns the lines it completed. */
  push(chunk: Uint8Array | string): string[] {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('latin1');
    const lines: string[] = [];
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      const piece = text.slice(start, nl < 0 ? text.length : nl);
      if (!this.discarding) {
        this.buffered += piece;
        if (this.buffered.length > this.maxLength) {
          // An overlong line: hand on its start (it will parse as text or garbled), drop the rest up to the newline.
          lines.push(this.buffered.slice(0, this.maxLength));
          this.buffered = '';
          this.discarding = nl < 0;
          if (nl < 0) return lines;
          start = nl + 1;
          continue;
        }
      }
      if (nl < 0) return lines;
      if (!this.discarding) lines.push(this.buffered);
      this.buffered = '';
      this.discarding = false;
      start = nl + 1;
    }
  }

  /** Characters held for an unfinished line. */
  get pending(): number {
    return this.buffered.length;
  }
}

export interface SerialTransportOptions {
  /** Device path (/dev/ttyACM0, or the virtual board's pty). */
  readonly path: string;
  /** Baud rate; the board profile's (115200 on the Uno). */
  readonly baudRate: number;
}

/**
 * Open a serial device with `serialport`. Throws the port's typed error (PortNotFoundError, NotASerialPortError,
 * PortPermissionError, PortBusyError) when it cannot be used.
 * Lines are framed by @serialport/parser-readline behind a guard that cuts lines at MAX_LINE_LENGTH (line-framing.ts),
 * so a board spewing noise without newlines cannot grow memory.
 */
export async function openSerialTransport(opts: SerialTransportOptions): Promise<Transport> {
  checkPort(opts.path);
  const { SerialPort } = await import('serialport');
  const port = new SerialPort({ path: opts.path, baudRate: opts.baudRate, autoOpen: false });
  await new Promise<void>((resolve, reject) => {
    port.open((err) =>
      err ? reject(portErrorFromMessage(opts.path, err.message, 'opening') ?? new PortNotFoundError(opts.path, `could not open it: ${err.message}`)) : resolve(),
    );
  });
  const lineListeners: ((line: string) => void)[] = [];
  const closeListeners: ((error?: Error) => void)[] = [];
  let closed = false;
  let closing = false;
  const finish = (error?: Error): void => {
    if (closed) return;
    closed = true;
    for (const l of closeListeners) l(closing ? undefined : error ?? new Error('the serial device closed'));
  };
  const framer = createLineFramer(MAX_LINE_LENGTH, (line) => {
    for (const l of lineListeners) l(line);
  });
  port.on('data', (chunk: Buffer) => framer.write(chunk));
  port.on('close', (err: Error | null) => finish(err ?? undefined));
  port.on('error', (err: Error) => {
    finish(err);
    if (port.isOpen) port.close(() => undefined);
  });
  return {
    path: opts.path,
    write(line) {
      if (closed || closing) return;
      port.write(Buffer.from(`${line}\n`, 'latin1'));
    },
    onLine(listener) {
      lineListeners.push(listener);
    },
    onClose(listener) {
      closeListeners.push(listener);
    },
    close() {
      if (closed) return Promise.resolve();
      closing = true;
      return new Promise<void>((resolve) => {
        if (!port.isOpen) {
          finish();
          resolve();
          return;
        }
        port.close(() => {
          finish();
          resolve();
        });
      });
    },
  };
}
