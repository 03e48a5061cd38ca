// End to end with the real parts: train -> generate -> avr-gcc build -> virtual Uno (avr8js) over a real
// socat pty opened by serialport -> verify; the one-shot command; and the failures a user meets first.
import { mkdtemp, readFile, rm, symlink, mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli.js';

let work: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'deploy-nn-e2e-'));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** The eight 3-bit cases, labelled with their parity, written as a user's CSV. */
async function bitsCsv(): Promise<string> {
  const lines = ['a,b,c,parity'];
  for (let i = 0; i < 8; i++) {
    const bits = [(i >> 2) & 1, (i >> 1) & 1, i & 1];
    lines.push(`${bits.join(',')},${bits.reduce((x, y) => x ^ y, 0)}`);
  }
  const file = path.join(work, 'bits.csv');
  await writeFile(file, `${lines.join('\n')}\n`);
  return file;
}

describe('deploy-nn --board uno (one shot, built-in demo, virtual Uno)', () => {
  it('answers every demo row bit-identically and reports sizes', async () => {
    const out = path.join(work, 'oneshot');
    const run = await runCli(['--board', 'uno', '--json', '--out-dir', out], { cwd: work });
    expect(run.stderr).not.toMatch(/internal error/);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.verify.rows).toBe(8);
    expect(report.verify.answered).toBe(8);
    expect(report.verify.bitIdentical).toBe(8);
    expect(report.verify.maxUlp).toBe(0);
    expect(report.build.flashBytes).toBeGreaterThan(1000);
    expect(report.build.flashBytes).toBeLessThanOrEqual(32_256);
    expect(report.build.sramBytes).toBeGreaterThan(100);
    expect(report.build.sramBytes).toBeLessThanOrEqual(2048);
    // The row log holds every row, and the model the board reported is the one trained.
    const log = (await readFile(report.logPath, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(log.filter((e) => e.type === 'row')).toHaveLength(8);
    expect(report.verify.boardHash).toBe(report.train.hash);
  });
});

describe('stage by stage', () => {
  it('train -> generate -> build -> verify --port sim', async () => {
    const csv = await bitsCsv();
    const model = path.join(work, 'bits.model.json');
    const train = await runCli(['train', '--data', csv, '--hidden', '4', '--activation', 'sigmoid', '--loss', 'mse', '--epochs', '3000', '--seed', '3', '--out', model, '--json']);
    expect(train.code, train.stderr).toBe(0);
    const sketchDir = path.join(work, 'bits_sketch');
    const gen = await runCli(['generate', '--model', model, '--board', 'uno', '--out', sketchDir, '--json']);
    expect(gen.code, gen.stderr).toBe(0);
    const build = await runCli(['build', '--board', 'uno', '--sketch', sketchDir, '--json']);
    expect(build.code, build.stderr).toBe(0);
    const built = JSON.parse(build.stdout);
    const verify = await runCli(['verify', '--model', model, '--port', 'sim', '--hex', built.hexPath, '--data', csv, '--json']);
    expect(verify.code, verify.stderr).toBe(0);
    const report = JSON.parse(verify.stdout);
    expect(report.rows).toBe(8);
    expect(report.bitIdentical).toBe(8);
    // The same rows piped in on stdin (`--data -`), as from another program.
    const piped = await runCli(['verify', '--model', model, '--port', 'sim', '--hex', built.hexPath, '--data', '-', '--json'], { stdin: await readFile(csv, 'utf8') });
    expect(piped.code, piped.stderr).toBe(0);
    expect(JSON.parse(piped.stdout)).toMatchObject({ rows: 8, bitIdentical: 8 });
  });
});

// These reuse the model and sketch the stage-by-stage test wrote (tests in a file run in order).
describe('first failures: one clear line and a non-zero exit', () => {
  /** A PATH with node alone on it: no avr-gcc, no socat, no pio. */
  async function barePath(): Promise<string> {
    const dir = path.join(work, 'bare-bin');
    await mkdir(dir, { recursive: true });
    await symlink(process.execPath, path.join(dir, 'node')).catch(() => {});
    return dir;
  }

  it('a CSV that does not parse names the row and column', async () => {
    const bad = path.join(work, 'bad.csv');
    await writeFile(bad, 'a,b,y\n1,2,0\n3,oops,1\n');
    const run = await runCli(['train', '--data', bad, '--out', path.join(work, 'never.json')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^deploy-nn: .*row 3.*"b".*"oops"/m);
  });

  it('a port that does not exist', async () => {
    const run = await runCli(['verify', '--model', path.join(work, 'bits.model.json'), '--port', '/dev/ttyNOPE0', '--data', path.join(work, 'bits.csv')]);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^deploy-nn: serial port \/dev\/ttyNOPE0 does not exist\n {2}fix: /m);
  });

  it('a missing AVR toolchain names avr-gcc and the apt-get line', async () => {
    const run = await runCli(['build', '--board', 'uno', '--sketch', path.join(work, 'bits_sketch')], { env: { PATH: await barePath() } });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^deploy-nn: avr-gcc not found on PATH\n {2}fix: .*apt-get install/m);
  });

  it('a missing socat names socat and the apt-get line', async () => {
    const hex = path.join(work, 'bits_sketch', 'build-uno', 'firmware.hex');
    const run = await runCli(['sim', '--board', 'uno', '--hex', hex], { env: { PATH: await barePath() } });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^deploy-nn: socat not found on PATH\n {2}fix: .*apt-get install -y socat/);
  });
});

describe('deploy-nn --board uno --dashboard', () => {
  it('serves the page on 127.0.0.1 while the rows stream, keeps serving after, and stops on Ctrl-C', async () => {
    const { spawn } = await import('node:child_process');
    const { CLI } = await import('./cli.js');
    const child = spawn(process.execPath, [CLI, '--board', 'uno', '--dashboard', '--out-dir', path.join(work, 'dash')], { cwd: work });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const serving = new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        const m = /\[dashboard\] still serving (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stderr);
        if (m) resolve(m[1] as string);
      });
      child.on('close', () => reject(new Error(`exited before serving:\n${stderr}`)));
    });
    const url = await serving;
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<html/i);
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.kill('SIGINT');
    expect(await closed).toBe(0);
    expect(stdout).toMatch(/PASS: every output bit-identical/);
    await expect(fetch(url)).rejects.toThrow();
  });
});

describe('the one-shot command refuses before working', () => {
  it('a board the virtual board cannot run, with no port, is refused before training', async () => {
    const run = await runCli(['--board', 'leonardo', '--out-dir', path.join(work, 'leonardo')], { cwd: work });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^deploy-nn: the virtual board cannot run leonardo \(atmega32u4\)\n {2}fix: give --port PATH/m);
    expect(run.stderr).not.toMatch(/\[train\]/);
  });
});
