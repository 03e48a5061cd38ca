// The emulated chip runs the real bootloaders in-process: STK500 answered after an external reset, pages written with
// SPM (and read back after RWW re-enable), the boot section refused, the watchdog's reset, MCUSR's flags, the 2560.
import { describe, expect, it } from 'vitest';
import { getBoard } from '../../host/core/boards.js';
import { createAvrRunnerWithFlash } from '../../host/sim/avr-runner.js';
import type { AvrRunner } from '../../host/sim/avr-runner.js';
import { bootFlash, findBootloader } from '../../host/sim/boot.js';
import { EXTRF, MCUSR, PORF, WDRF } from '../../host/sim/chips.js';
import { resampleUart, speedsMatch } from '../../host/sim/uart-line.js';

const MS = 16_000; // cycles per millisecond at 16 MHz

function boardWith(boardId: string, bootloader?: string): AvrRunner {
  const board = getBoard(boardId);
  const bl = findBootloader(board, bootloader);
  return createAvrRunnerWithFlash(bootFlash(board, bl), board, { bootStart: bl.bootStart });
}

/** Send `req` and run until `n` reply bytes came (or 300 ms of simulated time); returns them. */
function exchange(r: AvrRunner, req: number[], n: number): number[] {
  const got: number[] = [];
  const off = r.onTx((b) => got.push(...b));
  r.writeRx(Uint8Array.from(req));
  r.runUntil(() => got.length >= n, 300 * MS);
  off();
  return got;
}

const INSYNC = 0x14;
const OK = 0x10;

describe('Optiboot on the emulated ATmega328P', () => {
  it('answers STK500 after an external reset, writes a page with SPM, and reads it back', () => {
    const r = boardWith('uno');
    r.reset('external');
    r.runCycles(100 * MS);
    expect(exchange(r, [0x30, 0x20], 2)).toEqual([INSYNC, OK]);
    const data = Array.from({ length: 128 }, (_, i) => (i * 7 + 3) & 0xff);
    expect(exchange(r, [0x55, 0x40, 0x00, 0x20], 2)).toEqual([INSYNC, OK]); // word address 0x40 = byte 0x80
    expect(exchange(r, [0x64, 0x00, 0x80, 0x46, ...data, 0x20], 2)).toEqual([INSYNC, OK]);
    expect(Array.from(r.flash.subarray(0x80, 0x100))).toEqual(data);
    expect(r.spm).toEqual({ erases: 1, writes: 1, refused: 0 });
    expect(exchange(r, [0x55, 0x40, 0x00, 0x20], 2)).toEqual([INSYNC, OK]);
    expect(exchange(r, [0x74, 0x00, 0x80, 0x46, 0x20], 130)).toEqual([INSYNC, ...data, OK]);
  });

  it('refuses to erase or write the boot section (the lock bits), so the bootloader survives any upload', () => {
    const r = boardWith('uno');
    const before = Uint8Array.from(r.flash.subarray(0x7e00));
    r.reset('external');
    r.runCycles(100 * MS);
    expect(exchange(r, [0x30, 0x20], 2)).toEqual([INSYNC, OK]);
    expect(exchange(r, [0x55, 0x00, 0x3f, 0x20], 2)).toEqual([INSYNC, OK]); // word 0x3F00 = byte 0x7E00
    expect(exchange(r, [0x64, 0x00, 0x80, 0x46, ...new Array<number>(128).fill(0), 0x20], 2)).toEqual([INSYNC, OK]);
    expect(r.spm.refused).toBe(2); // the erase and the write
    expect(Uint8Array.from(r.flash.subarray(0x7e00))).toEqual(before);
  });

  it('leaves through a watchdog reset about a second after an external reset with no host bytes', () => {
    const r = boardWith('uno');
    r.reset('external');
    const start = r.cycles;
    expect(r.runUntil(() => r.resetCounts.watchdog > 0, 3000 * MS)).toBe(true);
    const ms = (r.cycles - start) / MS;
    expect(ms).toBeGreaterThan(900);
    expect(ms).toBeLessThan(1600);
  });

  it('keeps MCUSR across resets: PORF at power-on, EXTRF per external reset; a write clears only the bits written 0', () => {
    const r = boardWith('uno');
    expect(r.mcusr).toBe(PORF);
    r.reset('external');
    expect(r.mcusr).toBe(PORF | EXTRF);
    r.machine.cpu.writeData(MCUSR, 0xff); // writing 1 sets nothing
    expect(r.mcusr).toBe(PORF | EXTRF);
    r.machine.cpu.writeData(MCUSR, ~PORF & 0xff);
    expect(r.mcusr).toBe(EXTRF);
    r.reset('watchdog');
    expect(r.mcusr).toBe(EXTRF | WDRF);
    expect(r.machine.cpu.data[MCUSR]).toBe(EXTRF | WDRF);
  });

  it('the old Nano bootloader answers at 57600', () => {
    const r = boardWith('nano', 'atmegaboot');
    r.reset('external');
    r.runCycles(100 * MS);
    expect(r.uartBaud).toBeGreaterThan(57_600 * 0.97);
    expect(r.uartBaud).toBeLessThan(57_600 * 1.03);
    expect(exchange(r, [0x30, 0x20], 2)).toEqual([INSYNC, OK]);
  });
});

describe('stk500v2 on the emulated ATmega2560 (256 KB flash, 22-bit PC, SRAM from 0x200)', () => {
  it('signs on', () => {
    const r = boardWith('mega2560');
    expect(r.machine.cpu.pc22Bits).toBe(true);
    r.reset('external');
    r.runCycles(20 * MS);
    const body = [0x1b, 0x01, 0x00, 0x01, 0x0e, 0x01];
    const reply = exchange(r, [...body, body.reduce((a, b) => a ^ b, 0)], 17);
    const reply2 = reply.length < 17 ? [...reply, ...exchange(r, [], 17 - reply.length)] : reply;
    expect(reply2.slice(0, 8)).toEqual([0x1b, 0x01, 0x00, 0x0b, 0x0e, 0x01, 0x00, 0x08]); // seq 1, 11 bytes: CMD_SIGN_ON, OK, 8
    expect(Buffer.from(reply2.slice(8, 16)).toString('latin1')).toBe('AVRISP_2');
  });
});

describe('the serial line between two speeds', () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  it('passes every byte at equal speeds and within 2%', () => {
    expect(resampleUart(all, 115_200, 115_200)).toEqual(all);
    expect(resampleUart(all, 115_200, 117_647)).toEqual(all); // Optiboot's UBRR=16 with U2X
    expect(resampleUart(all, 57_600, 58_823)).toEqual(all);
  });
  it('garbles at twice or half the speed, as a real UART does', () => {
    const sync = Uint8Array.of(0x30, 0x20);
    expect(resampleUart(sync, 115_200, 57_600)).not.toEqual(sync);
    expect(resampleUart(sync, 57_600, 115_200)).not.toEqual(sync);
    expect(resampleUart(all, 57_600, 115_200)).not.toEqual(all);
  });
  it('tells matching speeds apart', () => {
    expect(speedsMatch(115_200, 117_647)).toBe(true);
    expect(speedsMatch(115_200, 58_823)).toBe(false);
    expect(speedsMatch(9_600, 115_200)).toBe(false);
  });
});
