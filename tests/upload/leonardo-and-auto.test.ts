// The Leonardo's way in (1200-baud touch, a new bootloader port, avr109), tested with an injected port lister, opener
// and avrdude, since USB cannot be emulated; the virtual board refuses it. Board names by USB id from the core's
// boards.txt; --port auto; the speed remembered per port.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BuildResult } from '../../host/core/artifacts.js';
import { getBoard, readyQueryDelayMs } from '../../host/core/boards.js';
import { PortNotFoundError, UploadFailedError, UsageError } from '../../host/core/errors.js';
import { uploadFirmware } from '../../host/build/upload.js';
import type { AvrdudeRun } from '../../host/build/upload.js';
import { arduinoAvrDir } from '../../host/build/builtin.js';
import { parseBoardsTxt, identifyPort } from '../../host/ports/arduino-ids.js';
import { pickAutoPort } from '../../host/ports/auto.js';
import { realPortFs } from '../../host/ports/check.js';
import type { ProbeLink } from '../../host/ports/probe.js';
import { touchForBootloader } from '../../host/ports/touch.js';
import type { PortInfo } from '../../host/ports/touch.js';
import { rememberSpeed, rememberedSpeed, speedOrder } from '../../host/ports/speed-cache.js';
import { findBootloader } from '../../host/sim/boot.js';
import { runCli } from '../e2e/cli.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'deploy-nn-leo-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const leonardo = getBoard('leonardo');
const core = parseBoardsTxt(readFileSync(path.join(arduinoAvrDir(), 'boards.txt'), 'utf8'));
const sketchPort: PortInfo = { path: '/dev/ttyACM0', vendorId: '2341', productId: '8036' };
const bootPort: PortInfo = { path: '/dev/ttyACM1', vendorId: '2341', productId: '0036' };
/** A port check that accepts the made-up device paths. */
const fakeFs = { ...realPortFs, stat: () => ({ isCharacterDevice: () => true, isDirectory: () => false, isFile: () => false, rdev: 166 * 256 }), access: () => undefined, realpath: (p: string) => p, holders: () => [] };

describe('Leonardo: 1200-baud touch, then avr109 on the bootloader port', () => {
  it('touches at 1200, waits for the new port, uploads there with avr109', async () => {
    const events: string[] = [];
    let touched = false;
    const open = async (p: string, baud: number): Promise<ProbeLink> => {
      events.push(`open ${p} ${baud}`);
      return {
        write: () => undefined,
        onData: () => undefined,
        close: async () => {
          events.push(`close ${p}`);
          if (baud === 1200) touched = true;
        },
      };
    };
    let listings = 0;
    const listPorts = async (): Promise<PortInfo[]> => {
      listings++;
      // The sketch's port goes away after the touch; the bootloader's appears two listings later.
      if (!touched) return [sketchPort];
      return listings > 3 ? [bootPort] : [];
    };
    let avrdudeArgs: readonly string[] = [];
    const runAvrdude = async (args: readonly string[]): Promise<AvrdudeRun> => {
      avrdudeArgs = args;
      return { code: 0, output: 'avrdude done.  Thank you.', timedOut: false, vanished: false };
    };
    const hexPath = path.join(tmp, 'firmware.hex');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(hexPath, ':0400000001020304F2\n:00000001FF\n');
    const notes: string[] = [];
    const result = await uploadFirmware({ boardId: 'leonardo', toolchain: 'builtin', hexPath } as BuildResult, leonardo, '/dev/ttyACM0', {
      open,
      listPorts,
      runAvrdude,
      portFs: fakeFs,
      onNote: (m) => notes.push(m),
    });
    expect(events).toEqual(['open /dev/ttyACM0 1200', 'close /dev/ttyACM0']);
    expect(result.port).toBe('/dev/ttyACM1');
    expect(avrdudeArgs).toEqual(['-p', 'atmega32u4', '-c', 'avr109', '-P', '/dev/ttyACM1', '-b', '57600', '-D', '-U', `flash:w:${hexPath}:i`]);
    expect(notes).toContain('Arduino Leonardo: the 1200-baud touch started its bootloader on /dev/ttyACM1');
  });

  it('no bootloader port after the touch: a clear error in bounded time', async () => {
    const open = async (): Promise<ProbeLink> => ({ write: () => undefined, onData: () => undefined, close: async () => undefined });
    const err = await touchForBootloader(open, async () => [sketchPort], '/dev/ttyACM0', { timeoutMs: 200, pollMs: 10 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UploadFailedError);
    expect((err as Error).message).toBe('no bootloader port appeared within 0 s after the 1200-baud touch on /dev/ttyACM0');
    expect((err as UploadFailedError).hint).toMatch(/press the reset button twice/);
  });

  it('the virtual board refuses the Leonardo', async () => {
    expect(() => findBootloader(leonardo)).toThrow(UsageError);
    const r = await runCli(['sim', '--board', 'leonardo', '--bootloader'], { timeoutMs: 30_000 });
    expect(r.stderr).toMatch(/deploy-nn: the virtual board cannot run the Arduino Leonardo's bootloader\n {2}fix: /);
    expect(r.code).toBe(2);
  }, 30_000);
});

describe('finding the board', () => {
  it('names boards by USB id from boards.txt', () => {
    expect(identifyPort({ path: 'a', vendorId: '2341', productId: '0043' }, core)?.boardId).toBe('uno');
    expect(identifyPort({ path: 'a', vendorId: '2341', productId: '0042' }, core)?.boardId).toBe('mega2560');
    expect(identifyPort(bootPort, core)?.boardId).toBe('leonardo');
    expect(identifyPort({ path: 'a', vendorId: '1a86', productId: '7523' }, core)).toBeUndefined(); // a CH340 clone
  });

  it('--port auto picks the one Arduino, refuses none or several, naming the candidates', async () => {
    const uno = getBoard('uno');
    const unoPort = { path: '/dev/ttyACM0', vendorId: '2341', productId: '0043' };
    const ch340 = { path: '/dev/ttyUSB0', vendorId: '1a86', productId: '7523', manufacturer: 'QinHeng' };
    expect((await pickAutoPort(uno, async () => [ch340, unoPort], core)).path).toBe('/dev/ttyACM0');
    const none = await pickAutoPort(uno, async () => [ch340], core).catch((e: unknown) => e);
    expect(none).toBeInstanceOf(PortNotFoundError);
    expect((none as PortNotFoundError).hint).toContain('/dev/ttyUSB0 (QinHeng)');
    const two = await pickAutoPort(uno, async () => [unoPort, { ...unoPort, path: '/dev/ttyACM1', productId: '0042' }, { ...unoPort, path: '/dev/ttyACM2' }], core).catch((e: unknown) => e);
    expect(two).toBeInstanceOf(UsageError);
    expect((two as Error).message).toBe('--port auto found 2 Arduino boards: /dev/ttyACM0 (Arduino UNO), /dev/ttyACM2 (Arduino UNO)');
  });

  it('a host opening a board waits three bootloader waits before asking for the ready line', () => {
    expect(readyQueryDelayMs(getBoard('uno'))).toBe(4_200);
    expect(readyQueryDelayMs(getBoard('mega2560'))).toBe(2_550);
    expect(readyQueryDelayMs(leonardo)).toBe(1_500); // no bootloader on open: the default
  });

  it('remembers the speed that answered per port and board, and tries it first', () => {
    const file = path.join(tmp, 'speeds.json');
    expect(rememberedSpeed(tmp, 'nano', file)).toBeUndefined();
    rememberSpeed(tmp, 'nano', 57_600, file);
    expect(rememberedSpeed(tmp, 'nano', file)).toBe(57_600);
    expect(rememberedSpeed(tmp, 'uno', file)).toBeUndefined();
    expect(speedOrder([115_200, 57_600], 57_600)).toEqual([57_600, 115_200]);
    expect(speedOrder([115_200, 57_600], 9_600)).toEqual([115_200, 57_600]);
  });
});
