// Real builds with avr-gcc (skipped when it is not installed): sizes from avr-size, refusals before compiling, core cache.
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildSketch } from '../../host/build/build.js';
import { cacheDir } from '../../host/build/builtin.js';
import { checkFits, estimateSize } from '../../host/build/size.js';
import { avrdudeArgs } from '../../host/build/upload.js';
import { BOARDS, getBoard } from '../../host/core/boards.js';
import { ModelTooLargeError, ToolchainMissingError } from '../../host/core/errors.js';
import type { ModelFile } from '../../host/core/model.js';
import { runExample } from '../../host/train/examples.js';
import { goldenModel, randomModel } from '../fixtures/models/models.js';
import { echoSketch, generatedSketch, hasAvrGcc } from './sketches.js';
import { usePrivateCache } from '../fixtures/private-cache.js';

usePrivateCache();

const uno = getBoard('uno');
const big = (): ModelFile => randomModel({ name: 'big', sizes: [64, 128, 10], activations: ['relu', 'softmax'], seed: 5 });

describe('size estimate and refusal (no compiler needed)', () => {
  it('refuses 64-128-10 on the Uno before compiling, naming the board, the figures and the layer to shrink', () => {
    let err: unknown;
    try {
      checkFits(big(), uno);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ModelTooLargeError);
    const e = err as ModelTooLargeError;
    expect(e.message).toMatch(/Arduino Uno \(uno\)/);
    expect(e.message).toMatch(/flash/);
    expect(e.message).toContain('32,256');
    expect(e.message).toMatch(/layer 1 \(dense 64 -> 128\) alone takes 33,280 bytes/);
    expect(e.hint).toMatch(/shrink layer 1 \(dense 64 -> 128\) to at most \d+ units/);
    // The advice is right: a hidden layer of that width fits.
    const width = Number(/at most (\d+) units/.exec(e.hint!)![1]);
    expect(width).toBeGreaterThan(32);
    expect(width).toBeLessThan(128);
    const shrunk = randomModel({ name: 'shrunk', sizes: [64, width, 10], activations: ['relu', 'softmax'], seed: 5 });
    expect(() => checkFits(shrunk, uno)).not.toThrow();
  });

  it('refuses a model whose buffers leave no room for the stack, as SRAM', () => {
    const wide = randomModel({ name: 'wide', sizes: [200, 60, 2], activations: ['relu', 'softmax'], seed: 1 });
    expect(() => checkFits(wide, getBoard('mega2560'))).not.toThrow();
    const wideInput = randomModel({ name: 'w', sizes: [400, 4, 2], activations: ['relu', 'softmax'], seed: 1 });
    expect(() => checkFits(wideInput, uno)).toThrow(/bytes of SRAM \([\d,]+ static \+ 256 for the stack\) on the Arduino Uno \(uno\), which has 2,048: the buffers \(pending input 400, output 2, activations 400 \+ 4 floats\) take 3,224 bytes/);
  });

  it('avrdude gets the board profile protocol and baud', () => {
    expect(avrdudeArgs('/x/firmware.hex', uno, '/dev/ttyACM0')).toEqual([
      '-p', 'atmega328p', '-c', 'arduino', '-P', '/dev/ttyACM0', '-b', '115200', '-D', '-U', 'flash:w:/x/firmware.hex:i',
    ]);
  });

  it('platformio.ini has an env for every board, with its PlatformIO board and upload protocol', () => {
    const ini = readFileSync(new URL('../../platformio.ini', import.meta.url), 'utf8');
    for (const b of BOARDS) {
      const section = new RegExp(`\\[env:${b.id}\\]\\n([^\\[]*)`).exec(ini)?.[1];
      expect(section, `[env:${b.id}]`).toBeDefined();
      expect(section).toContain(`board = ${b.pioBoard}`);
      expect(section).toContain(`upload_protocol = ${b.upload.protocol}`);
      if (b.upload.baud > 0) expect(section).toContain(`upload_speed = ${b.upload.baud}`);
    }
  });
});

describe.skipIf(!hasAvrGcc)('built-in avr-gcc path', () => {
  let digits: ModelFile;
  beforeAll(() => {
    digits = runExample('digits').result.model;
  });

  it('builds the trained digits classifier (64-32-10) for the Uno with >= 1 KB of SRAM free, weights in flash', async () => {
    const sketch = await generatedSketch(digits, uno);
    const build = await buildSketch(sketch, uno, { toolchain: 'builtin' });
    expect(build.toolchain).toBe('builtin');
    expect(build.modelHash).toBe(digits.hash);
    expect(build.flashBytes).toBeLessThanOrEqual(uno.flashBytes);
    expect(build.sramBytes).toBeLessThanOrEqual(1024);
    // Weights in flash: 2,368 weights + 42 biases = 9,640 bytes of .text, nothing like it in RAM.
    expect(build.flashBytes).toBeGreaterThan(9_640);
    const est = estimateSize(digits, uno);
    expect(est.flashBytes).toBeGreaterThanOrEqual(build.flashBytes * 0.97);
    expect(est.flashBytes).toBeLessThanOrEqual(build.flashBytes * 1.08);
    expect(est.sramBytes).toBeGreaterThanOrEqual(build.sramBytes);
    expect(est.sramBytes).toBeLessThanOrEqual(build.sramBytes + 64);
    expect(readFileSync(build.hexPath, 'utf8')).toMatch(/^:10000000/);
  });

  it('builds 64-128-10 for the mega2560, the model refused on the Uno', async () => {
    const mega = getBoard('mega2560');
    expect(() => checkFits(big(), mega)).not.toThrow();
    const build = await buildSketch(await generatedSketch(big(), mega), mega, { toolchain: 'builtin' });
    expect(build.flashBytes).toBeGreaterThan(38_000);
    expect(build.flashBytes).toBeLessThanOrEqual(mega.flashBytes);
  });

  for (const id of ['nano', 'leonardo']) {
    it(`builds the golden sketch (nasty label included) for ${id}`, async () => {
      const board = getBoard(id);
      const build = await buildSketch(await generatedSketch(goldenModel(), board), board, { toolchain: 'builtin' });
      expect(build.boardId).toBe(id);
      expect(build.flashBytes).toBeLessThanOrEqual(board.flashBytes);
    });
  }

  it('builds a regression model (no labels) and a binary one (threshold) for the Uno', async () => {
    const regression = randomModel({ name: 'reg', sizes: [3, 5, 2], activations: ['tanh', 'linear'], seed: 2, task: 'regression' });
    const binary = randomModel({ name: 'bin', sizes: [2, 3, 1], activations: ['relu', 'sigmoid'], seed: 2, task: 'binary', labels: ['no', 'yes'], threshold: 0.5 });
    for (const model of [regression, binary]) {
      const build = await buildSketch(await generatedSketch(model, uno), uno, { toolchain: 'builtin' });
      expect(build.modelHash).toBe(model.hash);
    }
  });

  it('builds a plain hand-written sketch folder (echo, with a .c file beside it); its hash is empty', async () => {
    const build = await buildSketch(echoSketch(), uno, { toolchain: 'builtin' });
    expect(build.modelHash).toBe('');
    expect(build.flashBytes).toBeGreaterThan(1000);
  });

  it('compiles the Arduino core once per board and flags, then reuses it from the cache', async () => {
    const sketch = echoSketch();
    await buildSketch(sketch, uno, { toolchain: 'builtin' });
    const core = (): string => execFileSync('find', [path.join(cacheDir(), 'core'), '-name', 'core.a']).toString().trim();
    const before = core().split('\n').map((p) => [p, statSync(p).mtimeMs]);
    await buildSketch(sketch, uno, { toolchain: 'builtin' });
    expect(core().split('\n').map((p) => [p, statSync(p).mtimeMs])).toEqual(before);
  });

  it('reports a missing avr-gcc with the apt-get line as the fix', async () => {
    const saved = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await expect(buildSketch(echoSketch(), uno, { toolchain: 'builtin' })).rejects.toSatisfy(
        (e: unknown) => e instanceof ToolchainMissingError && /apt-get install gcc-avr/.test(e.hint ?? ''),
      );
    } finally {
      process.env.PATH = saved;
    }
  });
});
