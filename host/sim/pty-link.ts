// One socat process per host session: a pty (raw, no echo, waiting for its slave) piped to our stdio, plus the symlink we own.
import { spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import { accessSync, constants, lstatSync, renameSync, symlinkSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { SimError, ToolchainMissingError } from '../core/errors.js';

// socat processes alive in this process; killed if we exit without stop() (a crash, a test runner tearing down),
// since a socat waiting for its slave would otherwise wait forever.
const atExit = new Set<() => void>();
let exitHookInstalled = false;

/** Run fn (synchronous) if the process exits before the returned function is called to cancel it. */
export function onProcessExit(fn: () => void): () => void {
  atExit.add(fn);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const f of atExit) f();
    });
  }
  return () => atExit.delete(fn);
}

function track(child: ChildProcessByStdio<Writable, Readable, Readable>): void {
  const cancel = onProcessExit(() => child.kill('SIGKILL'));
  child.once('exit', cancel);
}

/** The executable `name` on PATH, or undefined. */
function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Throw ToolchainMissingError unless socat is on PATH. */
export function requireSocat(): string {
  const socat = onPath('socat');
  if (socat) return socat;
  throw new ToolchainMissingError('socat', 'apt-get install -y socat');
}

/**
 * The command that runs socat so that it dies with us: setpriv (util-linux) sets the parent-death signal, so a socat
 * waiting for its slave is killed even when this process is killed by a signal and no exit hook runs.
 */
function socatCommand(socat: string, args: string[]): [string, string[]] {
  const setpriv = onPath('setpriv');
  return setpriv ? [setpriv, ['--pdeathsig', 'KILL', socat, ...args]] : [socat, args];
}

export interface PtyEvents {
  /** A host opened the slave: socat started its transfer loop (or the first host byte arrived). Called once. */
  onConnect(): void;
  onData(bytes: Buffer): void;
  /** The session is over: socat reported the host's close (EOF on the master), or exited. Called once. */
  onExit(): void;
}

/**
 * One socat pty. `wait-slave` makes socat wait until a host opens the slave, then it logs "starting data transfer
 * loop": that is the host's open, the moment a real Uno resets on DTR. When the host closes the slave, reading the
 * master fails and socat exits, so each PtySession serves exactly one open.
 */
export class PtySession {
  readonly child: ChildProcessByStdio<Writable, Readable, Readable>;
  /** /dev/pts/N once socat has made it. */
  readonly ready: Promise<string>;
  /** /dev/pts/N once made (undefined: socat never made its pty). */
  pts: string | undefined;
  connected = false;
  exited = false;
  /** onExit has been called (the host hung up, or socat exited). */
  ended = false;
  private readonly events: PtyEvents;

  constructor(socat: string, events: PtyEvents) {
    this.events = events;
    // No link= here: the VirtualBoard owns the link and swaps it atomically between sessions.
    const [command, args] = socatCommand(socat, ['-d', '-d', '-t', '0', 'PTY,raw,echo=0,wait-slave,pty-interval=0.01', 'STDIO']);
    this.child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    track(this.child);
    let log = '';
    this.ready = new Promise<string>((resolve, reject) => {
      this.child.stderr.on('data', (chunk: Buffer) => {
        log += chunk.toString('utf8');
        const pts = /PTY is (\S+)/.exec(log);
        if (pts?.[1] && this.pts === undefined) {
          this.pts = pts[1];
          resolve(pts[1]);
        }
        if (log.includes('starting data transfer loop')) this.connect();
        // The host closed the slave: end the session now rather than when socat has torn down, so the link moves
        // to the next pty a few milliseconds sooner and a quick reopen boots afresh.
        if (this.connected && /is at EOF|Input\/output error/.test(log)) this.end();
        if (log.length > 4096) log = log.slice(-1024);
      });
      this.child.on('error', (err) => reject(new SimError(`cannot start socat: ${err.message}`, 'apt-get install -y socat')));
      this.child.on('exit', (code) => {
        reject(new SimError(`socat exited (code ${code}) before making a pty: ${log.trim().split('\n').pop() ?? ''}`));
      });
    });
    this.ready.catch(() => undefined);
    this.child.stdout.on('data', (chunk: Buffer) => {
      this.connect(); // stdout and stderr are separate pipes: the first byte may beat the log line
      this.events.onData(chunk);
    });
    this.child.stdin.on('error', () => undefined); // EPIPE after the host closed: the bytes had nowhere to go
    this.child.on('exit', () => {
      this.exited = true;
      this.end();
    });
  }

  private connect(): void {
    if (this.connected || this.ended) return;
    this.connected = true;
    this.events.onConnect();
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.events.onExit();
  }

  write(bytes: Uint8Array): void {
    if (!this.exited && this.child.stdin.writable) this.child.stdin.write(bytes);
  }

  /** Kill socat: the master closes and the host's open port sees a hang-up. Resolves when it has exited. */
  kill(): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill('SIGKILL');
    });
  }
}

/** Point `link` at `target` atomically (symlink beside it, then rename), refusing to replace anything but a symlink. */
export function pointLink(link: string, target: string): void {
  try {
    if (!lstatSync(link).isSymbolicLink()) {
      throw new SimError(`${link} exists and is not a symlink; refusing to replace it`, 'choose another --link path');
    }
  } catch (err) {
    if (err instanceof SimError) throw err;
  }
  const tmp = `${link}.${process.pid}.tmp`;
  try {
    try {
      unlinkSync(tmp);
    } catch {
      // none left over
    }
    symlinkSync(target, tmp);
    renameSync(tmp, link);
  } catch (err) {
    throw new SimError(`cannot make the device link ${link}: ${(err as Error).message}`, 'choose a --link path in a writable folder');
  }
}

/** Remove `link` if it is a symlink; nothing else is ever removed. */
export function removeLink(link: string): void {
  try {
    if (lstatSync(link).isSymbolicLink()) unlinkSync(link);
  } catch {
    // already gone
  }
}
