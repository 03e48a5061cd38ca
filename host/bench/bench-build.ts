// Build times: the user's own sketch (examples/iris-logger with the exported iris library, arduino-builder) on its first
// build and on rebuilds, beside the generated sketch of the same model (built-in fast path, and arduino-builder),
// all measured in the same run. Options: --board <id> (default uno), --runs <n> rebuilds to take the median of (3).
import { cpSync, mkdtempSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSketch } from '../build/build.js';
import type { ToolchainId } from '../build/toolchains.js';
import { generateSketch } from '../codegen/generate.js';
import { getBoard } from '../core/boards.js';
import { builtinDataset } from '../data/builtin.js';
import { exportLibrary } from '../export/export.js';
import { defaultTrainOptions, trainModel } from '../train/fit.js';
import { argValue } from './args.js';

const board = getBoard(argValue('--board') ?? 'uno');
const runs = Number(argValue('--runs') ?? '3');
const EXAMPLE = fileURLToPath(new URL('../../examples/iris-logger/', import.meta.url));

// A private cache: the first build compiles the Arduino core too, as on a fresh machine.
process.env.XDG_CACHE_HOME = mkdtempSync(path.join(tmpdir(), 'nn-bench-cache-'));
const work = mkdtempSync(path.join(tmpdir(), 'nn-bench-build-'));

const iris = builtinDataset('iris');
const model = trainModel(iris, { ...defaultTrainOptions(iris), hidden: [6], seed: 3 }).model;
const libraries = path.join(work, 'libraries');
await exportLibrary(model, board, { outDir: libraries });
const userDir = path.join(work, 'iris-logger');
cpSync(EXAMPLE, userDir, { recursive: true });
const user = { dir: userDir, name: 'iris-logger' };
const generated = await generateSketch(model, board, { outDir: path.join(work, 'iris_generated') });

async function seconds(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Row {
  readonly what: string;
  readonly toolchain: ToolchainId;
  readonly first: number;
  readonly rebuild: number;
  readonly touched: number;
}

async function measure(what: string, sketch: { dir: string; name: string }, toolchain: ToolchainId, buildDir: string): Promise<Row> {
  const build = () => buildSketch(sketch, board, { toolchain, buildDir, libraries: [libraries] });
  const first = await seconds(build);
  const rebuilds: number[] = [];
  const touches: number[] = [];
  for (let i = 0; i < runs; i++) {
    rebuilds.push(await seconds(build));
    const ino = path.join(sketch.dir, `${sketch.name}.ino`);
    const now = new Date(Date.now() + 1000 * (i + 1));
    utimesSync(ino, now, now);
    touches.push(await seconds(build));
  }
  return { what, toolchain, first, rebuild: median(rebuilds), touched: median(touches) };
}

// Order: the user sketch first, so its first build pays for compiling the core as a new user's would.
const rows = [
  await measure('your sketch (iris-logger + iris_nn library)', user, 'arduino-builder', path.join(work, 'build-user')),
  await measure('generated sketch (iris)', generated, 'builtin', path.join(work, 'build-gen-builtin')),
  await measure('generated sketch (iris)', generated, 'arduino-builder', path.join(work, 'build-gen-builder')),
];

const s = (x: number): string => `${x.toFixed(2)} s`.padStart(8);
console.log(`build times on ${board.id}: first build (empty cache at the start), rebuild unchanged, rebuild after the .ino changed (median of ${runs})`);
console.log(`${'sketch'.padEnd(46)}${'toolchain'.padEnd(17)}${'first'.padStart(8)}${'rebuild'.padStart(9)}${'.ino'.padStart(9)}`);
for (const r of rows) console.log(`${r.what.padEnd(46)}${r.toolchain.padEnd(17)}${s(r.first)} ${s(r.rebuild)} ${s(r.touched)}`);
const gen = rows[1]!;
const usr = rows[0]!;
console.log(`your sketch's rebuild after an edit: ${(usr.touched / gen.touched).toFixed(1)}x the generated sketch's built-in rebuild`);
