// Test helpers for the virtual board: build the fixture sketches with the real toolchain, open the pty with serialport.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SerialPort } from 'serialport';
import { buildSketch } from '../../host/build/build.js';
import { getBoard } from '../../host/core/boards.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(here, '..', '..');
// Built fixtures are kept in one cache folder, keyed by the sketch and the build code, so parallel test files and
// later runs share them; each build goes to a private folder first and is renamed into place (atomic).
const cacheRoot = path.join(os.tmpdir(), 'deploy-nn-sim-fixtures');
const built = new Map<string, Promise<BuiltFixture>>();

export interface BuiltFixture {
  readonly hexPath: string;
  readonly elfPath: string;
}

async function build(name: string): Promise<BuiltFixture> {
  const dir = path.join(here, 'fixtures', name);
  const hash = createHash('sha256');
  for (const f of [path.join(dir, `${name}.ino`), path.join(ROOT, 'host/build/build.ts'), path.join(ROOT, 'host/build/builtin.ts')]) {
    hash.update(readFileSync(f));
  }
  const final = path.join(cacheRoot, `${name}-${hash.digest('hex').slice(0, 16)}`);
  const result = { hexPath: path.join(final, 'firmware.hex'), elfPath: path.join(final, 'firmware.elf') };
  if (existsSync(result.hexPath) && existsSync(result.elfPath)) return result;
  mkdirSync(cacheRoot, { recursive: true });
  const tmp = path.join(cacheRoot, `.build-${name}-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  const r = await buildSketch({ dir, name }, getBoard('uno'), { toolchain: 'builtin', buildDir: tmp });
  if (path.dirname(r.hexPath) !== tmp || path.dirname(r.elfPath) !== tmp) throw new Error(`build wrote outside ${tmp}: ${r.hexPath}`);
  try {
    renameSync(tmp, final);
  } catch {
    rmSync(tmp, { recursive: true, force: true }); // another test process put the same build in place first
  }
  return result;
}

/** Build tests/sim/fixtures/<name>/<name>.ino for the Uno with buildSketch (avr-gcc + Arduino core), cached. */
export function buildFixture(name: string): Promise<BuiltFixture> {
  let p = built.get(name);
  if (!p) {
    p = build(name);
    built.set(name, p);
  }
  return p;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A host on the device: serialport opened on the path, every byte kept, lines split on \n. */
export class Host {
  readonly port: SerialPort;
  text = '';
  events: string[] = [];
  /** Extra state printed when a wait times out (e.g. the virtual board's stats). */
  diag: (() => unknown) | undefined;
  private constructor(port: SerialPort) {
    this.port = port;
    port.on('data', (d: Buffer) => (this.text += d.toString('latin1')));
    port.on('error', (e: Error) => this.events.push(`error: ${e.message}`));
    port.on('close', (err?: Error & { disconnected?: boolean }) => this.events.push(err ? `close: ${err.message}` : 'close'));
  }

  static async open(devicePath: string): Promise<Host> {
    const port = new SerialPort({ path: devicePath, baudRate: 115_200, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    return new Host(port);
  }

  get lines(): string[] {
    return this.text.split('\n').slice(0, -1);
  }

  async waitFor(pred: (h: Host) => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
    const t0 = Date.now();
    while (!pred(this)) {
      if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got ${JSON.stringify(this.text.slice(-300))}; events ${JSON.stringify(this.events)}; ${JSON.stringify(this.diag?.())}`);
      await sleep(2);
    }
  }

  write(s: string): void {
    this.port.write(s);
  }

  async close(): Promise<void> {
    if (!this.port.isOpen) return;
    await new Promise<void>((r) => this.port.close(() => r()));
  }
}

/** Wait until `pred` holds, checking every few ms; an error naming `what` after timeoutMs. */
export async function waitUntil(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(2);
  }
}

/** socat processes that are children of this process, or of `parent` (to check that tests leave none behind). */
export function ourSocats(parent = process.pid): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(parent), 'socat'], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

/** Running, not a zombie (a killed orphan stays a zombie until init reaps it). */
export function alive(pid: number): boolean {
  try {
    return !execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }).trim().startsWith('Z');
  } catch {
    return false; // ps exits 1: no such process
  }
}

/** Kill a child process and the socats it started (for afterEach, whatever state a failed test left it in). */
export function killWithSocats(child: { exitCode: number | null; pid?: number | undefined; kill(signal: NodeJS.Signals): boolean } | undefined): void {
  if (!child || child.exitCode !== null || !child.pid) return;
  const socats = ourSocats(child.pid);
  child.kill('SIGKILL');
  for (const pid of socats) if (alive(pid)) process.kill(pid, 'SIGKILL');
}
