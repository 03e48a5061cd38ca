// End to end with the real parts: the one-shot command trains, builds, uploads with real avrdude through the real
// bootloader on the virtual board (avr8js behind a socat pty), and verifies every row bit for bit; for the Uno
// (Optiboot), the old Nano bootloader (speed found by probing) and the Mega 2560 (stk500v2, avrdude -c wiring).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../e2e/cli.js';
import { ourSocats } from '../sim/helpers.js';
import { rememberedSpeed } from '../../host/ports/speed-cache.js';
import { bootloaderBoard, stopBoards } from './helpers.js';

let work: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'deploy-nn-upload-'));
});
afterEach(stopBoards);
afterAll(async () => {
  await stopBoards();
  await rm(work, { recursive: true, force: true });
  expect(ourSocats()).toEqual([]);
});

describe('upload through the bootloader with real avrdude', () => {
  it('uno (Optiboot): one shot trains, uploads, verifies; then verify and a second upload pass on the same board', async () => {
    const vb = await bootloaderBoard('uno');
    const out = path.join(work, 'uno');
    const run = await runCli(['--board', 'uno', '--port', vb.path, '--json', '--out-dir', out], { cwd: work, timeoutMs: 180_000 });
    expect(run.stderr).not.toMatch(/internal error/);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.upload).toMatchObject({ port: vb.path, baud: 115_200, triedFirst: [], protocol: 'arduino' });
    expect(report.virtual).toBe(false);
    expect(report.verify.bitIdentical).toBe(report.verify.rows);
    expect(vb.runner.spm.writes).toBeGreaterThan(0);
    expect(vb.runner.spm.refused).toBe(0);

    // The sketch stays in flash: verify on its own opens the port (a reset, Optiboot, then the sketch) and passes.
    const model = path.join(out, 'model.json');
    const csv = path.join(work, 'demo.csv');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(csv, 'a,b,c\n0,0,0\n0,1,1\n1,0,1\n1,1,1\n');
    const v = await runCli(['verify', '--model', model, '--port', vb.path, '--data', csv, '--board', 'uno', '--json'], { cwd: work, timeoutMs: 60_000 });
    expect(v.stderr).not.toMatch(/internal error/);
    expect(v.code, v.stderr).toBe(0);
    expect(JSON.parse(v.stdout).bitIdentical).toBe(4);

    // The upload subcommand on its own (the build is cached).
    const up = await runCli(['upload', '--board', 'uno', '--port', vb.path, '--model', model], { cwd: work, timeoutMs: 120_000 });
    expect(up.stderr).not.toMatch(/internal error/);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toContain('bootloader answered at 115200 baud');
    expect(up.stdout).toMatch(/uploaded .*firmware\.hex to .* \(Arduino Uno, arduino at 115200 baud, \d+ bytes written and verified/);
  }, 240_000);

  it('nano with the old bootloader: 115200 gets no answer, 57600 does, and it is remembered for the port', async () => {
    const vb = await bootloaderBoard('nano', 'atmegaboot');
    const out = path.join(work, 'nano');
    const run = await runCli(['--board', 'nano', '--port', vb.path, '--json', '--out-dir', out], { cwd: work, timeoutMs: 180_000 });
    expect(run.stderr).not.toMatch(/internal error/);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.upload).toMatchObject({ baud: 57_600, triedFirst: [115_200] });
    expect(report.verify.bitIdentical).toBe(report.verify.rows);
    expect(rememberedSpeed(vb.path, 'nano')).toBe(57_600);
    expect(vb.stats().garbledChunks).toBeGreaterThan(0); // the 115200 handshake reached the chip as garbage
  }, 240_000);

  it('mega2560 (stk500v2, avrdude -c wiring, 22-bit PC): one shot passes bit for bit', async () => {
    const vb = await bootloaderBoard('mega2560');
    const out = path.join(work, 'mega');
    const run = await runCli(['--board', 'mega2560', '--port', vb.path, '--json', '--out-dir', out], { cwd: work, timeoutMs: 240_000 });
    expect(run.stderr).not.toMatch(/internal error/);
    expect(run.code, `${run.stderr}\n${JSON.stringify(vb.stats())} pc 0x${(vb.runner.machine.cpu.pc * 2).toString(16)}`).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.verify.bitIdentical).toBe(report.verify.rows);
    expect(report.board).toBe('mega2560');
    const log = await readFile(report.logPath, 'utf8');
    expect(log.split('\n').filter(Boolean).length).toBeGreaterThan(0);
  }, 300_000);
});
