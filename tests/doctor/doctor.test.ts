// deploy-nn doctor: the verdict from probe results (unit), then the real command on this machine with every tool
// present and with each one missing in turn (a PATH of symlinks without it), its message and exit code.
import { mkdtemp, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STAGES, TOOLS, getTool } from '../../host/core/tools.js';
import type { ToolId } from '../../host/core/tools.js';
import { evaluate, formatDoctor, missingDebianPackages } from '../../host/doctor/report.js';
import type { DoctorReport } from '../../host/doctor/report.js';
import { findOnPath } from '../../host/doctor/probe.js';
import type { ProbeResult } from '../../host/doctor/probe.js';
import { ROOT, runCli } from '../e2e/cli.js';

const ALL = TOOLS.map((t) => t.id);

function results(missing: readonly ToolId[], tooOld: readonly ToolId[] = []): Map<ToolId, ProbeResult> {
  return new Map(
    ALL.map((id): [ToolId, ProbeResult] => [
      id,
      missing.includes(id) ? { state: 'missing' } : tooOld.includes(id) ? { state: 'too-old', version: '18.19.0' } : { state: 'ok', version: '1.0' },
    ]),
  );
}

describe('the verdict (pure)', () => {
  it('every tool present: ready, every stage ok', () => {
    const r = evaluate(results([]));
    expect(r.ready).toBe(true);
    expect(r.stages.every((s) => s.ok)).toBe(true);
    expect(r.fix).toEqual([]);
    expect(formatDoctor(r)).toMatch(/^ready: deploy-nn --board uno can run here$/m);
  });

  it('no PlatformIO, no arduino-builder, no avrdude, no Chromium: still ready (optional or an alternative)', () => {
    const r = evaluate(results(['platformio', 'arduino-builder', 'avrdude', 'chromium']));
    expect(r.ready).toBe(true);
    expect(r.stages.find((s) => s.id === 'upload')?.ok).toBe(false);
    expect(r.stages.find((s) => s.id === 'build')?.via).toEqual(['built-in avr-gcc']);
  });

  it('avr-libc missing alone: not ready, the fix installs avr-libc, PlatformIO offered instead', () => {
    const r = evaluate(results(['avr-libc', 'platformio']));
    expect(r.ready).toBe(false);
    expect(r.fix[0]).toBe('sudo apt-get install avr-libc');
    expect(r.fix.some((l) => /with PlatformIO: pipx install platformio/.test(l))).toBe(true);
    // arduino-builder's route lacks only avr-libc too: nothing to add beyond the first line.
    expect(r.fix.some((l) => /arduino-builder/.test(l))).toBe(false);
  });

  it('no AVR toolchain at all but PlatformIO: ready through PlatformIO', () => {
    const r = evaluate(results(['avr-gcc', 'avr-libc', 'avr-size', 'arduino-core', 'arduino-builder', 'avrdude']));
    expect(r.ready).toBe(true);
    expect(r.stages.find((s) => s.id === 'build')?.via).toEqual(['PlatformIO']);
    expect(r.stages.find((s) => s.id === 'upload')?.via).toEqual(['PlatformIO']);
  });

  it('Node too old: not ready, and the fix says how to get Node (no Debian line for it)', () => {
    const r = evaluate(results([], ['node']));
    expect(r.ready).toBe(false);
    expect(r.fix[0]).toMatch(/nodejs\.org/);
    expect(formatDoctor(r)).toMatch(/too old +Node\.js +18\.19\.0/);
  });

  it('--apt lists the Debian packages of every tool that is not ok, once each', () => {
    const everything = evaluate(results(ALL));
    expect(missingDebianPackages(everything).sort()).toEqual([...new Set(TOOLS.flatMap((t) => t.debian))].sort());
    expect(missingDebianPackages(evaluate(results(['socat', 'chromium'])))).toEqual(['socat', 'chromium']);
  });

  it('every route of every stage names tools of the table', () => {
    for (const s of STAGES) for (const r of s.routes) for (const id of r.needs) expect(getTool(id).id).toBe(id);
  });

  it('control characters from a tool path never reach the terminal raw', () => {
    const r = evaluate(new Map([...results([]), ['socat', { state: 'ok', version: '1.7', path: '/tmp/\u001b[31mred/socat' }]]));
    expect(formatDoctor(r)).toContain('/tmp/\\x1b[31mred/socat');
    expect(formatDoctor(r)).not.toContain('\u001b');
  });
});

/** How the real machine is checked: each tool's command, and whether the main job still runs without it. */
interface Case {
  readonly id: ToolId;
  /** Commands left out of PATH (the tool's own). */
  readonly hide: readonly string[];
  /** Other environment that hides it (the Arduino core is a folder, not a command). */
  readonly env?: (dir: string) => NodeJS.ProcessEnv;
  /** Needed by `deploy-nn --board uno` when there is no PlatformIO. */
  readonly mainJob: boolean;
  /** What the missing line says, besides the tool's name. */
  readonly says: RegExp;
}

const CASES: readonly Case[] = [
  { id: 'avr-gcc', hide: ['avr-gcc'], mainJob: true, says: /Debian\/Ubuntu: sudo apt-get install gcc-avr\n.*PlatformIO: +pipx install platformio/ },
  // avr-libc is found through avr-gcc: without avr-gcc it cannot be checked, so it counts as missing too.
  { id: 'avr-libc', hide: ['avr-gcc'], mainJob: true, says: /not checked: it is found through avr-gcc, which is missing\n.*sudo apt-get install avr-libc/ },
  { id: 'avr-size', hide: ['avr-size'], mainJob: true, says: /sudo apt-get install binutils-avr/ },
  {
    id: 'arduino-core',
    hide: [],
    env: (dir) => ({ DEPLOY_NN_ARDUINO_AVR: dir }),
    mainJob: true,
    says: /no cores\/arduino\/Arduino\.h in .*\n.*sudo apt-get install arduino-core-avr/,
  },
  { id: 'arduino-builder', hide: ['arduino-builder'], mainJob: false, says: /sudo apt-get install arduino-builder/ },
  { id: 'avrdude', hide: ['avrdude'], mainJob: false, says: /sudo apt-get install avrdude\n.*PlatformIO: +PlatformIO uploads with its own avrdude/ },
  { id: 'socat', hide: ['socat'], mainJob: true, says: /sudo apt-get install socat/ },
  { id: 'chromium', hide: ['chromium', 'chromium-browser'], mainJob: false, says: /sudo apt-get install chromium/ },
  { id: 'strace', hide: ['strace'], mainJob: false, says: /sudo apt-get install strace/ },
  { id: 'platformio', hide: ['pio', 'platformio'], mainJob: false, says: /install: pipx install platformio/ },
];

describe('deploy-nn doctor on this machine', () => {
  let work: string;
  const commands = TOOLS.flatMap((t) => (t.probe.kind === 'command' ? t.probe.commands : [])).concat('avr-gcc');
  const found = new Map(commands.map((c) => [c, findOnPath(c)] as const));
  const hasPio = found.get('pio') !== undefined || found.get('platformio') !== undefined;
  // The tests need the tools themselves (this machine after scripts/setup.sh); PlatformIO is optional.
  const absent = ['avr-gcc', 'avr-size', 'arduino-builder', 'avrdude', 'socat', 'strace'].filter((c) => found.get(c) === undefined);
  if (found.get('chromium') === undefined && found.get('chromium-browser') === undefined) absent.push('chromium');

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'deploy-nn-doctor-'));
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  /** A folder of symlinks to every tool's command except `hide`: the PATH of a machine without those. */
  async function pathWithout(name: string, hide: readonly string[]): Promise<string> {
    const dir = path.join(work, `path-${name}`);
    await mkdir(dir, { recursive: true });
    for (const [cmd, file] of found) {
      if (file !== undefined && !hide.includes(cmd)) await symlink(file, path.join(dir, cmd)).catch(() => {});
    }
    return dir;
  }

  it('this machine has every tool the tests need (run scripts/setup.sh)', () => {
    expect(absent).toEqual([]);
  });

  it('every tool present: each with its version and path, exit 0', async () => {
    const run = await runCli(['doctor', '--json'], { env: { PATH: await pathWithout('all', []) } });
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as DoctorReport;
    expect(report.ready).toBe(true);
    for (const t of report.tools) {
      if (t.id === 'platformio' && !hasPio) continue;
      expect({ id: t.id, state: t.state }).toEqual({ id: t.id, state: 'ok' });
      expect(t.version, t.id).toMatch(/^\d+(\.\d+)+/);
    }
    expect(report.tools.find((t) => t.id === 'node')?.version).toBe(process.versions.node);

    const text = await runCli(['doctor'], { env: { PATH: await pathWithout('all', []) } });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^ {2}ok {7}avr-gcc +\d+\.\d+\.\d+ +\/.*avr-gcc$/m);
    expect(text.stdout).toMatch(/^ready: deploy-nn --board uno can run here$/m);
  });

  for (const c of CASES) {
    it(`${c.id} missing: named with its install lines; exit ${c.mainJob ? '3 (the main job needs it)' : '0'}`, async () => {
      const env = { PATH: await pathWithout(c.id, c.hide), ...(c.env ? c.env(path.join(work, 'empty')) : {}) };
      const run = await runCli(['doctor'], { env });
      const tool = getTool(c.id);
      expect(run.stdout).toMatch(new RegExp(`^ {2}missing +${tool.name.replace(/[()]/g, '\\$&')}\\s*$`, 'm'));
      expect(run.stdout).toMatch(c.says);
      const blocks = c.mainJob && !hasPio;
      expect(run.code).toBe(blocks ? 3 : 0);
      if (blocks) {
        expect(run.stdout).toMatch(/^not ready: deploy-nn --board uno cannot run here \(/m);
        expect(run.stdout).toMatch(/^ {2}fix: sudo apt-get install /m);
      } else {
        expect(run.stdout).toMatch(/^ready: /m);
      }
      const apt = (await runCli(['doctor', '--apt'], { env })).stdout.split('\n').filter(Boolean);
      for (const pkg of tool.debian) expect(apt).toContain(pkg);
    });
  }

  it('a command that needs a missing tool points to deploy-nn doctor', async () => {
    const sketch = path.join(work, 'any_sketch');
    await mkdir(sketch, { recursive: true });
    await writeFile(path.join(sketch, 'any_sketch.ino'), 'void setup() {}\nvoid loop() {}\n');
    const run = await runCli(['build', '--board', 'uno', '--toolchain', 'builtin', '--sketch', sketch], { env: { PATH: await pathWithout('build', ['avr-gcc']) } });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^deploy-nn: avr-gcc not found on PATH\n {2}fix: sudo apt-get install gcc-avr .*\n {2}then: run `deploy-nn doctor` to see every tool this machine has and lacks$/m);
  });
});

describe('scripts/setup.sh', () => {
  it('installs what `deploy-nn doctor --apt` names and keeps no package list of its own', async () => {
    const script = await readFile(path.join(ROOT, 'scripts', 'setup.sh'), 'utf8');
    expect(script).toMatch(/\$\(node bin\/deploy-nn\.js doctor --apt\)/);
    expect(script).toMatch(/apt-get install [^\n]*"\$\{missing\[@\]\}"/);
    const code = script.split('\n').filter((l) => !l.trimStart().startsWith('#')).join('\n');
    for (const pkg of new Set(TOOLS.flatMap((t) => t.debian))) expect(code, pkg).not.toMatch(new RegExp(`(^|[\\s=\\[(])${pkg}([\\s\\])]|$)`, 'm'));
  });
});
