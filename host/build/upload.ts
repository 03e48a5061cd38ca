// uploadFirmware: a built .hex onto a board through its bootloader: the port checked, the bootloader's speed found by a
// short handshake (remembered per port), then avrdude writes and verifies; every failure a typed error with a fix.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { BoardProfile } from '../core/boards.js';
import type { BuildResult } from '../core/artifacts.js';
import { PortVanishedError, ToolchainMissingError, UploadFailedError, UsageError } from '../core/errors.js';
import type { DeployNnError } from '../core/errors.js';
import { checkPort, portErrorFromMessage } from '../ports/check.js';
import type { PortFs } from '../ports/check.js';
import { findBootloaderSpeed } from '../ports/probe.js';
import type { ProbeOpener, ProbeOptions } from '../ports/probe.js';
import { openSerialLink } from '../ports/serial-open.js';
import { rememberSpeed, rememberedSpeed, speedCachePath, speedOrder } from '../ports/speed-cache.js';
import { listSerialPorts, touchForBootloader } from '../ports/touch.js';
import type { PortLister } from '../ports/touch.js';
import { APT_INSTALL_HINT } from './exec.js';
import { uploadWithPlatformio } from './platformio.js';

/** The avrdude command line for this board at `baud` (pure, for tests and printing). */
export function avrdudeArgs(hexPath: string, board: BoardProfile, port: string, baud = board.upload.baud): string[] {
  const args = ['-p', board.mcu, '-c', board.upload.protocol, '-P', port];
  if (baud > 0) args.push('-b', String(baud));
  args.push('-D', '-U', `flash:w:${hexPath}:i`);
  return args;
}

export interface AvrdudeRun {
  readonly code: number | null;
  readonly output: string;
  readonly timedOut: boolean;
  /** The port's device went away while avrdude ran (it was stopped then). */
  readonly vanished: boolean;
}

export interface AvrdudeRunOptions {
  /** Stop avrdude after this long, ms. */
  readonly timeoutMs: number;
  /** The device path to watch: when it disappears (a pulled USB cable) avrdude is stopped at once. */
  readonly watchPath?: string;
}

/** Runs avrdude (injectable, so the Leonardo's sequence is tested without a board). */
export type AvrdudeRunner = (args: readonly string[], opts: AvrdudeRunOptions) => Promise<AvrdudeRun>;

/** How often the port's path is checked while avrdude runs, ms. */
const WATCH_MS = 100;

export const runAvrdude: AvrdudeRunner = (args, opts) =>
  new Promise((resolve, reject) => {
    const child = spawn('avrdude', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let timedOut = false;
    let vanished = false;
    child.stdout.on('data', (d: Buffer) => (output += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (output += d.toString('utf8')));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    // avrdude may retry for a long time on a device that went away (a pty's hang-up reads as silence to it).
    const watch = opts.watchPath === undefined ? undefined : setInterval(() => {
      if (!existsSync(opts.watchPath!)) {
        vanished = true;
        child.kill('SIGKILL');
      }
    }, WATCH_MS);
    const done = (): void => {
      clearTimeout(timer);
      if (watch) clearInterval(watch);
    };
    child.on('error', (err: NodeJS.ErrnoException) => {
      done();
      reject(err.code === 'ENOENT' ? new ToolchainMissingError('avrdude', APT_INSTALL_HINT) : err);
    });
    child.on('close', (code) => {
      done();
      resolve({ code, output, timedOut, vanished });
    });
  });

export interface UploadOptions extends ProbeOptions {
  /** Progress notes for the terminal (which speed answered, which port the Leonardo's bootloader took). */
  readonly onNote?: (message: string) => void;
  /** Opens a port for the handshake and the 1200-baud touch (default serialport). */
  readonly open?: ProbeOpener;
  /** Lists serial ports, for the Leonardo's new bootloader port (default serialport's list()). */
  readonly listPorts?: PortLister;
  readonly runAvrdude?: AvrdudeRunner;
  /** File system for the port check (default the real one). */
  readonly portFs?: PortFs;
  /** Where the speed that answered is remembered (default the user cache folder). */
  readonly speedCacheFile?: string;
}

export interface UploadResult {
  /** The port avrdude wrote to (the Leonardo's bootloader port differs from the sketch's). */
  readonly port: string;
  readonly baud: number;
  /** Speeds tried before the one that answered. */
  readonly triedFirst: readonly number[];
  readonly protocol: string;
  readonly bytes: number;
  readonly seconds: number;
}

/** avrdude's words for a bootloader that answered out of step (not a verify mismatch, not a missing port). */
const LOST_SYNC = /protocol expects|not in sync|not responding|initialization failed|stk500v2_ReceiveMessage\(\): timeout|stk500v2_getsync|unknown response/i;

/** The line of avrdude's log that says what went wrong (its harmless pty warnings skipped). */
function avrdudeReason(log: string): string {
  const lines = log.split('\n').map((l) => l.trim()).filter((l) => l && !/TIOCM|Inappropriate ioctl/.test(l));
  return lines.find((l) => /error|mismatch|not in sync|not responding|timeout/i.test(l)) ?? lines.at(-1) ?? '';
}

/** The typed error for a failed avrdude run. */
function uploadError(run: AvrdudeRun, board: BoardProfile, port: string, baud: number, timeoutMs: number, args: readonly string[]): DeployNnError {
  const log = `$ avrdude ${args.join(' ')}\n${run.output}`;
  const reason = avrdudeReason(run.output).replace(/[^\x20-\x7e]/g, '?');
  if (/ser_open|cannot open port|can't open device|unable to open/i.test(run.output)) {
    const line = run.output.split('\n').find((l) => /ser_open|cannot open|can't open|unable to open/i.test(l) && !/TIOCM/.test(l)) ?? '';
    const typed = portErrorFromMessage(port, line, 'the upload');
    if (typed) return typed;
  }
  if (run.vanished || (/Input\/output error|read error|write error|No such device|ser_recv|ser_send/i.test(run.output) && !existsSync(port))) {
    return new PortVanishedError(port, 'the upload');
  }
  if (/verification (error|mismatch)|content mismatch|mismatch at/i.test(run.output)) {
    const where = (run.output.split('\n').find((l) => /!=.*at addr|mismatch at/i.test(l)) ?? reason).trim().replace(/[^\x20-\x7e]/g, '?');
    return new UploadFailedError(
      `avrdude wrote the flash of the ${board.name} on ${port} but it read back different: ${where}`,
      'upload again; if it keeps failing, the sketch may reach into the bootloader\'s section (too large for the board) or the board is faulty',
      log,
    );
  }
  if (run.timedOut) {
    return new UploadFailedError(`avrdude did not finish within ${Math.round(timeoutMs / 1000)} s on ${port} (${board.upload.protocol} at ${baud} baud): ${reason}`, 'check the cable and that no other program uses the port, then upload again', log);
  }
  if (!existsSync(port)) return new PortVanishedError(port, 'the upload');
  return new UploadFailedError(`avrdude failed on ${port} (${board.upload.protocol} at ${baud} baud): ${reason}`, 'press the reset button and upload again; check --board and --port (deploy-nn ports)', log);
}

/** Flash bytes in an Intel HEX file (data records), for the time bound and the report. */
function hexBytes(text: string): number {
  let n = 0;
  for (const line of text.split('\n')) if (line.startsWith(':') && line.slice(7, 9) === '00') n += parseInt(line.slice(1, 3), 16);
  return n;
}

export async function uploadFirmware(build: BuildResult, board: BoardProfile, port: string, opts: UploadOptions = {}): Promise<UploadResult> {
  if (build.boardId !== board.id) {
    throw new UsageError(`the firmware was built for ${build.boardId}, not ${board.id}`, `build it again with --board ${board.id}`);
  }
  const note = opts.onNote ?? (() => undefined);
  const open = opts.open ?? openSerialLink;
  const started = Date.now();
  let target = port;
  if (board.upload.touch1200) {
    checkPort(port, opts.portFs);
    target = await touchForBootloader(open, opts.listPorts ?? listSerialPorts, port);
    note(`${board.name}: the 1200-baud touch started its bootloader on ${target}`);
  } else {
    checkPort(port, opts.portFs);
  }
  if (build.toolchain === 'platformio') {
    await uploadWithPlatformio(board, target, build.hexPath);
    return { port: target, baud: board.upload.baud, triedFirst: [], protocol: board.upload.protocol, bytes: 0, seconds: (Date.now() - started) / 1000 };
  }
  const cacheFile = opts.speedCacheFile ?? speedCachePath();
  let baud = board.upload.baud;
  let triedFirst: readonly number[] = [];
  if (!board.upload.touch1200) {
    const speeds = speedOrder(board.upload.speeds, rememberedSpeed(target, board.id, cacheFile));
    const found = await findBootloaderSpeed(open, target, board, speeds, { ...opts, onTry: (b) => note(`trying the bootloader at ${b} baud on ${target}`) });
    baud = found.baud;
    triedFirst = found.tried;
    note(`bootloader answered at ${baud} baud${found.tried.length ? ` (no answer at ${found.tried.join(', ')})` : ''}`);
    if (board.upload.speeds.length > 1) rememberSpeed(target, board.id, baud, cacheFile);
  }
  const { readFileSync } = await import('node:fs');
  const bytes = hexBytes(readFileSync(build.hexPath, 'latin1'));
  // Writing and reading back every byte at the line speed, three times over for the protocol's overhead, plus 30 s.
  const timeoutMs = 30_000 + Math.ceil(((bytes * 2 * 10) / baud) * 3 * 1000);
  const args = avrdudeArgs(build.hexPath, board, target, baud);
  const avrdude = opts.runAvrdude ?? runAvrdude;
  let run = await avrdude(args, { timeoutMs, watchPath: target });
  if (run.code !== 0 && !run.timedOut && !run.vanished && LOST_SYNC.test(run.output)) {
    // The bootloader answered the handshake a moment ago, so this is a hiccup (a late reply to one of avrdude's
    // opening handshakes): one more try, as a user would press upload again.
    note(`avrdude lost step with the bootloader (${avrdudeReason(run.output)}); trying once more`);
    run = await avrdude(args, { timeoutMs, watchPath: target });
  }
  if (run.code !== 0 || run.timedOut) throw uploadError(run, board, target, baud, timeoutMs, args);
  return { port: target, baud, triedFirst, protocol: board.upload.protocol, bytes, seconds: (Date.now() - started) / 1000 };
}
