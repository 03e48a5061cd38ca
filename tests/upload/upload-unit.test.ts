// uploadFirmware's decisions with an injected port, opener and avrdude (unit tests; the real ones are in e2e and
// faults): which speed answers, the speed remembered, one more avrdude run after it lost step, none after a mismatch.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BuildResult } from '../../host/core/artifacts.js';
import { getBoard } from '../../host/core/boards.js';
import { UploadFailedError } from '../../host/core/errors.js';
import { uploadFirmware } from '../../host/build/upload.js';
import type { AvrdudeRun } from '../../host/build/upload.js';
import { realPortFs } from '../../host/ports/check.js';
import type { ProbeLink } from '../../host/ports/probe.js';
import { rememberedSpeed } from '../../host/ports/speed-cache.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'deploy-nn-upload-unit-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const hexPath = path.join(tmp, 'firmware.hex');
writeFileSync(hexPath, ':0400000001020304F2\n:00000001FF\n');
const nano = getBoard('nano');
const build = { boardId: 'nano', toolchain: 'builtin', hexPath } as BuildResult;
const port = path.join(tmp, 'ttyUSB0'); // the port check is injected: any path will do
const portFs = { ...realPortFs, stat: () => ({ isCharacterDevice: () => true, isDirectory: () => false, isFile: () => false, rdev: 188 * 256 }), access: () => undefined, realpath: (p: string) => p, holders: () => [] };

/** A board whose bootloader answers STK500 GET_SYNC only at `baud`; records the speeds opened. */
function bootloaderAt(baud: number, opened: number[]) {
  return async (_p: string, b: number): Promise<ProbeLink> => {
    opened.push(b);
    let listener: (bytes: Uint8Array) => void = () => undefined;
    return {
      write: (bytes) => {
        if (b === baud && bytes[0] === 0x30) queueMicrotask(() => listener(Uint8Array.of(0x14, 0x10)));
      },
      onData: (cb) => (listener = cb),
      close: async () => undefined,
    };
  };
}

const ok: AvrdudeRun = { code: 0, output: 'avrdude done.  Thank you.', timedOut: false, vanished: false };
const probe = { settleMs: 1, intervalMs: 5, attempts: 3 };

describe('uploadFirmware', () => {
  it('tries the Nano speeds in turn, says which answered, remembers it, and tries it first next time', async () => {
    const opened: number[] = [];
    const notes: string[] = [];
    const speedCacheFile = path.join(tmp, 'speeds.json');
    writeFileSync(port, ''); // exists, so the cache keeps it
    const r = await uploadFirmware(build, nano, port, { ...probe, open: bootloaderAt(57_600, opened), portFs, speedCacheFile, runAvrdude: async () => ok, onNote: (m) => notes.push(m) });
    expect(opened).toEqual([115_200, 57_600]);
    expect(r).toMatchObject({ baud: 57_600, triedFirst: [115_200] });
    expect(notes).toContain('bootloader answered at 57600 baud (no answer at 115200)');
    expect(rememberedSpeed(port, 'nano', speedCacheFile)).toBe(57_600);
    opened.length = 0;
    await uploadFirmware(build, nano, port, { ...probe, open: bootloaderAt(57_600, opened), portFs, speedCacheFile, runAvrdude: async () => ok });
    expect(opened).toEqual([57_600]);
  });

  it('runs avrdude once more when it lost step with the bootloader, and says so', async () => {
    const runs: number[] = [];
    const notes: string[] = [];
    const r = await uploadFirmware(build, nano, port, {
      ...probe,
      open: bootloaderAt(115_200, []),
      portFs,
      speedCacheFile: path.join(tmp, 's2.json'),
      onNote: (m) => notes.push(m),
      runAvrdude: async () => {
        runs.push(1);
        return runs.length === 1 ? { code: 1, output: 'avrdude error: protocol expects OK byte 0x10 but got 0x14\n', timedOut: false, vanished: false } : ok;
      },
    });
    expect(runs).toHaveLength(2);
    expect(r.baud).toBe(115_200);
    expect(notes.some((n) => /lost step .*protocol expects OK byte/.test(n))).toBe(true);
  });

  it('does not retry a verification mismatch: it names the address', async () => {
    const runs: number[] = [];
    const err = await uploadFirmware(build, nano, port, {
      ...probe,
      open: bootloaderAt(115_200, []),
      portFs,
      speedCacheFile: path.join(tmp, 's3.json'),
      runAvrdude: async () => {
        runs.push(1);
        return { code: 1, output: 'avrdude warning: verification mismatch\n        device 0x01 != input 0x5a at addr 0x7e00 (error)\navrdude error: verification mismatch\n', timedOut: false, vanished: false };
      },
    }).catch((e: unknown) => e);
    expect(runs).toHaveLength(1);
    expect(err).toBeInstanceOf(UploadFailedError);
    expect((err as Error).message).toBe(`avrdude wrote the flash of the Arduino Nano (ATmega328P) on ${port} but it read back different: device 0x01 != input 0x5a at addr 0x7e00 (error)`);
  });
});
