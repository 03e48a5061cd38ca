// Upload faults on the virtual board with real avrdude: a board without a bootloader, the wrong speed, the cable
// pulled mid-upload; each ends in a clear typed error in bounded time, a second upload recovers the board, and verify
// refuses a blank or half-written board by its missing ready line instead of giving a wrong answer.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BuildResult } from '../../host/core/artifacts.js';
import { getBoard } from '../../host/core/boards.js';
import { BoardNotReadyError, PortVanishedError, UploadFailedError } from '../../host/core/errors.js';
import { runAvrdude, uploadFirmware } from '../../host/build/upload.js';
import { runSession } from '../../host/bridge/session.js';
import { openSerialTransport } from '../../host/bridge/transport.js';
import { startVirtualBoard } from '../../host/sim/virtual-board.js';
import type { VirtualBoard } from '../../host/sim/virtual-board.js';
import { buildChain } from '../bridge/chain.js';
import type { Chain } from '../bridge/chain.js';
import { ourSocats } from '../sim/helpers.js';
import { bootloaderBoard, stopBoards } from './helpers.js';

let chain: Chain;
let build: BuildResult;
const uno = getBoard('uno');

beforeAll(async () => {
  chain = await buildChain('demo');
  build = { boardId: 'uno', toolchain: 'builtin', hexPath: chain.hexPath } as BuildResult;
}, 120_000);
afterEach(stopBoards);
afterAll(async () => {
  await stopBoards();
  rmSync(chain.dir, { recursive: true, force: true });
  expect(ourSocats()).toEqual([]);
});

const speedCacheFile = (): string => path.join(chain.dir, 'speeds.json');

/** Intel HEX text of `bytes` at `address` (16-byte data records), for a sketch that reaches into the boot section. */
function hexAt(address: number, bytes: number[]): string {
  const lines: string[] = [];
  for (let i = 0; i < bytes.length; i += 16) {
    const chunk = bytes.slice(i, i + 16);
    const at = address + i;
    const rec = [chunk.length, (at >> 8) & 0xff, at & 0xff, 0, ...chunk];
    const sum = (0x100 - (rec.reduce((a, b) => a + b, 0) & 0xff)) & 0xff;
    lines.push(`:${[...rec, sum].map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join('')}`);
  }
  return `${lines.join('\n')}\n:00000001FF\n`;
}

/** Verify the demo model on the board with a short ready timeout; resolves with the report or the error. */
function verifyOn(vb: VirtualBoard): Promise<unknown> {
  return runSession({
    model: chain.model,
    rows: chain.allRows,
    board: uno,
    transport: () => openSerialTransport({ path: vb.path, baudRate: uno.baud }),
    readyTimeoutMs: 4000,
  }).catch((e: unknown) => e);
}

describe('upload faults on the virtual board', () => {
  it('a board without a bootloader (sketch-only flash) never answers: one message naming the speed, in bounded time', async () => {
    const vb = await startVirtualBoard({ hexPath: chain.hexPath, board: uno });
    try {
      const t0 = Date.now();
      const err = await uploadFirmware(build, uno, vb.path, { speedCacheFile: speedCacheFile() }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UploadFailedError);
      expect((err as UploadFailedError).message).toBe(`no bootloader answered on ${vb.path} at 115200 baud (arduino protocol, Arduino Uno)`);
      expect((err as UploadFailedError).hint).toMatch(/--port is the board .* no other program has the port open/);
      expect(Date.now() - t0).toBeLessThan(15_000);
    } finally {
      await vb.stop();
    }
  }, 60_000);

  it('the wrong speed: the Uno profile (115200) against the old Nano bootloader (57600) gets garbage, then --board nano recovers', async () => {
    const vb = await bootloaderBoard('nano', 'atmegaboot');
    const err = await uploadFirmware(build, uno, vb.path, { speedCacheFile: speedCacheFile() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UploadFailedError);
    expect((err as Error).message).toContain('at 115200 baud');
    expect(vb.stats().garbledChunks).toBeGreaterThan(0); // it failed because of the speed, not because nobody listened
    const nano = getBoard('nano');
    const ok = await uploadFirmware({ ...build, boardId: 'nano' }, nano, vb.path, { speedCacheFile: speedCacheFile() });
    expect(ok).toMatchObject({ baud: 57_600, triedFirst: [115_200] });
  }, 120_000);

  it('a sketch reaching into the boot section: the write is refused (lock bits), the read-back by avrdude names it, the bootloader survives', async () => {
    const vb = await bootloaderBoard('uno');
    const hexPath = path.join(chain.dir, 'too-big.hex');
    writeFileSync(hexPath, hexAt(0x7d80, new Array<number>(256).fill(0x5a))); // one page below BOOTRST, one at it
    const err = await uploadFirmware({ ...build, hexPath }, uno, vb.path, { speedCacheFile: speedCacheFile() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UploadFailedError);
    expect((err as Error).message).toMatch(/^avrdude wrote the flash of the Arduino Uno on .* but it read back different: device 0x[0-9a-f]{2} != input 0x5a at addr 0x7e00/);
    expect(vb.runner.spm.refused).toBeGreaterThan(0);
    expect(Array.from(vb.runner.flash.subarray(0x7d80, 0x7e00))).toEqual(new Array<number>(128).fill(0x5a));
    const ok = await uploadFirmware(build, uno, vb.path, { speedCacheFile: speedCacheFile() });
    expect(ok.bytes).toBeGreaterThan(1000);
  }, 120_000);

  it('verify refuses a blank board (bootloader, no sketch) by its missing ready line', async () => {
    const vb = await bootloaderBoard('uno');
    const err = await verifyOn(vb);
    expect(err).toBeInstanceOf(BoardNotReadyError);
    expect((err as Error).message).toMatch(/no ready line from .* within 4000 ms/);
  }, 60_000);

  it('the cable pulled mid-upload: a clear error; verify refuses the half-written board; a second upload recovers it', async () => {
    const vb = await bootloaderBoard('uno');
    let pulledAt = -1;
    const err = await uploadFirmware(build, uno, vb.path, {
      speedCacheFile: speedCacheFile(),
      runAvrdude: (args, o) => {
        // Pull the cable once the bootloader has written 20 of the sketch's ~70 pages.
        const watch = setInterval(() => {
          if (vb.runner.spm.writes >= 20 && pulledAt < 0) {
            clearInterval(watch);
            pulledAt = vb.runner.spm.writes;
            void vb.disconnect();
          }
        }, 5);
        return runAvrdude(args, o).finally(() => clearInterval(watch));
      },
    }).catch((e: unknown) => e);
    expect(pulledAt).toBeGreaterThan(0);
    expect(err).toBeInstanceOf(PortVanishedError);
    expect((err as Error).message).toBe(`the board on ${vb.path} vanished during the upload`);
    await vb.reconnect();
    const half = await verifyOn(vb);
    expect(half).toBeInstanceOf(BoardNotReadyError);
    const ok = await uploadFirmware(build, uno, vb.path, { speedCacheFile: speedCacheFile() });
    expect(ok.baud).toBe(115_200);
    expect(vb.runner.spm.refused).toBe(0);
    const report = (await verifyOn(vb)) as { bitIdentical: number; rows: number };
    expect(report.bitIdentical).toBe(chain.allRows.length);
  }, 120_000);
});
