// deploy-nn export: the model as an Arduino library (folder + .zip) that installs in the Arduino IDE and PlatformIO,
// with the whole runtime copied by listing it, and several models side by side in one sketch.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildSketch } from '../../host/build/build.js';
import { registerExport } from '../../host/cli/commands/export.js';
import { getBoard } from '../../host/core/boards.js';
import { UsageError } from '../../host/core/errors.js';
import { exportLibrary } from '../../host/export/export.js';
import { buildLibrary, libraryNameFor, modelMacros } from '../../host/export/library.js';
import { crc32, makeZip } from '../../host/export/zip.js';
import { serializeModel } from '../../host/model/model-file.js';
import { goldenModel, randomModel } from '../fixtures/models/models.js';
import { runCommands } from '../cli-in-process.js';
import { hasArduinoBuilder, sketchFolder } from '../build/user-sketches.js';

const uno = getBoard('uno');
const RUNTIME_DIR = new URL('../../firmware-templates/runtime/', import.meta.url);
const hasUnzip = (() => {
  try {
    execFileSync('unzip', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const savedCache = process.env.XDG_CACHE_HOME;
beforeAll(() => {
  process.env.XDG_CACHE_HOME = mkdtempSync(path.join(tmpdir(), 'nn-cache-'));
});
afterAll(() => {
  if (savedCache === undefined) delete process.env.XDG_CACHE_HOME;
  else process.env.XDG_CACHE_HOME = savedCache;
});
afterEach(() => {
  process.exitCode = 0;
});

const sensor = () =>
  randomModel({ name: 'Sensor: "A"\nline two', sizes: [3, 5, 2], activations: ['relu', 'softmax'], seed: 9, labels: ['low', 'high'] });

describe('the library files (no compiler needed)', () => {
  it('has library.properties with the fields arduino-builder requires, on single lines, and library.json for PlatformIO', () => {
    const lib = buildLibrary(sensor(), uno, { version: '9.9.9' });
    const props = lib.files.find((f) => f.path === 'library.properties')!.text;
    for (const field of ['name', 'version', 'author', 'maintainer', 'sentence', 'paragraph', 'category', 'url', 'architectures', 'includes']) {
      expect(props, field).toMatch(new RegExp(`^${field}=`, 'm'));
    }
    expect(props).toMatch(/^name=sensor_a_line_two_nn$/m);
    expect(props).toMatch(/^version=9\.9\.9$/m);
    // The model's name with its newline stays on the sentence line.
    expect(props.split('\n').every((l) => l === '' || /^[a-z]+=/.test(l))).toBe(true);
    const json = JSON.parse(lib.files.find((f) => f.path === 'library.json')!.text) as Record<string, unknown>;
    expect(json).toMatchObject({ name: lib.name, version: '9.9.9', frameworks: 'arduino', platforms: 'atmelavr', headers: `${lib.name}.h` });
  });

  it('copies every file of firmware-templates/runtime/ into src/, whatever files it holds', () => {
    const lib = buildLibrary(goldenModel(), uno);
    const runtime = readdirSync(RUNTIME_DIR).filter((f) => /\.(h|c|cpp)$/.test(f));
    expect(runtime.length).toBeGreaterThan(0);
    for (const f of runtime) {
      const copy = lib.files.find((x) => x.path === `src/${f}`);
      expect(copy, f).toBeDefined();
      expect(copy!.text.endsWith(readFileSync(new URL(f, RUNTIME_DIR), 'utf8'))).toBe(true);
    }
    const header = lib.files.find((x) => x.path === `src/${lib.name}.h`)!.text;
    for (const f of runtime.filter((x) => x.endsWith('.h'))) expect(header).toContain(`#include "${f}"`);
  });

  it("puts the model in its own namespace and undefines the model header's macros, so a second model can follow", () => {
    const lib = buildLibrary(goldenModel(), uno);
    const header = lib.files.find((x) => x.path === `src/${lib.name}.h`)!.text;
    const model = lib.files.find((x) => x.path === `src/${lib.name}_model.h`)!.text;
    expect(header).toContain(`namespace ${lib.name} {\n#include "${lib.name}_model.h"`);
    const macros = modelMacros(model);
    expect(macros).toEqual(expect.arrayContaining(['NN_MODEL_H', 'NN_INPUTS', 'NN_OUTPUTS', 'NN_MODEL_HASH']));
    expect(macros).not.toContain('NN_WEIGHTS_IN_FLASH');
    for (const m of macros) expect(header).toContain(`#undef ${m}\n`);
  });

  it('gives distinct models distinct library names, and refuses a --name that is not a C identifier', () => {
    expect(libraryNameFor(goldenModel())).toBe('golden_demo_nn');
    expect(libraryNameFor(sensor())).not.toBe(libraryNameFor(goldenModel()));
    expect(libraryNameFor(goldenModel(), 'kitchen_v2')).toBe('kitchen_v2');
    expect(() => libraryNameFor(goldenModel(), 'my-lib')).toThrow(UsageError);
  });
});

describe('the .zip writer', () => {
  it('computes the zip CRC-32 (check value of "123456789" is cbf43926)', () => {
    expect(crc32(Buffer.from('123456789')).toString(16)).toBe('cbf43926');
  });

  it.skipIf(!hasUnzip)('writes archives that unzip -t accepts, deflated and stored, byte for byte', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nn-zip-'));
    const big = Buffer.from('float w[] = { 0.5f, 0.25f };\n'.repeat(200));
    const tiny = Buffer.from('x');
    const zipPath = path.join(dir, 't.zip');
    writeFileSync(zipPath, makeZip([{ name: 'lib/' }, { name: 'lib/big.h', data: big }, { name: 'lib/tiny.h', data: tiny }, { name: 'lib/empty.h', data: Buffer.alloc(0) }]));
    expect(execFileSync('unzip', ['-t', zipPath], { encoding: 'utf8' })).toContain('No errors detected');
    expect(execFileSync('unzip', ['-p', zipPath, 'lib/big.h'])).toEqual(big);
    expect(execFileSync('unzip', ['-p', zipPath, 'lib/tiny.h'])).toEqual(tiny);
    expect(readFileSync(zipPath).length).toBeLessThan(big.length);
  });
});

describe('deploy-nn export', () => {
  it('writes <out>/<name>/ and <out>/<name>.zip holding the same files, and says how to install them', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nn-export-'));
    const modelPath = path.join(dir, 'model.json');
    writeFileSync(modelPath, serializeModel(goldenModel()));
    const out = path.join(dir, 'libs');
    const text = await runCommands([registerExport], ['export', '--model', modelPath, '--board', 'uno', '--out', out]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('Add .ZIP Library');
    expect(text.stdout).toContain(`lib_deps = file://${path.join(out, 'golden_demo_nn')}`);
    const r = await runCommands([registerExport], ['export', '--model', modelPath, '--out', out, '--json']);
    const res = JSON.parse(r.stdout) as { name: string; dir: string; zipPath: string; files: string[] };
    expect(res.zipPath).toBe(path.join(out, 'golden_demo_nn.zip'));
    if (hasUnzip) {
      const listed = execFileSync('unzip', ['-Z1', res.zipPath], { encoding: 'utf8' }).split('\n').filter((l) => l && !l.endsWith('/'));
      expect(listed.sort()).toEqual(res.files.map((f) => `golden_demo_nn/${f}`).sort());
      for (const f of res.files) expect(execFileSync('unzip', ['-p', res.zipPath, `golden_demo_nn/${f}`])).toEqual(readFileSync(path.join(res.dir, f)));
    }
  });

  it('refuses to replace a folder it did not write, and a model too large for the board (exit 2)', async () => {
    const own = mkdtempSync(path.join(tmpdir(), 'nn-export-'));
    const { mkdirSync } = await import('node:fs');
    mkdirSync(path.join(own, 'golden_demo_nn'));
    writeFileSync(path.join(own, 'golden_demo_nn', 'library.properties'), 'name=golden_demo_nn\nauthor=someone else\n');
    await expect(exportLibrary(goldenModel(), uno, { outDir: own })).rejects.toThrow(/exists and is not a library deploy-nn exported/);
    expect(readFileSync(path.join(own, 'golden_demo_nn', 'library.properties'), 'utf8')).toContain('someone else');
    const bigPath = path.join(own, 'big.json');
    writeFileSync(bigPath, serializeModel(randomModel({ name: 'big', sizes: [64, 128, 10], activations: ['relu', 'softmax'], seed: 5 })));
    const r = await runCommands([registerExport], ['export', '--model', bigPath, '--board', 'uno', '--out', own]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('needs about');
  });
});

describe.skipIf(!hasArduinoBuilder)('exported libraries in a sketch (arduino-builder)', () => {
  it('two models in one sketch and in a .cpp tab: distinct namespaces, no clash, each predicts with its own sizes', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'nn-libs-'));
    const a = await exportLibrary(goldenModel(), uno, { outDir: out });
    const b = await exportLibrary(sensor(), uno, { outDir: out });
    const s = sketchFolder('two_models', {
      'two_models.ino': [
        `#include <${a.name}.h>`,
        `#include <${b.name}.h>`,
        'void setup() { Serial.begin(115200); }',
        'void loop() {',
        `  float x[${a.name}::INPUTS] = {1, 2, 3};`,
        `  float y[${a.name}::OUTPUTS];`,
        `  ${a.name}::nn_predict(x, y);`,
        `  Serial.println(${a.name}::label(${a.name}::nn_predict_class(y)));`,
        '  Serial.println(other());',
        '}',
      ].join('\n'),
      'other.cpp': [
        '#include <Arduino.h>',
        `#include <${b.name}.h>`,
        `#include <${a.name}.h>`,
        'int other() {',
        `  float x[${b.name}::INPUTS] = {1, 2, 3};`,
        `  float y[${b.name}::OUTPUTS];`,
        `  ${b.name}::nn_predict(x, y);`,
        `  return ${b.name}::nn_predict_class(y) + ${a.name}::OUTPUTS * 10;`,
        '}',
      ].join('\n'),
      'other.h': 'int other();\n',
    });
    writeFileSync(path.join(s.dir, 'two_models.ino'), `#include "other.h"\n${readFileSync(path.join(s.dir, 'two_models.ino'), 'utf8')}`);
    const built = await buildSketch(s, uno, { libraries: [out] });
    expect(built.toolchain).toBe('arduino-builder');
    expect(built.flashBytes).toBeGreaterThan(0);
  }, 120_000);

  it("the library's example sketch builds for uno, nano and mega2560", async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'nn-libs-'));
    const lib = await exportLibrary(sensor(), uno, { outDir: out });
    const example = { dir: path.join(lib.dir, 'examples', 'classify'), name: 'classify' };
    for (const id of ['uno', 'nano', 'mega2560']) {
      const built = await buildSketch(example, getBoard(id), { libraries: [out], buildDir: path.join(out, `build-${id}`) });
      expect(built.toolchain).toBe('arduino-builder');
    }
  }, 120_000);
});

describe('README', () => {
  it('shows the example sketch exactly as examples/iris-logger/iris-logger.ino (the one the user-sketch test runs)', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const sketch = readFileSync(new URL('../../examples/iris-logger/iris-logger.ino', import.meta.url), 'utf8');
    expect(readme).toContain(`## Use the model in your own sketch`);
    expect(readme).toContain(`\`\`\`cpp\n${sketch}\`\`\``);
  });
});
