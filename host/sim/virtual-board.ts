// The virtual Uno as a serial device: the in-process AVR runner behind a socat pty, with DTR-reset semantics and fault hooks.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BOARDS } from '../core/boards.js';
import type { BoardProfile, Bootloader } from '../core/boards.js';
import { SimError } from '../core/errors.js';
import { createAvrRunner, createAvrRunnerWithFlash } from './avr-runner.js';
import { bootFlash, saveFlash } from './boot.js';
import { readPtySpeed } from './pty-speed.js';
import { resampleUart, speedsMatch } from './uart-line.js';
import type { AvrRunner, StackReport } from './avr-runner.js';
import { readElfSymbols, staticDataEnd } from './elf-symbols.js';
import { PtySession, onProcessExit, pointLink, removeLink, requireSocat } from './pty-link.js';

export interface VirtualBoardOptions {
  /**
   * The firmware, Intel HEX. An .elf beside it (same name) is read for __heap_start when present. Required without a
   * bootloader; with one it is the application already on the board (default: none, erased flash).
   */
  readonly hexPath?: string | undefined;
  /**
   * Boot this bootloader (one of board.bootloaders): every reset starts it, it takes uploads over the line (avrdude),
   * and the flash it writes survives resets and opens. Default: none, the firmware runs from address 0.
   */
  readonly bootloader?: Bootloader | undefined;
  /** With a bootloader: keep the whole flash in this file (raw image), loaded at start if it exists, saved after each session. */
  readonly flashFile?: string | undefined;
  /** A board with simulated=true (uno, nano). */
  readonly board: BoardProfile;
  /** Pace the emulator to board.fCpu of wall-clock time (default false: as fast as it goes, about 2.5-3x a real Uno). */
  readonly realtime?: boolean;
  /** Device path the host opens (a symlink to the current pty; default a fresh path in a new temp dir). */
  readonly ptyPath?: string;
  /** The ELF for static-data symbols (default hexPath with .elf, if it exists). */
  readonly elfPath?: string;
}

export interface VirtualBoardStats {
  /** Cycles simulated since start, across resets. */
  readonly cycles: number;
  /** Emulation speed while running, MHz of simulated clock (16 = real time for an Uno). */
  readonly simulatedMhz: number;
  /** Bytes delivered to the board's USART (host bytes and injected ones). */
  readonly bytesToBoard: number;
  /** Bytes the board transmitted. */
  readonly bytesToHost: number;
  /** Resets: one per host open (DTR), plus reset() calls. */
  readonly resets: number;
  /** Host opens of the device. */
  readonly connects: number;
  /** Host bytes garbled because the host's line speed differed from the board's (see uart-line.ts). */
  readonly garbledChunks: number;
  /** The host's line speed (termios) in the current or last session, when known. */
  readonly hostBaud: number | undefined;
}

export interface VirtualBoard {
  /** The device path: open it with serialport exactly as /dev/ttyACM0. */
  readonly path: string;
  readonly board: BoardProfile;
  /** Whether a host has the device open now. */
  readonly connected: boolean;
  /** The runner, for tests that look at the CPU. */
  readonly runner: AvrRunner;
  /** Kill socat, remove the link (and the temp dir it made). Idempotent. */
  stop(): Promise<void>;
  /** Press the reset button: the board reboots mid-stream, the host stays connected and sees a new ready line. */
  reset(): void;
  /** Put bytes on the line host -> board, delivered through the normal RX path after what the host already sent. */
  injectToBoard(bytes: Uint8Array | string): void;
  /** Bytes to the host as if the board sent them (false when no host is connected, the bytes are dropped). */
  injectToHost(bytes: Uint8Array | string): boolean;
  /** Hold the board's output back for ms (from now), then release it in order. */
  holdTx(ms: number): void;
  /** Release what holdTx holds now (tests release on an event instead of a time). */
  releaseTx(): void;
  /** Pull the cable: socat is killed, the host's open port gets a hang-up, the device path disappears. */
  disconnect(): Promise<void>;
  /** Plug it back in: the device path returns (the next open boots the board). */
  reconnect(): Promise<void>;
  /** Resolves at the next host open (already connected: at once). */
  waitForConnect(timeoutMs?: number): Promise<void>;
  stats(): VirtualBoardStats;
  /** Stack high-water mark and free SRAM since the last reset. */
  stackHighWater(): StackReport;
}

function loadHex(hexPath: string): string {
  if (!existsSync(hexPath)) throw new SimError(`hex file ${hexPath} does not exist`, 'build the sketch first (deploy-nn build)');
  try {
    return readFileSync(hexPath, 'latin1');
  } catch (err) {
    throw new SimError(`cannot read hex file ${hexPath}: ${(err as Error).message}`);
  }
}

function findStaticEnd(opts: VirtualBoardOptions): number | undefined {
  if (opts.hexPath === undefined) return undefined;
  const elfPath = opts.elfPath ?? opts.hexPath.replace(/\.hex$/i, '.elf');
  if (elfPath === opts.hexPath || !existsSync(elfPath)) return undefined;
  return staticDataEnd(readElfSymbols(readFileSync(elfPath), elfPath));
}

/** Start the virtual board: load the hex, make the pty, wait for a host. Throws SimError, or ToolchainMissingError for socat. */
export async function startVirtualBoard(opts: VirtualBoardOptions): Promise<VirtualBoard> {
  const { board } = opts;
  if (!board.simulated) {
    const can = BOARDS.filter((b) => b.simulated).map((b) => b.id);
    throw new SimError(`board "${board.id}" cannot be simulated`, `the virtual board runs: ${can.join(', ')}`);
  }
  const socat = requireSocat();
  const bl = opts.bootloader;
  let runner: AvrRunner;
  if (bl) {
    if (opts.hexPath !== undefined) loadHex(opts.hexPath); // the same clear error for a missing file
    const flash = bootFlash(board, bl, { appHexPath: opts.hexPath, flashFile: opts.flashFile });
    runner = createAvrRunnerWithFlash(flash, board, { source: opts.hexPath ?? 'flash', bootStart: bl.bootStart });
  } else {
    if (opts.hexPath === undefined) throw new SimError('the virtual board needs firmware or a bootloader', 'give --hex FILE, or --bootloader');
    runner = createAvrRunner(loadHex(opts.hexPath), board, { source: opts.hexPath, staticEnd: findStaticEnd(opts) });
  }
  // A bootloader's timeout after a reset must last as long as on a real board: paced to the clock, full speed only
  // while the host's bytes flow.
  const realtime = (opts.realtime ?? false) || bl !== undefined;
  const burst = bl !== undefined && opts.realtime !== true;
  const persist = (): void => {
    if (bl && opts.flashFile !== undefined) saveFlash(opts.flashFile, runner.flash);
  };

  let tmpDir: string | undefined;
  let link = opts.ptyPath;
  if (link === undefined) {
    tmpDir = mkdtempSync(path.join(os.tmpdir(), 'deploy-nn-sim-'));
    link = path.join(tmpDir, `${board.id}`);
  } else {
    link = path.resolve(link);
    if (!existsSync(path.dirname(link))) {
      throw new SimError(`cannot make the device ${link}: folder ${path.dirname(link)} does not exist`, 'choose a --link path in an existing folder');
    }
  }
  const devicePath = link;
  const dirToRemove = tmpDir;
  const cancelExitCleanup = onProcessExit(() => {
    removeLink(devicePath);
    if (dirToRemove) rmSync(dirToRemove, { recursive: true, force: true });
  });

  let current: PtySession | undefined; // the session of the host that has the device open
  let spare: PtySession | undefined; // the waiting session the link points at
  const alive = new Set<PtySession>(); // every socat not yet exited (one that saw its host close may still be tearing down)
  let stopped = false;
  let unplugged = false;
  let connects = 0;
  let bytesToBoard = 0;
  let heldUntil = 0;
  let garbledChunks = 0;
  let hostBaud: number | undefined; // the current session's termios speed; read at the host's first write
  let speedRead = false;
  let held: Uint8Array[] = [];
  let holdTimer: NodeJS.Timeout | undefined;
  const connectWaiters = new Set<() => void>();

  /** Bytes as the other end reads them: garbled when the host's speed is not the board's (a pty alone would not). */
  function overTheLine(bytes: Uint8Array, toBoard: boolean): Uint8Array {
    // Read at the host's first write: by then it has set its speed (serialport and avrdude do at open). Earlier, a
    // fresh pty's default speed could be read while the host is still configuring it.
    if (toBoard && !speedRead && current?.pts !== undefined) {
      speedRead = true;
      hostBaud = readPtySpeed(current.pts);
    }
    const chipBaud = runner.uartBaud;
    // A UART not yet enabled has no speed: the bytes wait on the line (see AvrRunner.reset) and pass as they are.
    const enabled = toBoard ? runner.machine.usart.rxEnable : runner.machine.usart.txEnable;
    if (hostBaud === undefined || !enabled || speedsMatch(hostBaud, chipBaud)) return bytes;
    garbledChunks++;
    return toBoard ? resampleUart(bytes, hostBaud, chipBaud) : resampleUart(bytes, chipBaud, hostBaud);
  }

  runner.onTx((bytes) => {
    if (!current) return;
    const line = overTheLine(bytes, false);
    if (Date.now() < heldUntil) held.push(line);
    else current.write(line);
  });

  // The link always points at a waiting pty (`spare`), so a host that closes and reopens at once finds a fresh one.
  // When a host opens it, that session becomes `current` (the runner's line) and the next spare is made.
  function makeSession(): PtySession {
    const s: PtySession = new PtySession(socat, {
      onConnect: () => {
        if (s !== spare || stopped) return;
        // A host opened the port: on a real Uno DTR resets the MCU, so every open is a fresh boot.
        const old = current;
        current = s;
        spare = undefined;
        if (old && !old.ended) void old.kill(); // an earlier host still open: the newest open wins
        connects++;
        speedRead = false;
        hostBaud = undefined;
        runner.clearRx();
        held = [];
        runner.reset('external');
        runner.start({ realtime, burst });
        for (const w of connectWaiters) w();
        connectWaiters.clear();
        if (!unplugged) makeSpare().catch(() => undefined);
      },
      onData: (bytes) => {
        if (s !== current || stopped) return;
        bytesToBoard += bytes.length;
        runner.writeRx(overTheLine(bytes, true));
      },
      onExit: () => {
        if (s === current) {
          runner.pause(); // nobody is listening; the next open reboots it anyway
          current = undefined;
          persist();
        } else if (s === spare) {
          spare = undefined;
          // Killed from outside: make another. One that never made its pty would fail again at once.
          if (!stopped && !unplugged && s.pts !== undefined) makeSpare().catch(() => undefined);
        }
      },
    });
    alive.add(s);
    s.child.once('exit', () => alive.delete(s));
    return s;
  }

  /** Make a waiting session and point the link at it once its pty exists. */
  async function makeSpare(): Promise<void> {
    const next = makeSession();
    spare = next;
    const pts = await next.ready;
    if (stopped || unplugged || spare !== next) return;
    pointLink(devicePath, pts);
  }

  try {
    await makeSpare();
  } catch (err) {
    stopped = true; // so the session's exit does not make a new one
    await Promise.all([...alive].map((s) => s.kill()));
    cancelExitCleanup();
    if (tmpDir) rmSync(tmpDir, { recursive: true, force: true });
    throw err instanceof SimError ? err : new SimError(`cannot make a pty: ${(err as Error).message}`);
  }

  const vb: VirtualBoard = {
    path: devicePath,
    board,
    runner,
    get connected() {
      return current !== undefined && !current.ended;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      runner.pause();
      if (holdTimer) clearTimeout(holdTimer);
      // Every socat, also one whose host closed and that is still tearing down: none survives stop().
      await Promise.all([...alive].map((s) => s.kill()));
      persist();
      removeLink(devicePath);
      if (tmpDir) rmSync(tmpDir, { recursive: true, force: true });
      cancelExitCleanup();
    },
    reset() {
      runner.reset();
    },
    injectToBoard(bytes) {
      const b = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes;
      bytesToBoard += b.length;
      runner.writeRx(b);
    },
    injectToHost(bytes) {
      if (!vb.connected || !current) return false;
      current.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
      return true;
    },
    holdTx(ms) {
      heldUntil = Math.max(heldUntil, Date.now() + ms);
      if (holdTimer) clearTimeout(holdTimer);
      holdTimer = setTimeout(() => vb.releaseTx(), Math.max(0, heldUntil - Date.now()));
    },
    releaseTx() {
      clearTimeout(holdTimer);
      holdTimer = undefined;
      heldUntil = 0;
      const out = held;
      held = [];
      for (const b of out) current?.write(b);
    },
    async disconnect() {
      unplugged = true;
      runner.pause();
      removeLink(devicePath);
      const s = current;
      current = undefined;
      await s?.kill();
    },
    async reconnect() {
      if (!unplugged || stopped) return;
      unplugged = false;
      const waiting = spare;
      if (waiting?.pts !== undefined && !waiting.ended) pointLink(devicePath, waiting.pts);
      else await makeSpare();
    },
    waitForConnect(timeoutMs = 10_000) {
      if (vb.connected) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const done = () => {
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          connectWaiters.delete(done);
          reject(new SimError(`no host opened ${devicePath} within ${timeoutMs} ms`));
        }, timeoutMs);
        connectWaiters.add(done);
      });
    },
    stats() {
      return {
        cycles: runner.cycles,
        simulatedMhz: runner.simulatedMhz,
        bytesToBoard,
        bytesToHost: runner.txBytes,
        resets: runner.resets,
        connects,
        garbledChunks,
        hostBaud,
      };
    },
    stackHighWater() {
      return runner.stackHighWater();
    },
  };
  return vb;
}
