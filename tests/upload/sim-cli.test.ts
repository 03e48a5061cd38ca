// `deploy-nn sim --bootloader --flash-file F`: a virtual Uno with Optiboot that real avrdude uploads to; the sketch
// runs after the upload, and the flash survives a restart of the board through the file.
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseIntelHex } from '../../host/sim/intel-hex.js';
import { CLI, ROOT } from '../e2e/cli.js';
import { Host, buildFixture, killWithSocats } from '../sim/helpers.js';
import type { BuiltFixture } from '../sim/helpers.js';

let echo: BuiltFixture;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'deploy-nn-sim-bl-'));
let child: ChildProcessByStdio<null, Readable, Readable> | undefined;
const hosts: Host[] = [];

beforeAll(async () => {
  echo = await buildFixture('echo');
}, 120_000);
afterEach(async () => {
  for (const h of hosts.splice(0)) await h.close();
  killWithSocats(child);
  child = undefined;
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Start `deploy-nn sim ...` and resolve with the device path it prints (JSON). */
function startSim(args: string[]): Promise<{ path: string; bootloader: string | null }> {
  const c = spawn(process.execPath, [CLI, 'sim', ...args, '--json'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  child = c;
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes('\n')) resolve(JSON.parse(stdout.split('\n')[0]!));
    });
    c.on('exit', (code) => reject(new Error(`sim exited ${code}: ${stderr}`)));
  });
}

async function stopSim(): Promise<void> {
  const c = child!;
  const exited = new Promise<number | null>((r) => c.on('exit', (code) => r(code)));
  c.kill('SIGTERM');
  expect(await exited).toBe(0);
}

describe('deploy-nn sim --bootloader', () => {
  it('takes an upload from real avrdude, runs the sketch, and keeps it in --flash-file across restarts', async () => {
    const flashFile = path.join(tmp, 'uno.flash');
    const info = await startSim(['--board', 'uno', '--bootloader', '--flash-file', flashFile]);
    expect(info.bootloader).toBe('optiboot');
    const out = execFileSync('avrdude', ['-p', 'atmega328p', '-c', 'arduino', '-P', info.path, '-b', '115200', '-D', '-U', `flash:w:${echo.hexPath}:i`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(out).toBe(''); // avrdude reports on stderr; a non-zero exit would have thrown
    const h = await Host.open(info.path);
    hosts.push(h);
    await h.waitFor((x) => x.lines.includes('#BOOT echo'), 15_000, 'the uploaded sketch booting');
    await h.close();
    await stopSim();

    const saved = readFileSync(flashFile);
    const image = parseIntelHex(readFileSync(echo.hexPath, 'latin1'), 32 * 1024);
    const end = image.findLastIndex((b) => b !== 0xff) + 1;
    expect(Buffer.compare(saved.subarray(0, end), Buffer.from(image.subarray(0, end)))).toBe(0);

    // A new board from the same file runs the sketch without another upload.
    const again = await startSim(['--board', 'uno', '--bootloader', '--flash-file', flashFile]);
    const h2 = await Host.open(again.path);
    hosts.push(h2);
    await h2.waitFor((x) => x.lines.includes('#BOOT echo'), 15_000, 'the persisted sketch booting');
    await h2.close();
    await stopSim();
    expect(existsSync(again.path)).toBe(false);
  }, 120_000);
});
