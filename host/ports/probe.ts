// Is a bootloader listening, and at which speed? A short handshake per known speed, before avrdude runs: a wrong
// speed or a board without a bootloader is found in about three seconds instead of avrdude's ten slow retries.
import { UploadFailedError } from '../core/errors.js';
import type { BoardProfile } from '../core/boards.js';

/** An open line to the board at one speed (serialport in production, a fake in unit tests). */
export interface ProbeLink {
  write(bytes: Uint8Array): void;
  onData(cb: (bytes: Uint8Array) => void): void;
  close(): Promise<void>;
}

/** Open `path` at `baud`; opening resets a board with DTR auto-reset (Uno, Nano, Mega), starting its bootloader. */
export type ProbeOpener = (path: string, baud: number) => Promise<ProbeLink>;

/** One handshake: the bytes to send, and whether the bytes received so far are the bootloader's answer. */
export interface Handshake {
  readonly request: Uint8Array;
  answered(received: Uint8Array): boolean;
}

/** STK500 v1 (avrdude -c arduino: Optiboot, ATmegaBOOT): GET_SYNC, CRC_EOP -> INSYNC, OK. */
export const STK500V1: Handshake = {
  request: Uint8Array.of(0x30, 0x20),
  answered: (r) => {
    for (let i = 0; i + 1 < r.length; i++) if (r[i] === 0x14 && r[i + 1] === 0x10) return true;
    return false;
  },
};

/** STK500 v2 (avrdude -c wiring: the Mega's stk500boot): a CMD_SIGN_ON message -> a message starting 0x1B, seq 1. */
export const STK500V2: Handshake = {
  request: (() => {
    const body = [0x1b, 0x01, 0x00, 0x01, 0x0e, 0x01];
    return Uint8Array.of(...body, body.reduce((a, b) => a ^ b, 0));
  })(),
  answered: (r) => {
    for (let i = 0; i + 5 < r.length; i++) if (r[i] === 0x1b && r[i + 1] === 0x01 && r[i + 4] === 0x0e && r[i + 5] === 0x01) return true;
    return false;
  },
};

/** The handshake for an avrdude protocol, or undefined when it has none (avr109 over USB: no probing needed). */
export function handshakeFor(protocol: string): Handshake | undefined {
  if (protocol === 'arduino') return STK500V1;
  if (protocol === 'wiring') return STK500V2;
  return undefined;
}

export interface ProbeOptions {
  /** Wait after opening before the first handshake, ms (default 300, as avrdude): the bootloader starts (LED flashes). */
  readonly settleMs?: number;
  /** Handshakes sent per speed (default 12). */
  readonly attempts?: number;
  /** Between handshakes, ms (default 250): 300 + 12 x 250 ms covers a bootloader's wait after a reset twice over. */
  readonly intervalMs?: number;
}

/** Send the handshake on a fresh open at `baud` until answered or attempts run out. */
export async function probeSpeed(open: ProbeOpener, path: string, baud: number, hs: Handshake, opts: ProbeOptions = {}): Promise<boolean> {
  const attempts = opts.attempts ?? 12;
  const intervalMs = opts.intervalMs ?? 250;
  const settleMs = opts.settleMs ?? 300;
  const link = await open(path, baud);
  let got = new Uint8Array(0);
  let answered = false;
  let wake: (() => void) | undefined;
  link.onData((b) => {
    const next = new Uint8Array(got.length + b.length);
    next.set(got);
    next.set(b, got.length);
    got = next.length > 4096 ? next.slice(-64) : next;
    if (!answered && hs.answered(got)) {
      answered = true;
      wake?.();
    }
  });
  try {
    // Handshakes sent while the bootloader is still starting would pile up in its receive buffer, and one that
    // overruns it reads as a bad command (the old Nano bootloader leaves after a few).
    await new Promise<void>((resolve) => setTimeout(resolve, settleMs));
    got = new Uint8Array(0); // what arrived meanwhile is not an answer
    for (let i = 0; i < attempts && !answered; i++) {
      link.write(hs.request);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, intervalMs);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  } finally {
    await link.close();
  }
  return answered;
}

export interface SpeedFound {
  readonly baud: number;
  /** Speeds tried before it, in order (none answered). */
  readonly tried: readonly number[];
}

/**
 * Try `speeds` in turn (a remembered one first) until a bootloader answers. Throws UploadFailedError naming every speed
 * tried and the likely causes when none does.
 */
export async function findBootloaderSpeed(
  open: ProbeOpener,
  path: string,
  board: BoardProfile,
  speeds: readonly number[],
  opts: ProbeOptions & { onTry?: (baud: number) => void } = {},
): Promise<SpeedFound> {
  const hs = handshakeFor(board.upload.protocol);
  if (!hs) return { baud: speeds[0] ?? board.upload.baud, tried: [] };
  const tried: number[] = [];
  for (const baud of speeds) {
    opts.onTry?.(baud);
    if (await probeSpeed(open, path, baud, hs, opts)) return { baud, tried };
    tried.push(baud);
  }
  throw new UploadFailedError(
    `no bootloader answered on ${path} at ${tried.map((b) => `${b}`).join(' or ')} baud (${board.upload.protocol} protocol, ${board.name})`,
    `check that --port is the board (deploy-nn ports), that it is a ${board.name} (--board), that no other program has the port open, and the cable (some are charge-only); ` +
      'a board whose bootloader was erased (flashed with a programmer) needs one burned again',
  );
}
