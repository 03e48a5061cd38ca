// The virtual Uno over a real pty opened by serialport: nothing lost, a fresh boot per open, reset and every fault hook.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getBoard } from '../../host/core/boards.js';
import { startVirtualBoard } from '../../host/sim/virtual-board.js';
import type { VirtualBoard, VirtualBoardOptions } from '../../host/sim/virtual-board.js';
import { Host, buildFixture, ourSocats, sleep } from './helpers.js';
import type { BuiltFixture } from './helpers.js';

const uno = getBoard('uno');
let echo: BuiltFixture;
const boards: VirtualBoard[] = [];
const hosts: Host[] = [];

async function start(opts: Partial<VirtualBoardOptions> = {}): Promise<VirtualBoard> {
  const vb = await startVirtualBoard({ hexPath: echo.hexPath, board: uno, ...opts });
  boards.push(vb);
  return vb;
}

async function open(vb: VirtualBoard): Promise<Host> {
  const h = await Host.open(vb.path);
  h.diag = () => ({ ...vb.stats(), connected: vb.connected, rxPending: vb.runner.rxPending, running: vb.runner.running });
  hosts.push(h);
  return h;
}

const boots = (h: Host) => h.lines.filter((l) => l === '#BOOT echo').length;

beforeAll(async () => {
  echo = await buildFixture('echo');
}, 120_000);

// Every socat is killed even when a test fails.
afterEach(async () => {
  for (const h of hosts.splice(0)) await h.close();
  for (const vb of boards.splice(0)) await vb.stop();
});

afterAll(async () => {
  await sleep(50);
  expect(ourSocats()).toEqual([]);
});

describe('virtual board over a pty', () => {
  it('echoes 400 lines through Serial.write with none lost (window of 2, as the protocol)', async () => {
    const vb = await start();
    const h = await open(vb);
    await h.waitFor((x) => boots(x) === 1, 10_000, 'the boot line');
    const lines = Array.from({ length: 400 }, (_, i) => `line ${i} ${'x'.repeat(i % 23)}`);
    let sent = 0;
    const answered = () => h.lines.length - 1;
    const t0 = Date.now();
    while (sent < lines.length) {
      while (sent < lines.length && sent - answered() < 2) h.write(`${lines[sent++]}\n`);
      await h.waitFor(() => sent - answered() < 2 || sent === lines.length, 10_000, `reply ${answered() + 1}`);
    }
    await h.waitFor(() => answered() === lines.length, 10_000, 'the last reply');
    const s = vb.stats();
    console.log(`400 lines over the pty in ${Date.now() - t0} ms; ${s.bytesToBoard} bytes in, ${s.bytesToHost} out, ${s.simulatedMhz.toFixed(1)} MHz simulated`);
    expect(h.lines.slice(1)).toEqual(lines.map((l, i) => `${i + 1}:${l}`));
    expect(s.bytesToBoard).toBe(lines.reduce((n, l) => n + l.length + 1, 0));
    expect(s.bytesToHost).toBe(h.text.length);
  }, 60_000);

  it('boots afresh on every open, and the next open after a close works again', async () => {
    const vb = await start();
    expect(existsSync(vb.path)).toBe(true);
    for (let k = 1; k <= 3; k++) {
      const h = await open(vb);
      await h.waitFor((x) => boots(x) === 1, 10_000, `boot line on open ${k}`);
      h.write('x\ny\n');
      await h.waitFor((x) => x.text.endsWith('2:y\n'), 10_000, 'two echoes');
      // The counter restarting at 1 shows the sketch's RAM was reset, not just a line replayed.
      expect(h.lines).toEqual(['#BOOT echo', '1:x', '2:y']);
      await h.close();
      expect(vb.stats().connects).toBe(k);
      expect(vb.stats().resets).toBe(k);
      // No pause: the link already points at a waiting pty, so even an immediate reopen boots afresh.
    }
  }, 60_000);

  it('waitForConnect resolves at the next open, and times out with a SimError naming the device', async () => {
    const vb = await start();
    await expect(vb.waitForConnect(100)).rejects.toThrow(`no host opened ${vb.path} within 100 ms`);
    const waiting = vb.waitForConnect(10_000);
    const h = await open(vb);
    await waiting;
    expect(vb.connected).toBe(true);
    await h.close();
    await h.waitFor(() => !vb.connected, 5_000, 'the board to see the close');
  }, 30_000);

  it('a second open while a host is connected takes over with a fresh boot (newest open wins)', async () => {
    const vb = await start();
    const h1 = await open(vb);
    await h1.waitFor((x) => boots(x) === 1);
    await sleep(100); // the next waiting pty is linked a moment after the first open
    const h2 = await open(vb);
    await h2.waitFor((x) => boots(x) === 1, 10_000, 'a boot for the second host');
    h2.write('two\n');
    await h2.waitFor((x) => x.text.endsWith('1:two\n'));
    expect(h1.lines).toEqual(['#BOOT echo']);
    expect(vb.stats().connects).toBe(2);
  }, 30_000);

  it('reset() reboots mid-stream while the host stays connected', async () => {
    const vb = await start();
    const h = await open(vb);
    await h.waitFor((x) => boots(x) === 1);
    h.write('a\n');
    await h.waitFor((x) => x.text.endsWith('1:a\n'));
    vb.reset();
    await h.waitFor((x) => boots(x) === 2, 10_000, 'a second boot line');
    h.write('b\n');
    await h.waitFor((x) => x.text.endsWith('1:b\n'), 10_000, 'the counter restarted');
    expect(h.lines).toEqual(['#BOOT echo', '1:a', '#BOOT echo', '1:b']);
    expect(vb.stats().resets).toBe(2); // the open, then the button
  }, 30_000);

  it('injectToBoard puts bytes on the line to the board, after what the host sent', async () => {
    const vb = await start();
    const h = await open(vb);
    await h.waitFor((x) => boots(x) === 1);
    h.write('host');
    await h.waitFor(() => vb.stats().bytesToBoard === 4, 10_000, 'the host bytes to reach the virtual line');
    vb.injectToBoard('\xff\x00garbage\n');
    await h.waitFor((x) => x.lines.length === 2, 10_000, 'the echo of host + garbage');
    expect({ line: h.lines[1], stats: vb.stats() }).toMatchObject({ line: '1:host\xff\x00garbage', stats: { connects: 1, resets: 1 } });
  }, 30_000);

  it('injectToHost sends bytes to the host as if from the board', async () => {
    const vb = await start();
    expect(vb.injectToHost('before anyone listens')).toBe(false);
    const h = await open(vb);
    await h.waitFor((x) => boots(x) === 1);
    expect(vb.injectToHost('\x01noise\n')).toBe(true);
    await h.waitFor((x) => x.text.includes('\x01noise\n'), 5_000, 'the injected bytes');
  }, 30_000);

  it('holdTx holds the board output back for the given time, then releases it in order', async () => {
    const vb = await start();
    const h = await open(vb);
    await h.waitFor((x) => boots(x) === 1);
    vb.holdTx(600);
    const t0 = Date.now();
    h.write('p\nq\n');
    await sleep(400);
    expect(h.lines).toEqual(['#BOOT echo']); // the board answered, but nothing reached the host yet
    await h.waitFor((x) => x.text.endsWith('2:q\n'), 5_000, 'the held replies');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(550);
    expect(h.lines).toEqual(['#BOOT echo', '1:p', '2:q']);
  }, 30_000);

  it('disconnect() pulls the cable: the path vanishes, the open port errors and closes; reconnect() brings it back', async () => {
    const vb = await start();
    const h = await open(vb);
    await h.waitFor((x) => boots(x) === 1);
    await vb.disconnect();
    expect(existsSync(vb.path)).toBe(false);
    // As with a real USB serial device on Linux, reads see a hang-up and the next write fails (EIO): serialport
    // emits an error and closes the port.
    h.write('anyone?\n');
    await h.waitFor((x) => x.events.some((e) => e.startsWith('close')), 5_000, 'the port to close');
    // Usually the failed write reports it (error EIO, then close); a read that fails first closes with the error.
    expect(h.events.join(' | ')).toMatch(/error: |close: /);
    expect(h.port.isOpen).toBe(false);
    await vb.reconnect();
    await h.waitFor(() => existsSync(vb.path), 5_000, 'the device to come back');
    const h2 = await open(vb);
    await h2.waitFor((x) => boots(x) === 1, 10_000, 'a boot after reconnect');
  }, 30_000);

  it('realtime paces the emulator to 16 MHz (loosely: cores are shared)', async () => {
    const vb = await start({ realtime: true });
    const h = await open(vb);
    await h.waitFor((x) => boots(x) === 1);
    const c0 = vb.stats().cycles;
    const t0 = performance.now();
    await sleep(1500);
    const mhz = (vb.stats().cycles - c0) / (performance.now() - t0) / 1000;
    console.log(`realtime: ${mhz.toFixed(2)} MHz of simulated clock per wall-clock second (target 16)`);
    expect(mhz).toBeLessThan(17); // never faster than the board
    expect(mhz).toBeGreaterThan(1); // and it does run
  }, 30_000);

  it('fast mode runs as fast as the emulator goes', async () => {
    const vb = await start();
    const h = await open(vb);
    await h.waitFor((x) => boots(x) === 1);
    const c0 = vb.stats().cycles;
    const t0 = performance.now();
    await sleep(1500);
    const mhz = (vb.stats().cycles - c0) / (performance.now() - t0) / 1000;
    console.log(`fast: ${mhz.toFixed(2)} MHz simulated (${(mhz / 16).toFixed(2)}x a real Uno); runner says ${vb.stats().simulatedMhz.toFixed(2)} MHz while running`);
    expect(mhz).toBeGreaterThan(0);
  }, 30_000);

  it('does not run the board while no host has it open (every open boots it anyway)', async () => {
    const vb = await start();
    await sleep(300);
    expect(vb.stats().cycles).toBe(0);
  }, 10_000);

  it('refuses a device path it cannot make, naming it', async () => {
    await expect(start({ ptyPath: '/nonexistent-dir/uno' })).rejects.toThrow('cannot make the device /nonexistent-dir/uno: folder /nonexistent-dir does not exist');
    const file = path.join(os.tmpdir(), `deploy-nn-sim-file-${process.pid}`);
    writeFileSync(file, 'not a tty');
    try {
      await expect(start({ ptyPath: file })).rejects.toThrow(`${file} exists and is not a symlink; refusing to replace it`);
      expect(readFileSync(file, 'utf8')).toBe('not a tty');
    } finally {
      rmSync(file, { force: true });
    }
    expect(ourSocats()).toEqual([]);
  }, 30_000);

  it('stop() kills socat and removes the link', async () => {
    const vb = await start({ ptyPath: `/tmp/deploy-nn-sim-test-${process.pid}` });
    const h = await open(vb);
    await h.waitFor((x) => boots(x) === 1);
    expect(ourSocats().length).toBeGreaterThan(0);
    await h.close();
    await vb.stop();
    expect(existsSync(vb.path)).toBe(false);
    await sleep(50);
    expect(ourSocats()).toEqual([]);
  }, 30_000);
});
