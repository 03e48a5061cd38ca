// One sketch-name rule (the Arduino IDE's) for generate and build; C identifiers are made from a name separately.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { registerBuild } from '../../host/cli/commands/build.js';
import { registerGenerate } from '../../host/cli/commands/generate.js';
import { cIdentifier, checkSketchName, isValidSketchName, suggestSketchName } from '../../host/core/sketch-name.js';
import { UsageError } from '../../host/core/errors.js';
import { serializeModel } from '../../host/model/model-file.js';
import { goldenModel } from '../fixtures/models/models.js';
import { runCommands } from '../cli-in-process.js';

afterEach(() => {
  process.exitCode = 0;
});

describe('the Arduino sketch-name rule', () => {
  it('accepts letters, digits, _, - and . not leading with - or ., up to 63 characters', () => {
    for (const ok of ['my-sketch', 'my.sketch', '_x', '2024-logger', 'A', 'a'.repeat(63), 'Blink_v1.2-final']) {
      expect(isValidSketchName(ok), ok).toBe(true);
    }
    for (const bad of ['', '-x', '.x', 'my sketch', 'a/b', 'é', 'a'.repeat(64), 'x\u001b[31m', 'a+b']) {
      expect(isValidSketchName(bad), bad).toBe(false);
    }
  });

  it('refuses with the bad name (escaped), the rule and a valid name to use', () => {
    let err: unknown;
    try {
      checkSketchName('my sketch\u001b');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).message).toContain('"my sketch\\\\x1b"');
    expect((err as UsageError).message).toContain('letters, digits, _, - and . only, not starting with - or ., at most 63 characters');
    expect((err as UsageError).hint).toContain('"my_sketch_"');
    expect(isValidSketchName(suggestSketchName('-.-bad name!'))).toBe(true);
  });

  it('makes C identifiers separately: my-sketch stays a sketch name, my_sketch goes into C', () => {
    expect(cIdentifier('my-sketch')).toBe('my_sketch');
    expect(cIdentifier('2024.logger')).toBe('nn_2024_logger');
    expect(cIdentifier('***')).toBe('model');
    expect(cIdentifier('Iris Classifier')).toBe('iris_classifier');
  });
});

describe('generate and build apply the same rule', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'nn-names-'));
  const modelPath = path.join(dir, 'golden.json');
  writeFileSync(modelPath, serializeModel(goldenModel()));
  const run = (...args: string[]) => runCommands([registerGenerate, registerBuild], args);

  it('generate writes my-sketch/my-sketch.ino, a name the Arduino IDE allows', async () => {
    const r = await run('generate', '--model', modelPath, '--out', path.join(dir, 'my-sketch'), '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { sketch: { name: string; inoPath: string } };
    expect(out.sketch.name).toBe('my-sketch');
    expect(out.sketch.inoPath).toBe(path.join(dir, 'my-sketch', 'my-sketch.ino'));
  });

  it('generate and build both refuse "-bad" and a 64-character name with exit 2', async () => {
    for (const name of ['-bad', 'x'.repeat(64), 'has space']) {
      const folder = path.join(dir, name);
      mkdirSync(folder, { recursive: true });
      writeFileSync(path.join(folder, `${name}.ino`), 'void setup() {}\nvoid loop() {}\n');
      const g = await run('generate', '--model', modelPath, '--out', folder);
      const b = await run('build', '--sketch', folder);
      for (const r of [g, b]) {
        expect(r.code, name).toBe(2);
        expect(r.stderr).toContain('is not a valid Arduino sketch name');
        expect(r.stderr).toContain('  fix: rename the folder');
      }
    }
  });
});
