// Every port problem named, each with its own typed error and fix line: not found, not a serial device (/dev/null,
// a plain file, a folder), permission denied, busy; the CLI maps them to exit 3 before building anything.
import { spawn } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { NotASerialPortError, PortBusyError, PortNotFoundError, PortPermissionError } from '../../host/core/errors.js';
import { checkPort, realPortFs } from '../../host/ports/check.js';
import type { PortFs } from '../../host/ports/check.js';
import { openSerialTransport } from '../../host/bridge/transport.js';
import { formatError, exitCodeFor } from '../../host/cli/run.js';
import { runCli } from '../e2e/cli.js';
import { ourSocats } from '../sim/helpers.js';
import { bootloaderBoard, stopBoards } from './helpers.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'deploy-nn-ports-'));
afterEach(stopBoards);
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
  expect(ourSocats()).toEqual([]);
});

describe('checkPort', () => {
  it('a path that does not exist', () => {
    const p = path.join(tmp, 'ttyACM9');
    expect(() => checkPort(p)).toThrow(PortNotFoundError);
    expect(formatError(new PortNotFoundError(p))).toMatch(/serial port .*ttyACM9 does not exist\n {2}fix: /);
  });

  it.each([
    ['/dev/null', () => '/dev/null', 'a memory device (like /dev/null)'],
    ['a plain file', () => {
      const f = path.join(tmp, 'firmware.hex');
      writeFileSync(f, ':00000001FF\n');
      return f;
    }, 'a plain file'],
    ['a folder', () => tmp, 'a folder'],
  ] as const)('%s is not a serial device', (_name, make, what) => {
    const p = make();
    const err = (() => {
      try {
        checkPort(p);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(NotASerialPortError);
    expect((err as Error).message).toBe(`${p} is not a serial port: it is ${what}`);
    expect((err as NotASerialPortError).hint).toMatch(/deploy-nn ports/);
    expect(exitCodeFor(err)).toBe(3);
  });

  it('permission denied names the dialout group and a udev rule (injected: root may open anything)', () => {
    const fs: PortFs = {
      ...realPortFs,
      access: () => {
        throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
      },
    };
    const err = (() => {
      try {
        checkPort('/dev/tty', fs);
      } catch (e) {
        return e as PortPermissionError;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(PortPermissionError);
    expect(err!.message).toBe('no permission to open serial port /dev/tty (EACCES)');
    expect(err!.hint).toMatch(/dialout.*udev rule/);
    expect(exitCodeFor(err)).toBe(3);
  });

  it('busy: another program has the device open (a real pty held by a child process)', async () => {
    const vb = await bootloaderBoard('uno');
    const pts = realpathSync(vb.path);
    // Another program opens the device and holds it until killed.
    const holder = spawn(process.execPath, ['-e', `require('fs').openSync(${JSON.stringify(pts)}, 'r+'); console.log('open'); setInterval(() => {}, 1e6);`], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on('data', (d: Buffer) => d.toString().includes('open') && resolve());
        holder.on('exit', (c) => reject(new Error(`holder exited ${c}`)));
      });
      const err = (() => {
        try {
          checkPort(pts);
        } catch (e) {
          return e as PortBusyError;
        }
        return undefined;
      })();
      expect(err).toBeInstanceOf(PortBusyError);
      expect(err!.message).toBe(`serial port ${pts} is busy: node (pid ${holder.pid}) has it open`);
      expect(err!.hint).toMatch(/serial monitor/);
      // The bridge's transport refuses it the same way.
      await expect(openSerialTransport({ path: pts, baudRate: 115_200 })).rejects.toBeInstanceOf(PortBusyError);
    } finally {
      holder.kill('SIGKILL');
    }
  }, 30_000);
});

describe('the CLI names the port problem (exit 3) before building', () => {
  it.each([
    ['/dev/null', /deploy-nn: \/dev\/null is not a serial port: it is a memory device \(like \/dev\/null\)\n {2}fix: give the board's port/],
    [path.join(os.tmpdir(), 'no-such-board'), /deploy-nn: serial port .*no-such-board does not exist\n {2}fix: /],
  ])('upload --port %s', async (port, message) => {
    const r = await runCli(['upload', '--board', 'uno', '--port', port, '--model', path.join(tmp, 'none.json')], { timeoutMs: 30_000 });
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(3);
  }, 30_000);
});
