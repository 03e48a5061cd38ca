// The in-process virtual AVR: avr8js CPU, timers 0/1/2, USART0 (with the RX fix), ports B/C/D, run in slices.
//
// Use it directly for benchmarks and fuzzing (no pty, no socat):
//   const r = createAvrRunner(readFileSync('firmware.hex', 'utf8'), getBoard('uno'));
//   r.onTx((bytes) => ...);              // board -> host bytes, delivered after each slice
//   r.writeRx('>1:...*ABCD\n');           // host -> board, fed one byte per character time (the baud rate, in cycles)
//   r.runUntil(() => gotReply, 50e6);     // synchronous, as fast as the emulator goes (about 40-50 MHz here)
// or r.start({ realtime }) to run it in the background on the event loop (what the virtual board does).
// Timing is cycle-accurate to avr8js: RX and TX bytes take 10 bit times of simulated clock each, so a reply's
// cycle count and the serial throughput in simulated seconds match a real 16 MHz Uno.
import { performance } from 'node:perf_hooks';
import {
  AVRClock,
  AVRIOPort,
  AVRTimer,
  AVRUSART,
  AVRWatchdog,
  CPU,
  avrInstruction,
  portBConfig,
  portCConfig,
  portDConfig,
} from 'avr8js';
import type { BoardProfile } from '../core/boards.js';
import { SimError } from '../core/errors.js';
import { parseIntelHex } from './intel-hex.js';
import { EXTRF, MCUSR, PORF, WDRF, chipLayout } from './chips.js';
import type { ChipLayout } from './chips.js';
import { SpmUnit } from './spm.js';
import type { SpmCounts } from './spm.js';

/** First SRAM address of the ATmega328P data space (below it: registers and I/O; the 2560's is in chips.ts). */
export const RAM_START = 0x100;
/** Byte painted over all SRAM at every reset, for the stack high-water mark. */
export const PAINT_BYTE = 0xc5;

const UCSRA_RXC = 0x80;
const UCSRA_UDRE = 0x20;
const UCSRB_RXEN = 0x10;

export interface AvrRunnerOptions {
  /** File name used in hex error messages (default '<hex>'). */
  readonly source?: string;
  /**
   * Work around avr8js 0.21.1 losing received bytes (default true). Its UCSR0A/UCSR0B write hooks clear RXC, and
   * Arduino's Serial.write writes both registers, so a byte that lands while the sketch transmits is dropped. The fix
   * keeps RXC (and UDRE, also read-only on the chip) across those writes and re-arms the RX interrupt.
   * false exists only so a test can show the loss.
   */
  readonly rxFix?: boolean;
  /** First address above static data (__heap_start), when known from the ELF; else stackHighWater() finds it by scanning. */
  readonly staticEnd?: number;
  /**
   * Byte address every reset starts at (default 0). A bootloader's BOOTRST: SPM then works from there up and never
   * erases or writes there.
   */
  readonly bootStart?: number;
}

/** What caused a reset; each ORs its flag into MCUSR (power-on sets PORF, the reset pin or DTR EXTRF, the watchdog WDRF). */
export type ResetKind = 'power-on' | 'external' | 'watchdog';

export interface StackReport {
  /** Deepest stack use since the last reset, bytes from the top of RAM. */
  readonly stackBytes: number;
  /** First address above .data/.bss (__heap_start). */
  readonly staticEnd: number;
  /** SRAM used by static data (.data + .bss), bytes. */
  readonly staticBytes: number;
  /** SRAM never touched between static data and the deepest stack byte: the smallest free margin seen. */
  readonly freeBytes: number;
  readonly sramBytes: number;
  /** Where staticEnd came from: the ELF symbol table, or the lowest painted run above .bss. */
  readonly staticEndFrom: 'symbols' | 'scan';
}

export interface RunLoopOptions {
  /** Pace to board.fCpu cycles per wall-clock second (default false: as fast as the emulator goes). */
  readonly realtime?: boolean;
  /**
   * With realtime: run as fast as the emulator goes while host bytes flow (queued, or received in the last
   * `burstMs`), paced to the clock otherwise, so a bootloader's timeout after a reset lasts as long as on a real board
   * while an upload runs at full speed (default false).
   */
  readonly burst?: boolean;
  /** How long after the last host byte a burst lasts, ms of wall-clock time (default 30). */
  readonly burstMs?: number;
  /**
   * With burst: also run at full speed for this many ms of simulated time after each reset (default 250): a
   * bootloader's start (LED flashes: 62 ms for Optiboot, 200 ms for the old Nano one) is over before the host's first
   * handshake, even on a loaded machine, and the rest of its timeout runs at the clock.
   */
  readonly bootBurstMs?: number;
  /** Longest stretch the loop runs before yielding to the event loop, ms (default 2: host bytes wait at most this long to enter the simulation). */
  readonly sliceMs?: number;
}

export interface AvrRunner {
  readonly board: BoardProfile;
  /** Cycles simulated since creation, across resets. */
  readonly cycles: number;
  /** Resets since creation (the first boot is not counted). */
  readonly resets: number;
  /** Bytes received by the USART so far, and transmitted by it. */
  readonly rxBytes: number;
  readonly txBytes: number;
  /** Bytes waiting on the simulated wire towards the board. */
  readonly rxPending: number;
  /** Whether the background loop (start) is running. */
  readonly running: boolean;
  /** Simulated MHz over the background loop's running time so far (0 before it ran). */
  readonly simulatedMhz: number;
  /** Queue bytes on the line to the board; each arrives one character time after the previous (fed while RXEN is on). */
  writeRx(bytes: Uint8Array | string): void;
  /** Drop the bytes not yet delivered to the USART. */
  clearRx(): void;
  /** Listen to the board's output; bytes arrive in batches after each slice (a slice ends early after a newline). Returns an unsubscribe function. */
  onTx(cb: (bytes: Uint8Array) => void): () => void;
  /** Run n cycles synchronously. */
  runCycles(n: number): void;
  /** Run until cond() (checked after each slice and each output batch) or maxCycles more have run; returns cond's last value. */
  runUntil(cond: () => boolean, maxCycles: number): boolean;
  /** Run for about ms of wall-clock time synchronously (fast mode); returns the cycles run. */
  runFor(ms: number): number;
  /** Run in the background on the event loop, never blocking it for more than sliceMs. */
  start(opts?: RunLoopOptions): void;
  /** Stop the background loop (the state is kept; start resumes). */
  pause(): void;
  /**
   * The reset button (default kind 'external', as DTR): CPU and peripherals back to power-on state, SRAM painted,
   * the program restarts at the reset vector (0, or the bootloader's BOOTRST), flash and MCUSR kept. A byte being
   * shifted in or out is lost; bytes still queued on the line stay there and arrive once the new boot enables its
   * receiver (call clearRx() first to drop them).
   */
  reset(kind?: ResetKind): void;
  /** Stack high-water mark since the last reset (see StackReport). */
  stackHighWater(): StackReport;
  /** The avr8js CPU and peripherals of the current boot, for tests that need to look inside (replaced on reset). */
  readonly machine: Machine;
  /** The whole flash, live: SPM writes land here and survive resets (sketch area + boot section). */
  readonly flash: Uint8Array;
  /** MCUSR as the program would read it now. */
  readonly mcusr: number;
  /** Page erases and writes done by SPM, and those refused in the boot section. */
  readonly spm: SpmCounts;
  /** Resets by kind since creation. */
  readonly resetCounts: Readonly<Record<ResetKind, number>>;
  /** The USART's baud rate as the program set it (UBRR0, U2X0). */
  readonly uartBaud: number;
}

export interface Machine {
  readonly cpu: CPU;
  readonly usart: AVRUSART;
  readonly timers: readonly AVRTimer[];
  readonly ports: { readonly B: AVRIOPort; readonly C: AVRIOPort; readonly D: AVRIOPort };
  readonly watchdog: AVRWatchdog;
}

interface InterruptLike {
  address: number;
  flagRegister: number;
  flagMask: number;
  enableRegister: number;
  enableMask: number;
  constant?: boolean;
}

/** Cycles an SPM page erase or write keeps the chip busy (4.5 ms). */
const SPM_BUSY_SECONDS = 0.0045;

/**
 * Create a virtual board running `hex` (Intel HEX text) on `board`. Throws SimError for a board with
 * simulated=false or a malformed hex (naming the file and line).
 */
export function createAvrRunner(hex: string, board: BoardProfile, opts: AvrRunnerOptions = {}): AvrRunner {
  const chip = chipLayout(board);
  return createAvrRunnerWithFlash(parseIntelHex(hex, chip.flashBytes, opts.source ?? '<hex>'), board, opts);
}

/**
 * Create a virtual board whose program memory is `flash` (the chip's whole flash, e.g. a bootloader and a persisted
 * application; the runner writes into it). Throws SimError for an MCU the emulator has no layout for.
 */
export function createAvrRunnerWithFlash(flash: Uint8Array, board: BoardProfile, opts: AvrRunnerOptions = {}): AvrRunner {
  const chip: ChipLayout = chipLayout(board);
  if (flash.length !== chip.flashBytes) throw new SimError(`a ${board.mcu} flash image is ${chip.flashBytes} bytes, got ${flash.length}`);
  const progMem = new Uint16Array(flash.buffer, flash.byteOffset, flash.length / 2);
  const rxFix = opts.rxFix ?? true;
  const ramStart = chip.ramStart;
  const ramEnd = ramStart + board.sramBytes - 1;
  const bootStart = opts.bootStart ?? 0;
  const spm = new SpmUnit({
    flash,
    pageBytes: board.flashPageBytes,
    bootStart: bootStart > 0 ? bootStart : chip.flashBytes, // no bootloader: nothing may self-program
    nrwwStart: chip.nrwwStart,
    busyCycles: Math.round(board.fCpu * SPM_BUSY_SECONDS),
  });
  let mcusr = PORF;
  let pendingWatchdogReset = false;
  const resetCounts: Record<ResetKind, number> = { 'power-on': 1, external: 0, watchdog: 0 };
  let lastRxAt = Number.NEGATIVE_INFINITY;

  const txListeners = new Set<(bytes: Uint8Array) => void>();
  let txBuf = new Uint8Array(256);
  let txLen = 0;
  let breakSlice = false;
  const rxQueue: Uint8Array[] = [];
  let rxHead = 0; // offset into rxQueue[0]
  let rxPending = 0;
  let rxBytes = 0;
  let txBytes = 0;
  let cyclesBefore = 0; // cycles of earlier boots
  let resets = 0;
  let machine: Machine;

  function feedRx(): void {
    const { usart } = machine;
    while (rxPending > 0 && !usart.rxBusy && usart.rxEnable) {
      const chunk = rxQueue[0]!;
      const byte = chunk[rxHead++]!;
      if (rxHead >= chunk.length) {
        rxQueue.shift();
        rxHead = 0;
      }
      rxPending--;
      rxBytes++;
      usart.writeByte(byte); // arrives after one character time; onRxComplete then feeds the next
    }
  }

  function pushTx(byte: number): void {
    if (txLen === txBuf.length) {
      const bigger = new Uint8Array(txBuf.length * 2);
      bigger.set(txBuf);
      txBuf = bigger;
    }
    txBuf[txLen++] = byte;
    txBytes++;
    if (byte === 0x0a || txLen >= 128) breakSlice = true;
  }

  function flushTx(): void {
    if (txLen === 0) return;
    const out = txBuf.slice(0, txLen);
    txLen = 0;
    for (const cb of txListeners) cb(out);
  }

  function boot(): Machine {
    // avr8js puts SRAM right after 0x100 bytes of registers and I/O; the 2560 has 0x200 of them.
    const cpu = new CPU(progMem, board.sramBytes + ramStart - 0x100);
    cpu.data.fill(PAINT_BYTE, ramStart, ramEnd + 1);
    cpu.pc = bootStart / 2;
    const timers = chip.timers.map((t) => new AVRTimer(cpu, t));
    const usart = new AVRUSART(cpu, chip.usart0, board.fCpu);
    const ports = { B: new AVRIOPort(cpu, portBConfig), C: new AVRIOPort(cpu, portCConfig), D: new AVRIOPort(cpu, portDConfig) };
    usart.onByteTransmit = pushTx;
    usart.onRxComplete = () => feedRx();
    if (rxFix) applyRxFix(cpu, usart, chip);
    const watchdog = installWatchdog(cpu, chip, board.fCpu, () => {
      // avr8js's watchdog reset only sets PC=0: end the slice and rebuild the chip instead (runTo does it).
      pendingWatchdogReset = true;
      breakSlice = true;
    });
    // MCUSR keeps its flags across resets; a write clears only the bits written as 0.
    cpu.data[MCUSR] = mcusr;
    cpu.writeHooks[MCUSR] = (value) => {
      mcusr &= value;
      cpu.data[MCUSR] = mcusr;
      return true;
    };
    spm.attach(cpu);
    return { cpu, usart, timers, ports, watchdog };
  }

  function resetChip(kind: ResetKind): void {
    cyclesBefore += machine.cpu.cycles;
    txLen = 0; // a byte still in the shift register is lost, as on the chip
    breakSlice = false;
    pendingWatchdogReset = false;
    resets++;
    resetCounts[kind]++;
    mcusr |= kind === 'power-on' ? PORF : kind === 'external' ? EXTRF : WDRF;
    machine = boot();
    feedRx();
  }

  machine = boot();

  /** Run until `end` absolute CPU cycles of this boot; with stopOnLine, return early after output ending in a newline. */
  function runTo(end: number, stopOnLine = false): void {
    const cpu = machine.cpu;
    while (cpu.cycles < end) {
      // Inner loop kept tiny: it is where all the time goes.
      const stop = Math.min(end, cpu.cycles + 20_000);
      while (cpu.cycles < stop && !breakSlice) {
        if (spm.armed) spm.beforeInstruction(cpu);
        avrInstruction(cpu);
        cpu.tick();
      }
      if (rxPending > 0) feedRx();
      if (breakSlice) {
        breakSlice = false;
        flushTx();
        if (pendingWatchdogReset && cpu === machine.cpu) {
          resetChip('watchdog');
          return;
        }
        if (stopOnLine || cpu !== machine.cpu) return; // the caller looks at the output, or a listener reset the board
      }
    }
    // Output without a newline yet stays buffered: the caller flushes at the end of its slice.
  }

  // Kept apart: clearImmediate on a Timeout (or the reverse) corrupts Node's timer lists.
  let loopImmediate: NodeJS.Immediate | undefined;
  let loopTimeout: NodeJS.Timeout | undefined;
  let loopRunning = false;
  let loopCycles = 0;
  let loopMs = 0;

  function loop(opts: Required<RunLoopOptions>): void {
    const cyclesPerMs = board.fCpu / 1000;
    const bootBurstCycles = opts.bootBurstMs * cyclesPerMs;
    let t0 = performance.now();
    let c0 = api.cycles;
    let bursting = false;
    const step = () => {
      loopImmediate = undefined;
      loopTimeout = undefined;
      if (!loopRunning) return;
      const started = performance.now();
      const burst = opts.burst && (rxPending > 0 || started - lastRxAt < opts.burstMs || machine.cpu.cycles < bootBurstCycles);
      if (bursting && !burst) {
        // Back to the clock after running ahead: pace from here.
        t0 = started;
        c0 = api.cycles;
      }
      bursting = burst;
      if (opts.realtime && !burst) {
        let due = c0 + (started - t0) * cyclesPerMs - api.cycles;
        if (due > 100 * cyclesPerMs && !opts.burst) {
          // Far behind (a stall, or a CPU too slow for real time): do not sprint to catch up. With burst (a
          // bootloader's board) catch up instead, so its timeouts last as long in wall-clock time as on a real board.
          t0 = started;
          c0 = api.cycles;
          due = 0;
        }
        if (due < cyclesPerMs / 4) {
          loopTimeout = setTimeout(step, 1);
          return;
        }
        runSliceFor(Math.min(due, opts.sliceMs * cyclesPerMs * 4), opts.sliceMs);
      } else {
        runSliceFor(Number.POSITIVE_INFINITY, opts.sliceMs);
      }
      loopMs += performance.now() - started;
      if (loopRunning) loopImmediate = setImmediate(step);
    };
    loopImmediate = setImmediate(step);
  }

  // Cycles run between clock checks: adapted so a check comes every ms/8..ms/2 of wall-clock time. Fixed at 20k,
  // a slice took ~100 ms while the JIT was still cold, and host bytes waited that long.
  let chunk = 2_000;

  /** Run at most maxCycles and at most about ms of wall-clock time. */
  function runSliceFor(maxCycles: number, ms: number): number {
    const start = api.cycles;
    let now = performance.now();
    const deadline = now + ms;
    while (api.cycles - start < maxCycles) {
      const before = now;
      runTo(machine.cpu.cycles + Math.min(chunk, maxCycles - (api.cycles - start)));
      now = performance.now();
      const took = now - before;
      if (took > ms / 2) chunk = Math.max(500, chunk >> 1);
      else if (took < ms / 8) chunk = Math.min(400_000, chunk * 2);
      if (now >= deadline) break;
    }
    flushTx();
    loopCycles += api.cycles - start;
    return api.cycles - start;
  }

  const api: AvrRunner = {
    board,
    get cycles() {
      return cyclesBefore + machine.cpu.cycles;
    },
    get resets() {
      return resets;
    },
    get rxBytes() {
      return rxBytes;
    },
    get txBytes() {
      return txBytes;
    },
    get rxPending() {
      return rxPending;
    },
    get running() {
      return loopRunning;
    },
    get simulatedMhz() {
      return loopMs > 0 ? loopCycles / loopMs / 1000 : 0;
    },
    get machine() {
      return machine;
    },
    flash,
    get mcusr() {
      return mcusr;
    },
    get spm() {
      return spm.stats;
    },
    resetCounts,
    get uartBaud() {
      return machine.usart.baudRate;
    },
    writeRx(bytes) {
      const chunk = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes;
      if (chunk.length === 0) return;
      rxQueue.push(Uint8Array.from(chunk));
      rxPending += chunk.length;
      lastRxAt = performance.now();
      feedRx();
    },
    clearRx() {
      rxQueue.length = 0;
      rxHead = 0;
      rxPending = 0;
    },
    onTx(cb) {
      txListeners.add(cb);
      return () => txListeners.delete(cb);
    },
    runCycles(n) {
      runTo(machine.cpu.cycles + n);
      flushTx();
    },
    runUntil(cond, maxCycles) {
      const start = api.cycles;
      while (!cond()) {
        const left = maxCycles - (api.cycles - start);
        if (left <= 0) return false;
        runTo(machine.cpu.cycles + Math.min(left, 50_000), true);
        flushTx();
      }
      return true;
    },
    runFor(ms) {
      return runSliceFor(Number.POSITIVE_INFINITY, ms);
    },
    start(opts = {}) {
      if (loopRunning) return;
      loopRunning = true;
      loop({ realtime: opts.realtime ?? false, sliceMs: opts.sliceMs ?? 2, burst: opts.burst ?? false, burstMs: opts.burstMs ?? 30, bootBurstMs: opts.bootBurstMs ?? 250 });
    },
    pause() {
      loopRunning = false;
      if (loopImmediate !== undefined) clearImmediate(loopImmediate);
      if (loopTimeout !== undefined) clearTimeout(loopTimeout);
      loopImmediate = undefined;
      loopTimeout = undefined;
    },
    reset(kind = 'external') {
      resetChip(kind);
    },
    stackHighWater() {
      const data = machine.cpu.data;
      let staticEnd = opts.staticEnd;
      let from: StackReport['staticEndFrom'] = 'symbols';
      if (staticEnd === undefined) {
        // Startup code writes all of .data and .bss (zeros), so the first long painted run above RAM_START is the end.
        from = 'scan';
        staticEnd = ramEnd + 1;
        for (let a = ramStart; a + 16 <= ramEnd + 1; a++) {
          let painted = true;
          for (let k = 0; k < 16 && painted; k++) painted = data[a + k] === PAINT_BYTE;
          if (painted) {
            staticEnd = a;
            break;
          }
        }
      }
      let low = ramEnd + 1;
      for (let a = staticEnd; a <= ramEnd; a++) {
        if (data[a] !== PAINT_BYTE) {
          low = a;
          break;
        }
      }
      const stackBytes = ramEnd + 1 - low;
      return {
        stackBytes,
        staticEnd,
        staticBytes: staticEnd - ramStart,
        freeBytes: Math.max(0, low - staticEnd),
        sramBytes: board.sramBytes,
        staticEndFrom: from,
      };
    },
  };
  return api;
}

/**
 * The RX fix for avr8js 0.21.1: its UCSR0A write hook clears every flag but U2X/MPCM (RXC and UDRE are read-only on
 * the chip), and its UCSR0B write hook clears a pending RXC whenever RXEN stays on. Arduino's Serial.write writes both
 * (sbi UDRIE0 in an atomic block, TXC0 in UCSR0A), so a byte received meanwhile vanished. Wrap both hooks so the flags
 * survive and the RX-complete interrupt is queued again.
 */
function applyRxFix(cpu: CPU, usart: AVRUSART, chip: ChipLayout): void {
  const { UCSRA, UCSRB } = chip.usart0;
  const rxc = (usart as unknown as { RXC?: InterruptLike }).RXC;
  const hookA = cpu.writeHooks[UCSRA];
  const hookB = cpu.writeHooks[UCSRB];
  if (!rxc || rxc.address !== chip.usart0.rxCompleteInterrupt || !hookA || !hookB) {
    throw new SimError('this avr8js version has a USART the RX fix does not recognise', 'install avr8js@0.21.1 (npm ci)');
  }
  const rearm = (had: number) => {
    const data = cpu.data;
    if (had & UCSRA_UDRE) data[UCSRA] = data[UCSRA]! | UCSRA_UDRE;
    if (had & UCSRA_RXC && data[UCSRB]! & UCSRB_RXEN) cpu.setInterruptFlag(rxc as never);
  };
  cpu.writeHooks[UCSRA] = (value, oldValue, addr, mask) => {
    const had = cpu.data[UCSRA]! & (UCSRA_RXC | UCSRA_UDRE);
    const r = hookA(value, oldValue, addr, mask);
    rearm(had);
    return r;
  };
  cpu.writeHooks[UCSRB] = (value, oldValue, addr, mask) => {
    const had = cpu.data[UCSRA]! & UCSRA_RXC;
    const r = hookB(value, oldValue, addr, mask);
    rearm(had);
    return r;
  };
  // The receive buffer is a two-level FIFO on the chip: a byte that completes while UDR still holds an unread one
  // waits behind it (avr8js overwrote it). A third is lost (data overrun), as on the chip.
  const u = usart as unknown as { rxByte: number; writeByte(value: number, immediate?: boolean): boolean | undefined };
  const readUdr = cpu.readHooks[chip.usart0.UDR];
  if (typeof u.rxByte !== 'number' || !readUdr) {
    throw new SimError('this avr8js version has a USART the RX fix does not recognise', 'install avr8js@0.21.1 (npm ci)');
  }
  let waiting: number | undefined;
  const writeByte = u.writeByte.bind(usart);
  u.writeByte = (value, immediate = false) => {
    if (immediate && cpu.data[UCSRA]! & UCSRA_RXC) {
      if (waiting === undefined) waiting = value;
      usart.onRxComplete?.();
      return true;
    }
    return writeByte(value, immediate);
  };
  cpu.readHooks[chip.usart0.UDR] = (addr) => {
    const r = readUdr(addr);
    if (waiting !== undefined) {
      u.rxByte = waiting;
      waiting = undefined;
      cpu.setInterruptFlag(rxc as never);
    }
    return r;
  };
}

/**
 * avr8js's watchdog with two fixes: its check is rescheduled on every WDTCSR write (else a timeout shortened from
 * 1 s to 16 ms, as Optiboot does to leave, still fires after the old 1 s), and its reset calls `onReset` (avr8js only
 * sets PC=0, keeping every peripheral's state).
 */
function installWatchdog(cpu: CPU, chip: ChipLayout, fCpu: number, onReset: () => void): AVRWatchdog {
  const watchdog = new AVRWatchdog(cpu, chip.watchdog, new AVRClock(cpu, fCpu));
  const inner = watchdog as unknown as { checkWatchdog?: () => void; watchdogTimeout?: number; scheduled?: boolean };
  const check = inner.checkWatchdog;
  const hook = cpu.writeHooks[chip.watchdog.WDTCSR];
  if (!check || !hook || typeof inner.watchdogTimeout !== 'number') {
    throw new SimError('this avr8js version has a watchdog the simulator does not recognise', 'install avr8js@0.21.1 (npm ci)');
  }
  cpu.writeHooks[chip.watchdog.WDTCSR] = (value, oldValue, addr, mask) => {
    const r = hook(value, oldValue, addr, mask);
    cpu.clearClockEvent(check);
    inner.scheduled = false;
    if (watchdog.enabled) {
      cpu.addClockEvent(check, Math.max(0, inner.watchdogTimeout! - cpu.cycles));
      inner.scheduled = true;
    }
    return r;
  };
  cpu.reset = onReset; // called only by the watchdog's timeout (the constructor's own reset has run)
  return watchdog;
}
