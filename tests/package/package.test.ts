// The package as a user gets it: `npm pack` of a copy of this checkout (its prepack builds dist/), the file list, then
// `npm install -g` of the tarball into a temporary prefix and `deploy-nn --board uno --dataset iris` from an empty
// folder: every row bit-identical, and nothing written outside that folder and the user cache (HOME and TMPDIR point
// into the sandbox; strace, when present, records every file the run and its children open for writing).
import { execFile, spawn } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOnPath } from '../../host/doctor/probe.js';
import { ROOT } from '../e2e/cli.js';

interface PackResult {
  readonly filename: string;
  readonly size: number;
  readonly unpackedSize: number;
  readonly files: readonly { readonly path: string; readonly size: number }[];
}

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const STRACE = findOnPath('strace');

/** The environment for npm and the installed tool: without the npm_* variables `npm test` sets for its own package. */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const keep = new Set(['npm_config_registry', 'npm_config_cache', 'npm_config_userconfig']);
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_') || keep.has(k.toLowerCase())));
  return { ...env, ...extra };
}

function run(cmd: string, args: readonly string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Every file and folder under `dir` with its size and mtime (symlinks not followed). */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      const st = lstatSync(p);
      out.set(path.relative(dir, p), `${st.isDirectory() ? 'dir' : st.size}:${st.mtimeMs}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

/** The files of this checkout that a clone would have (tracked, plus new files not ignored), copied to `dest`. */
function copyCheckout(dest: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 }, (err, stdout) => {
      if (err) return reject(err);
      for (const rel of stdout.split('\0')) {
        const src = path.join(ROOT, rel);
        if (!rel || rel === 'node_modules' || !existsSync(src) || !lstatSync(src).isFile()) continue;
        mkdirSync(path.dirname(path.join(dest, rel)), { recursive: true });
        copyFileSync(src, path.join(dest, rel));
      }
      resolve();
    });
  });
}

/** Paths a traced process opened for writing, created, removed or renamed (strace -f output), made absolute from `cwd`. */
function writtenPaths(trace: string, cwd: string): string[] {
  const out = new Set<string>();
  for (const line of trace.split('\n')) {
    const m = /^\d+\s+(\w+)\((.*)$/.exec(line);
    if (!m) continue;
    const [, call, rest] = m as unknown as [string, string, string];
    const strings = [...rest.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((s) => s[1]!);
    if (strings.length === 0) continue;
    let paths: string[];
    if (call === 'open' || call === 'openat') {
      if (!/O_WRONLY|O_RDWR|O_CREAT|O_TRUNC/.test(rest)) continue;
      paths = [strings[0]!];
    } else if (call === 'symlink' || call === 'symlinkat' || call === 'link' || call === 'linkat') {
      paths = [strings[strings.length - 1]!];
    } else {
      paths = strings; // creat, mkdir, unlink, rmdir, rename (both ends), chmod, truncate...
    }
    for (const p of paths) out.add(path.resolve(cwd, p));
  }
  return [...out].sort();
}

describe('the npm package', () => {
  let tmp: string;
  let pack: PackResult;
  let tarball: string;
  let prefix: string;

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'deploy-nn-package-'));
    const t0 = Date.now();
    const src = path.join(tmp, 'src');
    await copyCheckout(src);
    // The copy builds with this checkout's dev dependencies (typescript); nothing is written into them.
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(src, 'node_modules'));
    mkdirSync(path.join(tmp, 'out'));
    // What `npm pack` runs first (prepack: a clean dist/), then the pack itself without npm's second build (prepare).
    const prepack = await run('npm', ['run', 'prepack'], { cwd: src });
    expect(prepack.code, prepack.stderr).toBe(0);
    const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', path.join(tmp, 'out')], { cwd: src });
    expect(packed.code, packed.stderr).toBe(0);
    pack = (JSON.parse(packed.stdout) as PackResult[])[0]!;
    tarball = path.join(tmp, 'out', pack.filename);
    const t1 = Date.now();
    prefix = path.join(tmp, 'prefix');
    const installed = await run('npm', ['install', '-g', '--prefix', prefix, tarball, '--no-audit', '--no-fund', '--omit=dev', '--loglevel=error'], { cwd: tmp });
    expect(installed.code, installed.stderr).toBe(0);
    console.log(`copy + npm pack ${((t1 - t0) / 1000).toFixed(1)} s, npm install -g ${((Date.now() - t1) / 1000).toFixed(1)} s`);
  }, 600_000);

  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('holds what runs and no test, benchmark, source map or TypeScript source', () => {
    const files = pack.files.map((f) => f.path).sort();
    console.log(`npm pack: ${pack.filename}, ${files.length} files, ${pack.size} B packed, ${pack.unpackedSize} B unpacked`);
    const forbidden = files.filter((f) => /^tests?\//.test(f) || /\.ts$/.test(f) || /\.map$/.test(f) || /(^|\/)bench(\/|-)/.test(f) || f.startsWith('scripts/') || f.startsWith('docs/'));
    expect(forbidden).toEqual([]);
    // Of host/, only the dashboard page (read at run time); the rest ships compiled in dist/.
    expect(files.filter((f) => f.startsWith('host/') && !f.startsWith('host/dashboard/public/'))).toEqual([]);
    // Test helpers and development scripts stay out.
    expect(files).not.toContain('dist/bridge/mock-board.js');
    expect(files).not.toContain('dist/train/kernels/build-kernels.js');
    for (const f of ['bin/deploy-nn.js', 'dist/cli/main.js', 'package.json', 'LICENSE', 'NOTICE', 'README.md', 'CHANGELOG.md', 'platformio.ini', 'datasets/README.md', 'datasets/iris.csv', 'datasets/digits.csv']) {
      expect(files).toContain(f);
    }
    // Every file the code reads from the package: the templates and runtime, the dashboard page, any bootloader image.
    const src = path.join(tmp, 'src');
    for (const dir of ['firmware-templates', 'host/dashboard/public', 'bootloaders']) {
      if (!existsSync(path.join(src, dir))) continue;
      for (const rel of snapshot(path.join(src, dir)).keys()) {
        if (lstatSync(path.join(src, dir, rel)).isFile()) expect(files).toContain(`${dir}/${rel}`);
      }
    }
  });

  it('every relative import of the shipped code resolves to a shipped file', () => {
    const files = new Set(pack.files.map((f) => f.path));
    const missing: string[] = [];
    for (const f of files) {
      if (!f.endsWith('.js')) continue;
      // Block comments hold JSDoc type imports (the page's `@typedef {import('../server.js')...}`), not code.
      const text = readFileSync(path.join(prefix, 'lib', 'node_modules', 'deploy-nn', f), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
      for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)) {
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(f), m[1]!));
        if (!files.has(target)) missing.push(`${f} -> ${m[1]}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('--version prints package.json\'s version, and no source states it again', async () => {
    const r = await run(path.join(prefix, 'bin', 'deploy-nn'), ['--version'], { cwd: tmp, env: cleanEnv({ PATH: `${path.join(prefix, 'bin')}${path.delimiter}${process.env.PATH}` }) });
    expect(r.stdout.trim()).toBe(VERSION);
    const sources = [...snapshot(path.join(ROOT, 'host')).keys()].map((f) => path.join('host', f)).concat(['bin/deploy-nn.js', 'scripts/setup.sh']);
    const stated = new RegExp(`(?<![\\d.])${VERSION.replace(/\./g, '\\.')}(?![\\d.])`);
    const stating = sources.filter((f) => /\.(ts|js|sh|hbs|h)$/.test(f) && stated.test(readFileSync(path.join(ROOT, f), 'utf8')));
    expect(stating).toEqual([]);
  });

  it('installed from the tarball, runs iris from an empty folder: every row bit-identical, nothing written elsewhere', async () => {
    const sandbox = path.join(tmp, 'sandbox');
    const home = path.join(sandbox, 'home');
    const tmpdir = path.join(sandbox, 'tmp');
    const work = path.join(sandbox, 'work');
    for (const d of [home, tmpdir, work]) mkdirSync(d, { recursive: true });
    const before = snapshot(prefix);
    const env = cleanEnv({ HOME: home, TMPDIR: tmpdir, PATH: `${path.join(prefix, 'bin')}${path.delimiter}${process.env.PATH}` });
    delete env.XDG_CACHE_HOME;
    const cmd = ['deploy-nn', '--board', 'uno', '--dataset', 'iris', '--json'];
    const trace = path.join(tmp, 'trace.txt');
    const r = STRACE
      ? await run(STRACE, ['-f', '-qq', '-o', trace, '-e', 'trace=open,openat,creat,mkdir,mkdirat,rename,renameat,renameat2,unlink,unlinkat,rmdir,symlink,symlinkat,link,linkat,truncate,chmod,fchmodat', ...cmd], { cwd: work, env })
      : await run(cmd[0]!, cmd.slice(1), { cwd: work, env });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { verify: { rows: number; answered: number; bitIdentical: number; mismatched: number; failed: number } };
    expect(report.verify).toMatchObject({ rows: 150, answered: 150, bitIdentical: 150, mismatched: 0, failed: 0 });
    // The version the artefacts name is the package's.
    const model = JSON.parse(readFileSync(path.join(work, 'out', 'iris', 'model.json'), 'utf8')) as { training: Record<string, unknown> };
    expect(model.training['deployNn']).toBe(VERSION);
    expect(readFileSync(path.join(work, 'generated', 'iris', 'iris.ino'), 'utf8').split('\n')[0]).toContain(`Generated by deploy-nn ${VERSION} for board uno`);

    // The install folder is untouched; the sandbox's temp folder is empty again; HOME holds only deploy-nn's cache.
    expect(snapshot(prefix)).toEqual(before);
    expect(readdirSync(tmpdir)).toEqual([]);
    const homeFiles = [...snapshot(home).keys()];
    expect(homeFiles.filter((f) => f !== '.cache' && !f.startsWith(path.join('.cache', 'deploy-nn')))).toEqual([]);
    expect(homeFiles.some((f) => f.startsWith(path.join('.cache', 'deploy-nn', 'core')))).toBe(true);
    expect(readdirSync(work).sort()).toEqual(['generated', 'out']);

    if (STRACE) {
      const allowed = [work, path.join(home, '.cache', 'deploy-nn'), tmpdir, '/dev'];
      // ~/.cache itself is created (mkdir -p) on the way to ~/.cache/deploy-nn.
      const outside = writtenPaths(readFileSync(trace, 'utf8'), work).filter(
        (p) => p !== path.join(home, '.cache') && !allowed.some((a) => p === a || p.startsWith(`${a}/`)),
      );
      expect(outside).toEqual([]);
    } else {
      console.log('strace not found: the write check relies on the snapshots of the prefix, HOME and TMPDIR only');
    }
  });

  it('runs through npx from the tarball', async () => {
    const r = await run('npx', ['--yes', '-p', tarball, 'deploy-nn', '--version'], { cwd: tmp });
    expect(r.stdout.trim(), r.stderr).toBe(VERSION);
  });
});
