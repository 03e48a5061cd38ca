// The digits model for the end-to-end dashboard tests: trained, generated and built with the real avr-gcc, plus its test rows as CSV.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { getBoard } from '../../host/core/boards.js';
import { builtinDataset } from '../../host/data/builtin.js';
import { splitDataset } from '../../host/data/split.js';
import { defaultTrainOptions, trainModel } from '../../host/train/fit.js';
import { Rng } from '../../host/train/rng.js';
import { serializeModel } from '../../host/model/model-file.js';
import { generateSketch } from '../../host/codegen/generate.js';
import { buildSketch } from '../../host/build/build.js';

export interface DigitsFixture {
  readonly dir: string;
  readonly modelPath: string;
  readonly hexPath: string;
  /** The held-out test rows of the split the trainer used, as a CSV with the model's input columns and the label. */
  readonly rowsPath: string;
  readonly rows: number;
}

/**
 * Train digits (64-32-10; fewer epochs than the preset: the test is about the dashboard, any weights will do),
 * generate and build for the Uno into `dir`.
 */
export async function buildDigitsFixture(dir: string): Promise<DigitsFixture> {
  mkdirSync(dir, { recursive: true });
  const uno = getBoard('uno');
  const ds = builtinDataset('digits');
  const options = { ...defaultTrainOptions(ds), epochs: 30 };
  const { model } = trainModel(ds, options);
  const modelPath = path.join(dir, 'model.json');
  writeFileSync(modelPath, serializeModel(model));
  // The trainer's first use of its Rng is this split, so the same seed gives the same test rows.
  const split = splitDataset(ds, { testFraction: options.testFraction, validationFraction: options.validationFraction }, new Rng(options.seed));
  const lines = [[...ds.inputNames, ds.targetName].join(',')];
  for (const i of split.test) lines.push([...(ds.inputs[i] as number[]), ds.classes[ds.targets[i] as number]].join(','));
  const rowsPath = path.join(dir, 'digits-test.csv');
  writeFileSync(rowsPath, `${lines.join('\n')}\n`);
  const sketch = await generateSketch(model, uno, { outDir: path.join(dir, 'digits_sketch') });
  const build = await buildSketch(sketch, uno, { toolchain: 'builtin' });
  return { dir, modelPath, hexPath: build.hexPath, rowsPath, rows: split.test.length };
}

function newestMtime(dir: string, ext: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p, ext));
    else if (entry.name.endsWith(ext)) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** The CLI runs from dist/: compile when any source is newer than the compiled monitor command. */
export function ensureCompiledCli(): string {
  const main = path.resolve('dist/cli/main.js');
  const monitor = path.resolve('dist/cli/commands/monitor.js');
  if (!existsSync(main) || !existsSync(monitor) || statSync(monitor).mtimeMs < newestMtime(path.resolve('host'), '.ts')) {
    try {
      execFileSync('npx', ['tsc', '-p', '.'], { stdio: 'pipe' });
    } catch {
      // tsc still emits when another module has a type error; the CLI check below is what matters
    }
  }
  if (!existsSync(monitor)) throw new Error('dist/cli/commands/monitor.js was not built');
  return main;
}
