// The generate, build and upload commands through commander: typed options, text and --json output, exit codes.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCommands } from '../cli-in-process.js';
import type { InProcessRun } from '../cli-in-process.js';
import { registerBuild } from '../../host/cli/commands/build.js';
import { registerGenerate } from '../../host/cli/commands/generate.js';
import { registerUpload } from '../../host/cli/commands/upload.js';
import { serializeModel } from '../../host/model/model-file.js';
import { goldenModel, randomModel } from '../fixtures/models/models.js';
import { hasAvrGcc } from './sketches.js';

const dir = mkdtempSync(path.join(tmpdir(), 'deploy-nn-build-cli-'));
const modelPath = path.join(dir, 'golden.json');
writeFileSync(modelPath, serializeModel(goldenModel()));
const bigPath = path.join(dir, 'big.json');
writeFileSync(bigPath, serializeModel(randomModel({ name: 'big', sizes: [64, 128, 10], activations: ['relu', 'softmax'], seed: 5 })));

function run(...args: string[]): Promise<InProcessRun> {
  return runCommands([registerGenerate, registerBuild, registerUpload], args);
}

afterEach(() => {
  process.exitCode = 0;
});

describe('deploy-nn generate', () => {
  it('writes the sketch folder and prints the files and the estimate as JSON', async () => {
    const out = path.join(dir, 'golden_demo');
    const r = await run('generate', '--model', modelPath, '--board', 'uno', '--out', out, '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { sketch: { inoPath: string; modelHash: string }; estimate: { flashLimit: number } };
    expect(doc.sketch.inoPath).toBe(path.join(out, 'golden_demo.ino'));
    expect(doc.sketch.modelHash).toBe(goldenModel().hash);
    expect(doc.estimate.flashLimit).toBe(32_256);
  });

  it('refuses a model too large for the board with exit code 2 and the figures', async () => {
    const r = await run('generate', '--model', bigPath, '--board', 'uno', '--out', path.join(dir, 'big'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^deploy-nn: model "big" needs about [\d,]+ bytes of flash on the Arduino Uno \(uno\), which has 32,256/);
    expect(r.stderr).toMatch(/fix: shrink layer 1/);
  });

  it('names the boards there are for an unknown board, and says how to get a model when the file is missing', async () => {
    expect((await run('generate', '--model', modelPath, '--board', 'due')).stderr).toMatch(/unknown board "due"\n  fix: choose one of: uno, nano, mega2560, leonardo/);
    const missing = await run('generate', '--model', path.join(dir, 'nope.json'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read the model .*nope\.json/);
  });
});

describe('deploy-nn build and upload', () => {
  it('refuses an unknown toolchain and --sketch with --model', async () => {
    expect((await run('build', '--toolchain', 'gcc', '--model', modelPath)).stderr).toMatch(/unknown toolchain "gcc"\n  fix: choose one of: auto, builtin, arduino-builder, platformio/);
    expect((await run('build', '--sketch', dir, '--model', modelPath)).code).toBe(2);
  });

  it('upload refuses a port that does not exist before building', async () => {
    const r = await run('upload', '--port', path.join(dir, 'ttyNOPE'), '--model', modelPath);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/serial port .*ttyNOPE does not exist/);
  });

  it.skipIf(!hasAvrGcc)('builds a sketch folder and prints flash and SRAM against the board limits', async () => {
    const sketch = path.join(dir, 'golden_demo');
    await run('generate', '--model', modelPath, '--out', sketch);
    const text = await run('build', '--board', 'uno', '--sketch', sketch, '--toolchain', 'builtin');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/flash [\d,]+ \/ 32,256 B \(\d+\.\d%\)/);
    expect(text.stdout).toMatch(/SRAM  [\d,]+ \/ 2,048 B/);
    const json = JSON.parse((await run('build', '--sketch', sketch, '--toolchain', 'builtin', '--json')).stdout) as { modelHash: string; sramBytes: number };
    expect(json.modelHash).toBe(goldenModel().hash);
    expect(json.sramBytes).toBeGreaterThan(0);
  });
});
