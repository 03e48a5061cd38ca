// The in-process runner on real firmware: the RX fix (and the loss without it), reset, stack high-water mark, speed.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { getBoard } from '../../host/core/boards.js';
import { RAM_START, createAvrRunner } from '../../host/sim/avr-runner.js';
import type { AvrRunner } from '../../host/sim/avr-runner.js';
import { readElfSymbols, staticDataEnd } from '../../host/sim/elf-symbols.js';
import { buildFixture, waitUntil } from './helpers.js';

const uno = getBoard('uno');
const RAMEND = RAM_START + uno.sramBytes - 1;

async function runner(name: string, opts: { rxFix?: boolean; symbols?: boolean } = {}): Promise<{ r: AvrRunner; out: () => string }> {
  const build = await buildFixture(name);
  const staticEnd = opts.symbols ? staticDataEnd(readElfSymbols(readFileSync(build.elfPath))) : undefined;
  const r = createAvrRunner(readFileSync(build.hexPath, 'latin1'), uno, { source: build.hexPath, rxFix: opts.rxFix ?? true, staticEnd });
  let text = '';
  r.onTx((b) => (text += Buffer.from(b).toString('latin1')));
  return { r, out: () => text };
}

/** Echo `count` lines through the echo sketch with at most 2 unanswered (the protocol's window); count lines lost or damaged. */
function echoLines(r: AvrRunner, out: () => string, count: number): { wrong: number; answered: number; sentBytes: number } {
  expect(r.runUntil(() => out().includes('#BOOT echo\n'), 20e6)).toBe(true);
  const lines = Array.from({ length: count }, (_, i) => `row ${i} ${'0123456789abcdef'.slice(i % 16)}`);
  let sent = 0;
  let sentBytes = 0;
  let newlines = 0;
  let scanned = 0;
  const answers = () => {
    const text = out();
    for (; scanned < text.length; scanned++) if (text.charCodeAt(scanned) === 10) newlines++;
    return newlines - 1; // minus the boot line
  };
  while (sent < count) {
    while (sent < count && sent - answers() < 2) {
      const line = `${lines[sent++]}\n`;
      sentBytes += line.length;
      r.writeRx(line);
    }
    // A lost newline means a line never ends: stop waiting after ~90 line times and count what came back.
    if (!r.runUntil(() => sent - answers() < 2, 2e6)) break;
  }
  r.runUntil(() => answers() >= sent, 2e6);
  const got = out().split('\n').slice(1, -1);
  let wrong = count - got.length;
  got.forEach((g, i) => {
    if (g !== `${i + 1}:${lines[i]}`) wrong++;
  });
  return { wrong, answered: got.length, sentBytes };
}

describe('USART RX', () => {
  it('loses nothing with the fix: 1000 lines echoed through Serial.write while the next arrives', async () => {
    const { r, out } = await runner('echo');
    const t0 = performance.now();
    const { wrong, answered, sentBytes } = echoLines(r, out, 1000);
    const ms = performance.now() - t0;
    console.log(`echo 1000 lines in-process: ${(r.cycles / 1e6).toFixed(1)} M cycles in ${ms.toFixed(0)} ms = ${(r.cycles / ms / 1000).toFixed(1)} MHz simulated`);
    expect(answered).toBe(1000);
    expect(wrong).toBe(0);
    expect(r.rxBytes).toBe(sentBytes);
  }, 120_000);

  it('avr8js 0.21.1 without the fix loses received bytes in the same run', async () => {
    const { r, out } = await runner('echo', { rxFix: false });
    const { wrong } = echoLines(r, out, 1000);
    console.log(`without the RX fix: ${wrong} of 1000 lines lost or damaged`);
    expect(wrong).toBeGreaterThan(0);
  }, 120_000);
});

describe('reset', () => {
  it('reboots mid-stream: a new boot line, the line counter back at 1, resets counted, cycles kept', async () => {
    const { r, out } = await runner('echo');
    r.runUntil(() => out().includes('#BOOT'), 20e6);
    r.writeRx('a\nb\n');
    r.runUntil(() => out().includes('2:b\n'), 20e6);
    const before = r.cycles;
    r.reset();
    expect(r.resets).toBe(1);
    expect(r.cycles).toBe(before);
    r.runUntil(() => out().split('#BOOT').length === 3, 20e6);
    r.writeRx('c\n');
    expect(r.runUntil(() => out().includes('1:c\n'), 20e6)).toBe(true);
    expect(out()).toBe('#BOOT echo\n1:a\n2:b\n#BOOT echo\n1:c\n');
  }, 60_000);
});

describe('stackHighWater', () => {
  // The recursion sketch holds a 64-byte array per frame and reports the lowest SP it saw and &__bss_end.
  async function dive(depth: number, symbols: boolean) {
    const { r, out } = await runner('recursion', { symbols });
    r.runUntil(() => out().includes('\n'), 20e6);
    r.writeRx(`d${depth}\n`);
    expect(r.runUntil(() => /depth=\d+ minsp=\d+ r=\d+\r\n/.test(out()), 50e6)).toBe(true);
    // Serial.parseInt waits for its 1 s timeout only when the number is not ended; the \n ends it.
    const bssEnd = Number(/bss_end=(\d+)/.exec(out())![1]);
    const minSp = Number(/minsp=(\d+)/.exec(out())![1]);
    return { report: r.stackHighWater(), bssEnd, minSp };
  }

  it('finds the deepest stack byte at the depth the firmware itself saw', async () => {
    const { report, minSp } = await dive(20, true);
    // SP points at the next free byte: the deepest frame used everything above it.
    const firmwareSaw = RAMEND - minSp;
    console.log(`depth 20: stack ${report.stackBytes} B (firmware saw ${firmwareSaw} B at its deepest SP), static ${report.staticBytes} B, free ${report.freeBytes} B`);
    expect(report.stackBytes).toBeGreaterThanOrEqual(firmwareSaw);
    expect(report.stackBytes).toBeLessThan(firmwareSaw + 64); // the calls below the deepest frame (SP read, returns) are small
    expect(report.staticBytes + report.stackBytes + report.freeBytes).toBe(uno.sramBytes);
  }, 60_000);

  it('grows by one 64-byte frame (plus return address and saved registers) per level', async () => {
    const a = (await dive(10, true)).report.stackBytes;
    const b = (await dive(20, true)).report.stackBytes;
    const perFrame = (b - a) / 10;
    expect(perFrame).toBeGreaterThanOrEqual(66);
    expect(perFrame).toBeLessThanOrEqual(90);
  }, 60_000);

  it('finds the end of static data by scanning, equal to the symbol and to what the firmware printed', async () => {
    const scanned = await dive(5, false);
    const fromSymbols = await dive(5, true);
    expect(scanned.report.staticEndFrom).toBe('scan');
    expect(fromSymbols.report.staticEndFrom).toBe('symbols');
    expect(scanned.report.staticEnd).toBe(scanned.bssEnd);
    expect(fromSymbols.report.staticEnd).toBe(scanned.bssEnd);
    expect(scanned.report.stackBytes).toBe(fromSymbols.report.stackBytes);
  }, 60_000);
});

describe('background loop', () => {
  /** A few turns of the event loop (immediates and zero timers), where a running background loop would take slices. */
  const turns = async (n: number) => {
    for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(() => setTimeout(r, 0)));
  };

  it('paces realtime to the board clock, and a paused loop leaves later loops working', async () => {
    const build = await buildFixture('echo');
    const hex = readFileSync(build.hexPath, 'latin1');
    // A 1 MHz board: slow enough that the emulator is always ahead, so the loop sits in its 1 ms timer when paused.
    const slow = { ...uno, fCpu: 1_000_000 };
    for (let i = 0; i < 5; i++) {
      const r = createAvrRunner(hex, slow);
      const t0 = performance.now();
      r.start({ realtime: true });
      await waitUntil(() => r.cycles >= 100_000, 20_000, '100k cycles of the 1 MHz board'); // 100 ms of board time
      r.pause();
      const mhz = r.cycles / (performance.now() - t0) / 1000;
      expect(mhz).toBeLessThan(1.2); // never ahead of the clock (plus one slice)
      expect(r.cycles).toBeGreaterThan(0); // behind it is allowed: 2 shared cores, sometimes at load 16
    }
    const fast = createAvrRunner(hex, uno);
    fast.start();
    // A loop broken by an earlier pause would never get here.
    await waitUntil(() => fast.cycles >= 1_000_000, 20_000, 'a million cycles after five paused runners');
    fast.pause();
    const c = fast.cycles;
    await turns(20);
    expect(fast.cycles).toBe(c); // paused means paused
  }, 30_000);
});

describe('speed', () => {
  it('prints the simulated MHz of a busy firmware run in fast mode', async () => {
    const { r, out } = await runner('echo');
    r.runUntil(() => out().includes('\n'), 20e6);
    const t0 = performance.now();
    const cycles = r.runFor(1000);
    const ms = performance.now() - t0;
    console.log(`runFor(1000 ms): ${(cycles / 1e6).toFixed(1)} M cycles = ${(cycles / ms / 1000).toFixed(1)} MHz simulated (${((cycles / ms / 1000) / 16).toFixed(2)}x a real Uno)`);
    expect(cycles).toBeGreaterThan(0);
  }, 30_000);
});
