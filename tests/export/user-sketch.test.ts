// The user-sketch path end to end: train iris, export it as a library, build the user's own sketch (it includes the
// library, uses Wire and EEPROM, defines its functions after loop(), has a dash in its name) for uno, nano and
// mega2560 with arduino-builder, run the Uno build on the virtual Uno and feed it rows over serial: every label the
// board prints is the host model's prediction (host/model/forward.ts).
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { registerBuild } from '../../host/cli/commands/build.js';
import { registerExport } from '../../host/cli/commands/export.js';
import { registerTrain } from '../../host/cli/commands/train.js';
import type { BuildResult } from '../../host/core/artifacts.js';
import { getBoard } from '../../host/core/boards.js';
import { builtinDataset } from '../../host/data/builtin.js';
import { forward, predictLabel } from '../../host/model/forward.js';
import { readModelFile } from '../../host/model/read-model.js';
import { createAvrRunner } from '../../host/sim/avr-runner.js';
import { runCommands } from '../cli-in-process.js';
import { hasArduinoBuilder } from '../build/user-sketches.js';
import { usePrivateCache } from '../fixtures/private-cache.js';

const SKETCH = fileURLToPath(new URL('../../examples/iris-logger/', import.meta.url));
const work = mkdtempSync(path.join(tmpdir(), 'nn-user-sketch-'));
const cli = (...args: string[]) => runCommands([registerTrain, registerExport, registerBuild], args);

usePrivateCache();
afterEach(() => {
  process.exitCode = 0;
});

describe.skipIf(!hasArduinoBuilder)('your own sketch with the exported model', () => {
  const modelPath = path.join(work, 'iris.json');
  const libraries = path.join(work, 'libraries');
  const sketchDir = path.join(work, 'iris-logger');
  const builds = new Map<string, BuildResult>();

  beforeAll(async () => {
    expect((await cli('train', '--dataset', 'iris', '--hidden', '6', '--seed', '3', '--out', modelPath)).code).toBe(0);
    expect((await cli('export', '--model', modelPath, '--board', 'uno', '--out', libraries)).code).toBe(0);
    cpSync(SKETCH, sketchDir, { recursive: true });
  }, 60_000);

  it('builds for uno, nano and mega2560 with arduino-builder (prototypes, Wire, EEPROM, the library from --libraries)', async () => {
    for (const board of ['uno', 'nano', 'mega2560']) {
      const r = await cli('build', '--sketch', sketchDir, '--board', board, '--libraries', libraries, '--json');
      expect(r.code, r.stderr).toBe(0);
      const b = JSON.parse(r.stdout) as BuildResult;
      expect(b.toolchain).toBe('arduino-builder');
      expect(b.boardId).toBe(board);
      expect(b.flashBytes).toBeLessThan(getBoard(board).flashBytes);
      builds.set(board, b);
    }
  }, 120_000);

  it('on the virtual Uno, prints for every row fed over serial the label the host model predicts', async () => {
    const uno = builds.get('uno');
    expect(uno, 'the uno build of the previous test').toBeDefined();
    const model = await readModelFile(modelPath);
    const runner = createAvrRunner(readFileSync(uno!.hexPath, 'latin1'), getBoard('uno'), { source: uno!.hexPath });
    let out = '';
    runner.onTx((bytes) => {
      out += Buffer.from(bytes).toString('latin1');
    });
    expect(runner.runUntil(() => out.includes('\n'), 50e6)).toBe(true);
    expect(out).toBe('iris-logger ready, display at 0x3C\r\n');
    const iris = builtinDataset('iris');
    const rows = iris.inputs.filter((_, i) => i % 5 === 0);
    const expected: string[] = [];
    const printed: string[] = [];
    for (const row of rows) {
      const start = out.length;
      runner.writeRx(`${row.join(',')}\n`);
      expect(runner.runUntil(() => out.slice(start).includes('\n'), 50e6)).toBe(true);
      printed.push(out.slice(start).trim());
      expected.push(predictLabel(model, forward(model, row)));
    }
    expect(printed).toEqual(expected);
    // The rows cover all three classes, so the comparison is not one label repeated.
    expect(new Set(expected).size).toBe(3);
  }, 120_000);

  it('without the libraries folder the library is missing: exit 2, named, with the fix', async () => {
    const missing = await cli('build', '--sketch', sketchDir, '--board', 'uno', '--libraries', work);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('iris_nn.h: No such file or directory');
    expect(missing.stderr).toContain('fix: iris_nn.h comes from a library that is not installed');
  }, 60_000);
});
