// Intel HEX parsing, ELF symbols and the virtual board's refusals (bad hex, missing hex, unsupported board, no socat).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { getBoard } from '../../host/core/boards.js';
import { SimError, ToolchainMissingError } from '../../host/core/errors.js';
import { readElfSymbols, staticDataEnd } from '../../host/sim/elf-symbols.js';
import { parseIntelHex } from '../../host/sim/intel-hex.js';
import { startVirtualBoard } from '../../host/sim/virtual-board.js';
import { buildFixture } from './helpers.js';

// Records written by hand from the Intel HEX spec: checksum = two's complement of the byte sum.
const GOOD = [':0400000001020304F2', ':020000040000FA', ':02000800AABB91', ':00000001FF'].join('\n');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'deploy-nn-hex-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function simError(fn: () => unknown): SimError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SimError);
    return err as SimError;
  }
  throw new Error('expected a SimError');
}

describe('parseIntelHex', () => {
  it('places data records, honours extended addresses, leaves the rest erased (0xFF)', () => {
    const flash = parseIntelHex(GOOD, 32, 'good.hex');
    expect([...flash.subarray(0, 4)]).toEqual([1, 2, 3, 4]);
    expect([...flash.subarray(8, 10)]).toEqual([0xaa, 0xbb]);
    expect(flash[4]).toBe(0xff);
  });

  it.each([
    ['bad checksum', ':0400000001020304F3\n:00000001FF', 'bad.hex:1: checksum mismatch'],
    ['not a record', ':0400000001020304F2\nhello\n:00000001FF', 'bad.hex:2: not an Intel HEX record'],
    ['odd digits', ':040000000102030\n:00000001FF', 'bad.hex:1: not an Intel HEX record'],
    ['length disagrees', ':0500000001020304F1\n:00000001FF', 'bad.hex:1: record says 5 data bytes but holds 4'],
    ['no EOF record', ':0400000001020304F2', 'bad.hex: no end-of-file record'],
    ['empty file', '', 'bad.hex: no data records'],
    ['data after EOF', ':00000001FF\n:0400000001020304F2', 'bad.hex:2: data after the end-of-file record'],
    ['beyond flash', ':0400200001020304D2\n:00000001FF', 'bad.hex:1: data at 0x20 lies beyond the 32-byte flash'],
    ['unknown type', ':00000007F9\n:00000001FF', 'bad.hex:1: unknown record type 0x07'],
  ])('refuses %s, naming file and line', (_name, text, message) => {
    expect(simError(() => parseIntelHex(text, 32, 'bad.hex')).message).toContain(message);
  });
});

describe('startVirtualBoard refusals', () => {
  it('names a missing hex file', async () => {
    const missing = path.join(tmp, 'nope.hex');
    await expect(startVirtualBoard({ hexPath: missing, board: getBoard('uno') })).rejects.toThrow(`hex file ${missing} does not exist`);
  });

  it('names the file and line of a malformed hex', async () => {
    const bad = path.join(tmp, 'bad.hex');
    writeFileSync(bad, ':0400000001020304F2\n:0400000001020304F3\n:00000001FF\n');
    await expect(startVirtualBoard({ hexPath: bad, board: getBoard('uno') })).rejects.toThrow(`${bad}:2: checksum mismatch`);
  });

  it('refuses a board it cannot simulate and names those it can', async () => {
    const err = await startVirtualBoard({ hexPath: path.join(tmp, 'x.hex'), board: getBoard('leonardo') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SimError);
    expect((err as SimError).message).toContain('leonardo');
    expect((err as SimError).hint).toBe('the virtual board runs: uno, nano, mega2560');
  });

  it('says how to install socat when it is not on PATH', async () => {
    const good = path.join(tmp, 'good.hex');
    writeFileSync(good, GOOD);
    const saved = process.env.PATH;
    process.env.PATH = tmp; // a folder without socat
    try {
      const err = await startVirtualBoard({ hexPath: good, board: getBoard('uno') }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ToolchainMissingError);
      expect((err as ToolchainMissingError).message).toBe('socat not found on PATH');
      expect((err as ToolchainMissingError).hint).toBe('apt-get install -y socat');
    } finally {
      process.env.PATH = saved;
    }
  });
});

describe('ELF symbols', () => {
  it('reads __heap_start/__bss_end as avr-nm does', async () => {
    const build = await buildFixture('recursion');
    const symbols = readElfSymbols(readFileSync(build.elfPath), build.elfPath);
    // avr-nm is an independent reader of the same table.
    const nm = execFileSync('avr-nm', [build.elfPath], { encoding: 'utf8' });
    const nmValue = (name: string) => parseInt(new RegExp(`^([0-9a-f]+) \\w ${name}$`, 'm').exec(nm)![1]!, 16);
    expect(symbols.get('__bss_end')).toBe(nmValue('__bss_end'));
    expect(symbols.get('__heap_start')).toBe(nmValue('__heap_start'));
    expect(staticDataEnd(symbols)).toBe(nmValue('__heap_start') & 0xffff);
  }, 120_000);

  it('refuses a file that is not an ELF', () => {
    expect(simError(() => readElfSymbols(Buffer.from('not an elf at all, no, not at all, really not an elf file'), 'x.elf')).message).toBe(
      'x.elf: not a 32-bit little-endian ELF file',
    );
  });
});
