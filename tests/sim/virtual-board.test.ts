// The virtual Uno over a real pty opened by serialport: nothing lost, a fresh boot per open, reset and every fault hook.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getBoard } from '../../host/core/boards.js';
import { startVirtualBoard } from '../../host/sim/virtual-board.js';
import type { VirtualBoard, VirtualBoardOptions } from '../../host/sim/virtual-board.js';
import { Host, buildFixture, ourSocats, waitUntil } from './helpers.js';
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

// stop() resolves once every socat has exited: none may be left at once.
afterAll(() => {
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
    while (sent < lines.length) {
      while (sent < lines.length && sent - answered() < 2) h.write(`${lines[sent++]}\n`);
      await h.waitFor(() => sent - answered() < 2 || sent === lines.length, 10_000, `reply ${answered() + 1}`);
    }
    await h.waitFor(() => answered() === lines.length, 10_000, 'the last reply');
    const s = vb.stats();
    expect(h.lines.slice(1)).toEqual(lines.map((l, i) => `${i + 1}:${l}`));
    expect(s.bytesToBoard).toBe(lines.reduce((n, l) => n + l.length + 1, 0));
    expect(s.bytesToHost).toBe(h.text.length);
  }, 60_000);

  it('boots afresh on every open, and the next open after a close works again', async () => {
    const vb = await start();
    expect(existsSync(vb.path)).toBe(true);
    for (let k = 1; k <= 3; k++) {
      const pts = readlinkSync(vb.path);
      const h = await open(vb);
      await h.waitFor((x) => boots(x) === 1, 10_000, `boot line on open ${k}`);
      h.write('x\ny\n');
      await h.waitFor((x) => x.text.endsWith('2:y\n'), 10_000, 'two echoes');
      // The counter restarting at 1 shows the sketch's RAM was reset, not just a line replayed.
      expect(h.lines).toEqual(['#BOOT echo', '1:x', '2:y']);
      // The next waiting pty is made at the open and linked once socat has made it (on a loaded machine that can
      // take longer than the echoes): then even an immediate reopen after the close boots afresh.
      await h.waitFor(() => readlinkSync(vb.path) !== pts, 10_000, 'the link to point at the next pty');
      await h.close();
      expect(vb.stats().connects).toBe(k);
      expect(vb.stats().resets).toBe(k);
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
    const first = readlinkSync(vb.path);
    const h1 = await open(vb);
    await h1.waitFor((x) => boots(x) === 1);
    // The next waiting pty is linked a moment after the first open: wait for the link to move.
    await h1.waitFor(() => readlinkSync(vb.path) !== first, 10_000, 'the link to point at the next pty');
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
    vb.holdTx(600_000);
    const before = vb.stats().bytesToHost;
    h.write('p\nq\n');
    await h.waitFor(() => vb.stats().bytesToHost === before + '1:p\n2:q\n'.length, 10_000, 'the board to answer');
    expect(h.lines).toEqual(['#BOOT echo']); // the board answered, but nothing reached the host yet
    vb.releaseTx();
    await h.waitFor((x) => x.text.endsWith('2:q\n'), 5_000, 'the held replies');
    expect(h.lines).toEqual(['#BOOT echo', '1:p', '2:q']);
    // A hold for a time releases by itself.
    vb.holdTx(50);
    h.write('r\n');
    await h.waitFor((x) => x.text.endsWith('3:r\n'), 10_000, 'the reply held for 50 ms');
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

  // The emulator's speed in both modes is a figure of `npm run bench:bridge` (and `-- --fast`), not a test.
  it('realtime never runs faster than the board: 4M simulated cycles take at least 0.25 s', async () => {
    const vb = await start({ realtime: true });
    const h = await open(vb);
    await h.waitFor((x) => boots(x) === 1);
    const c0 = vb.stats().cycles;
    const t0 = performance.now();
    await h.waitFor(() => vb.stats().cycles >= c0 + 4_000_000, 20_000, '4M simulated cycles');
    const cycles = vb.stats().cycles - c0;
    // A loaded machine only makes it slower; the pacing may run a few ms of cycles ahead of the clock.
    expect(performance.now() - t0).toBeGreaterThanOrEqual((cycles / 16e6) * 1000 - 20);
  }, 30_000);

  it('does not run the board while no host has it open (every open boots it anyway)', async () => {
    const vb = await start();
    expect(vb.runner.running).toBe(false);
    expect(vb.stats().cycles).toBe(0);
    const h = await open(vb);
    await h.waitFor((x) => boots(x) === 1);
    expect(vb.runner.running).toBe(true);
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
    // One socat for the open host, one waiting for the next open.
    expect(ourSocats()).toHaveLength(2);
    // The host's socat is still tearing down after the close: stop() waits for it too.
    await h.close();
    await vb.stop();
    expect(existsSync(vb.path)).toBe(false);
    expect(ourSocats()).toEqual([]);
  }, 30_000);

  it('no socat outlives a process killed without a chance to clean up (SIGKILL)', async () => {
    // The compiled modules (npm test compiles first): Node 20 runs no TypeScript.
    const vbModule = pathToFileURL(path.resolve('dist/sim/virtual-board.js')).href;
    const boardsModule = pathToFileURL(path.resolve('dist/core/boards.js')).href;
    const script = `const { startVirtualBoard } = await import(${JSON.stringify(vbModule)});
const { getBoard } = await import(${JSON.stringify(boardsModule)});
await startVirtualBoard({ hexPath: ${JSON.stringify(echo.hexPath)}, board: getBoard('uno') });
process.stdout.write('started');
setInterval(() => undefined, 1000);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((r) => child.once('exit', r));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('started') && resolve());
      child.once('exit', (code) => reject(new Error(`the child exited (${code}) before starting the board`)));
    });
    const socats = ourSocats(child.pid);
    expect(socats).toHaveLength(1);
    child.kill('SIGKILL');
    await exited;
    // The kernel kills the socat when its parent dies; wait for the process to go (no fixed sleep).
    await waitUntil(() => socats.every((pid) => !existsSync(`/proc/${pid}`) || readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2] === 'Z'), 10_000, `socat ${socats.join(', ')} to exit`);
  }, 30_000);
});
