// `deploy-nn sim` as a user runs it (the built CLI in dist/): path on stdout, boots on open, SIGUSR1 resets, SIGTERM cleans up.
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ROOT, runCli } from '../e2e/cli.js';
import { Host, alive, buildFixture, killWithSocats, ourSocats, waitUntil } from './helpers.js';
import type { BuiltFixture } from './helpers.js';

let echo: BuiltFixture;
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

describe('deploy-nn sim', () => {
  it('prints the device as JSON, boots on open, resets on SIGUSR1, cleans up on SIGTERM', async () => {
    const link = `/tmp/deploy-nn-sim-cli-${process.pid}`;
    const c = spawn(process.execPath, [CLI, 'sim', '--board', 'uno', '--hex', echo.hexPath, '--link', link, '--json'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = c;
    let stdout = '';
    let stderr = '';
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // The device line, or the process ending without one.
    await new Promise<void>((resolve, reject) => {
      c.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (stdout.includes('\n')) resolve();
      });
      c.on('exit', () => reject(new Error(`no device line; stderr: ${stderr}`)));
    });
    const info = JSON.parse(stdout.split('\n')[0]!) as { path: string; board: string; hex: string };
    expect(info).toEqual({ path: link, board: 'uno', hex: echo.hexPath, bootloader: null });

    const h = await Host.open(info.path);
    hosts.push(h);
    await h.waitFor((x) => x.lines.includes('#BOOT echo'), 10_000, 'the boot line');
    h.write('hi\n');
    await h.waitFor((x) => x.text.endsWith('1:hi\n'));
    c.kill('SIGUSR1');
    await h.waitFor((x) => x.lines.filter((l) => l === '#BOOT echo').length === 2, 10_000, 'a boot after SIGUSR1');

    const socats = ourSocats(c.pid!);
    expect(socats.length).toBeGreaterThan(0);
    const exited = new Promise<number | null>((r) => c.on('exit', (code) => r(code)));
    c.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(link)).toBe(false);
    // stop() waits for every socat it started, so none is running once the process has exited.
    expect(socats.filter(alive)).toEqual([]);
  }, 60_000);

  it('refuses a board it cannot simulate (exit 3, names the boards it can)', async () => {
    const r = await runCli(['sim', '--board', 'leonardo', '--hex', echo.hexPath], { timeoutMs: 30_000 });
    expect(r.stderr).toContain('board "leonardo" cannot be simulated'); // first, so a failure shows stderr
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('uno, nano, mega2560');
  }, 60_000);

  it('names a missing hex file (exit 3)', async () => {
    const r = await runCli(['sim', '--hex', '/nonexistent/firmware.hex'], { timeoutMs: 30_000 });
    expect(r.stderr).toContain('hex file /nonexistent/firmware.hex does not exist');
    expect(r.code).toBe(3);
  }, 60_000);

  it('a process that exits without stop() leaves no socat and no device link behind', async () => {
    const script = `
      const { startVirtualBoard } = await import(${JSON.stringify(`${ROOT}/dist/sim/virtual-board.js`)});
      const { getBoard } = await import(${JSON.stringify(`${ROOT}/dist/core/boards.js`)});
      const { execFileSync } = await import('node:child_process');
      const vb = await startVirtualBoard({ hexPath: ${JSON.stringify(echo.hexPath)}, board: getBoard('uno') });
      const socats = execFileSync('pgrep', ['-P', String(process.pid), 'socat'], { encoding: 'utf8' }).split('\\n').filter(Boolean);
      console.log(JSON.stringify({ path: vb.path, socats }));
      process.exit(0);`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    const { path: devicePath, socats } = JSON.parse(out) as { path: string; socats: string[] };
    expect(socats.length).toBeGreaterThan(0);
    // The exit handler SIGKILLs them as the process exits: wait for them to be gone (or fail after 10 s).
    await waitUntil(() => socats.map(Number).filter(alive).length === 0, 10_000, 'the socats to end').catch(() => undefined);
    const left = socats.map(Number).filter(alive);
    for (const pid of left) process.kill(pid, 'SIGKILL'); // clean up before failing
    expect(left).toEqual([]);
    expect(existsSync(devicePath)).toBe(false);
  }, 60_000);

  it('mentions SIGUSR1 in --help', async () => {
    const r = await runCli(['sim', '--help'], { timeoutMs: 30_000 });
    expect(r.stdout).toContain('SIGUSR1');
  }, 60_000);
});
