// A stand-in `pio` for the PlatformIO adapter tests (the real PlatformIO is not installed on the test machines):
// it records every call with its working directory, checks the project layout it is given like `pio run` would
// (platformio.ini, the env, src_dir holding a sketch), and "builds" by copying a real AVR firmware into .pio/build/<env>/.
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const SCRIPT = String.raw`#!/usr/bin/env node
const fs = require('node:fs');
const path = require('node:path');
const argv = process.argv.slice(2);
const log = process.env.PIO_STANDIN_LOG;
const fail = (msg) => { process.stderr.write('pio stand-in: ' + msg + '\n'); process.exit(1); };
if (argv[0] === '--version') { process.stdout.write('PlatformIO Core, version 6.1.18 (stand-in)\n'); process.exit(0); }
if (argv[0] !== 'run') fail('unexpected command ' + argv.join(' '));
const opt = (name) => { const i = argv.indexOf(name); return i < 0 ? undefined : argv[i + 1]; };
const project = path.resolve(opt('-d') ?? process.cwd());
const env = opt('-e');
const targets = argv.flatMap((a, i) => (argv[i - 1] === '-t' ? [a] : []));
const iniPath = path.join(project, 'platformio.ini');
if (!fs.existsSync(iniPath)) fail('no platformio.ini in ' + project);
const ini = fs.readFileSync(iniPath, 'utf8');
if (!env || !ini.includes('[env:' + env + ']')) fail('no [env:' + env + '] in ' + iniPath);
const srcLine = /^src_dir\s*=\s*(.+)$/m.exec(ini);
const srcDir = path.resolve(project, srcLine ? srcLine[1].trim() : 'src');
const inos = fs.existsSync(srcDir) ? fs.readdirSync(srcDir).filter((f) => f.endsWith('.ino')) : [];
if (inos.length === 0) fail('no .ino in src_dir ' + srcDir);
const libDirs = [];
const m = /^lib_extra_dirs\s*=\s*\n((?:[ \t]+.+\n?)*)/m.exec(ini);
if (m) for (const l of m[1].split('\n')) if (l.trim()) libDirs.push(l.trim());
fs.appendFileSync(log, JSON.stringify({ argv, cwd: process.cwd(), project, env, targets, srcDir, inos, libDirs }) + '\n');
for (const ino of inos) {
  const lines = fs.readFileSync(path.join(srcDir, ino), 'utf8').split('\n');
  const bad = lines.findIndex((l) => l.includes('STANDIN_COMPILE_ERROR'));
  if (bad >= 0) {
    process.stdout.write('Compiling .pio/build/' + env + '/src/' + ino + '.cpp.o\n');
    process.stderr.write(path.join(srcDir, ino) + ':' + (bad + 1) + ':3: error: \'STANDIN_COMPILE_ERROR\' was not declared in this scope\n');
    process.stdout.write('*** [.pio/build/' + env + '/src/' + ino + '.cpp.o] Error 1\n');
    process.exit(1);
  }
}
if (!targets.includes('nobuild')) {
  const out = path.join(project, '.pio', 'build', env);
  fs.mkdirSync(out, { recursive: true });
  fs.copyFileSync(process.env.PIO_STANDIN_ELF, path.join(out, 'firmware.elf'));
  fs.copyFileSync(process.env.PIO_STANDIN_HEX, path.join(out, 'firmware.hex'));
}
`;

export interface PioCall {
  readonly argv: string[];
  readonly cwd: string;
  readonly project: string;
  readonly env: string;
  readonly targets: string[];
  readonly srcDir: string;
  readonly inos: string[];
  readonly libDirs: string[];
}

/** Puts the stand-in first on PATH (returns a restore function) and reads back its calls. */
export function installPioStandIn(firmware: { elfPath: string; hexPath: string }): { calls: () => PioCall[]; restore: () => void } {
  const bin = mkdtempSync(path.join(tmpdir(), 'nn-pio-bin-'));
  const logPath = path.join(bin, 'calls.jsonl');
  writeFileSync(logPath, '');
  writeFileSync(path.join(bin, 'pio'), SCRIPT);
  chmodSync(path.join(bin, 'pio'), 0o755);
  const saved = { PATH: process.env.PATH, log: process.env.PIO_STANDIN_LOG, elf: process.env.PIO_STANDIN_ELF, hex: process.env.PIO_STANDIN_HEX };
  process.env.PATH = `${bin}${path.delimiter}${process.env.PATH ?? ''}`;
  process.env.PIO_STANDIN_LOG = logPath;
  process.env.PIO_STANDIN_ELF = firmware.elfPath;
  process.env.PIO_STANDIN_HEX = firmware.hexPath;
  const put = (k: string, v: string | undefined): void => {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  };
  return {
    calls: () =>
      readFileSync(logPath, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as PioCall),
    restore: () => {
      put('PATH', saved.PATH);
      put('PIO_STANDIN_LOG', saved.log);
      put('PIO_STANDIN_ELF', saved.elf);
      put('PIO_STANDIN_HEX', saved.hex);
    },
  };
}
