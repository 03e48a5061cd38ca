// Probing the machine for each tool of the table (host/core/tools.ts): is it there, where, which version. The I/O edge.
import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { readPackageJson } from '../core/paths.js';
import { TOOLS } from '../core/tools.js';
import type { ToolId, ToolSpec } from '../core/tools.js';
import { arduinoAvrDir } from '../build/builtin.js';

/** What one probe found. `state` too-old: present but below the version deploy-nn needs. */
export interface ProbeResult {
  readonly state: 'ok' | 'missing' | 'too-old';
  readonly version?: string;
  /** Where it was found (an executable or a folder). */
  readonly path?: string;
  /** Why it counts as missing or too old, when there is more to say than "not found". */
  readonly note?: string;
}

/** How long a tool may take to print its version (ms) before it counts as broken. */
const VERSION_TIMEOUT_MS = 15_000;

/** The first executable file named `cmd` in the folders of PATH, as a shell would find it. */
export function findOnPath(cmd: string, envPath = process.env.PATH ?? ''): string | undefined {
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, cmd);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Run a program for its version text: stdout and stderr together, whatever its exit status (some print it on errors). */
function versionText(file: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: VERSION_TIMEOUT_MS, maxBuffer: 1024 * 1024 }, (_err, stdout, stderr) => {
      resolve(`${stdout ?? ''}\n${stderr ?? ''}`);
    });
  });
}

/** The lowest major version of `>=N...` (package.json engines.node), or undefined when it says something else. */
export function minimumMajor(range: string | undefined): number | undefined {
  const m = /^\s*>=\s*v?(\d+)/.exec(range ?? '');
  return m ? Number(m[1]) : undefined;
}

function probeNode(): ProbeResult {
  const version = process.versions.node;
  const min = minimumMajor(readPackageJson().engines?.node);
  const major = Number(version.split('.')[0]);
  if (min !== undefined && major < min) {
    return { state: 'too-old', version, path: process.execPath, note: `deploy-nn needs Node ${min} or newer` };
  }
  return { state: 'ok', version, path: process.execPath };
}

async function probeAvrLibc(): Promise<ProbeResult> {
  const gcc = findOnPath('avr-gcc');
  if (!gcc) return { state: 'missing', note: 'not checked: it is found through avr-gcc, which is missing' };
  const text = await versionText(gcc, ['-E', '-dM', '-include', 'avr/version.h', '-x', 'c', '/dev/null']);
  const m = /__AVR_LIBC_VERSION_STRING__ "([0-9][0-9A-Za-z.]*)"/.exec(text);
  if (!m) return { state: 'missing', note: 'avr-gcc cannot find avr/version.h' };
  return { state: 'ok', version: m[1]! };
}

function probeArduinoCore(): ProbeResult {
  const dir = arduinoAvrDir();
  if (!existsSync(path.join(dir, 'cores', 'arduino', 'Arduino.h'))) {
    return { state: 'missing', note: `no cores/arduino/Arduino.h in ${dir} (DEPLOY_NN_ARDUINO_AVR names another folder)` };
  }
  let version: string | undefined;
  try {
    version = /^version=([0-9][0-9A-Za-z.]*)\s*$/m.exec(readFileSync(path.join(dir, 'platform.txt'), 'utf8'))?.[1];
  } catch {
    // no platform.txt: present, version unknown
  }
  return { state: 'ok', path: dir, ...(version ? { version } : {}) };
}

async function probeCommand(spec: Extract<ToolSpec['probe'], { kind: 'command' }>): Promise<ProbeResult> {
  for (const cmd of spec.commands) {
    const file = findOnPath(cmd);
    if (!file) continue;
    const version = spec.version.exec(await versionText(file, spec.args))?.[1];
    return { state: 'ok', path: file, ...(version ? { version } : {}) };
  }
  return { state: 'missing', note: `${spec.commands.join(' or ')} not found on PATH` };
}

export function probeTool(tool: ToolSpec): Promise<ProbeResult> {
  switch (tool.probe.kind) {
    case 'node':
      return Promise.resolve(probeNode());
    case 'avr-libc':
      return probeAvrLibc();
    case 'arduino-core':
      return Promise.resolve(probeArduinoCore());
    case 'command':
      return probeCommand(tool.probe);
  }
}

/** Probe every tool of the table, all at once. */
export async function probeMachine(tools: readonly ToolSpec[] = TOOLS): Promise<ReadonlyMap<ToolId, ProbeResult>> {
  const results = await Promise.all(tools.map(async (t) => [t.id, await probeTool(t)] as const));
  return new Map(results);
}
