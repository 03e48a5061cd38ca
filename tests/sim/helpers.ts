// Test helpers for the virtual board: build the fixture sketches with the real toolchain, open the pty with serialport.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SerialPort } from 'serialport';
import { buildSketch } from '../../host/build/build.js';
import { getBoard } from '../../host/core/boards.js';
import type { BuildResult } from '../../host/core/artifacts.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const built = new Map<string, Promise<BuildResult>>();
// One folder per test process (test files run in parallel and would race on a shared one), removed at exit.
const fixturesDir = path.join(os.tmpdir(), `deploy-nn-sim-fixtures-${process.pid}`);
process.on('exit', () => rmSync(fixturesDir, { recursive: true, force: true }));

/** Build tests/sim/fixtures/<name>/<name>.ino for the Uno (avr-gcc + Arduino core) into a temp folder, once per run. */
export function buildFixture(name: string): Promise<BuildResult> {
  let p = built.get(name);
  if (!p) {
    const buildDir = path.join(fixturesDir, name);
    p = buildSketch({ dir: path.join(here, 'fixtures', name), name }, getBoard('uno'), { toolchain: 'builtin', buildDir });
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

/** socat processes that are children of this process (to check that tests leave none behind). */
export function ourSocats(): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(process.pid), 'socat'], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}
