// The PlatformIO adapter against a stand-in `pio` (the real one is not run by the tests): every generated sketch
// folder is a PlatformIO project of its own, plain sketches get a project in deploy-nn's cache, and deploy-nn never
// writes into its own install folder.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSketch } from '../../host/build/build.js';
import { platformioIni, SRC_FILTER } from '../../host/build/platformio.js';
import { realPortFs } from '../../host/ports/check.js';
import { uploadFirmware } from '../../host/build/upload.js';
import { BOARDS, getBoard } from '../../host/core/boards.js';
import type { BuildResult } from '../../host/core/artifacts.js';
import { BuildFailedError, SketchCompileError } from '../../host/core/errors.js';
import { goldenModel } from '../fixtures/models/models.js';
import { installPioStandIn } from './pio-standin.js';
import type { PioCall } from './pio-standin.js';
import { echoSketch, generatedSketch, hasAvrGcc } from './sketches.js';
import { sketchFolder } from './user-sketches.js';

const INSTALL_DIR = fileURLToPath(new URL('../../', import.meta.url));
const uno = getBoard('uno');

describe('platformio.ini (no tools needed)', () => {
  it('has an env per board of boards.ts with its PlatformIO board and upload settings, and skips build folders', () => {
    const ini = platformioIni({ srcDir: '.', defaultEnv: 'nano' });
    expect(ini).toMatch(/^\[platformio\]\nsrc_dir = \.\ndefault_envs = nano$/m);
    expect(ini).toContain(`build_src_filter = ${SRC_FILTER}`);
    expect(SRC_FILTER).toContain('-<build-*/>');
    expect(ini).toContain('build_flags = -ffp-contract=off');
    for (const b of BOARDS) {
      const section = new RegExp(`\\[env:${b.id}\\]\\n([^\\[]*)`).exec(ini)?.[1];
      expect(section, b.id).toBeDefined();
      expect(section).toContain(`board = ${b.pioBoard}`);
      expect(section).toContain(`upload_protocol = ${b.upload.protocol}`);
    }
  });

  it('every generated sketch folder is a PlatformIO project: platformio.ini beside the .ino, src_dir = the folder', async () => {
    const sketch = await generatedSketch(goldenModel(), getBoard('mega2560'));
    const iniPath = path.join(sketch.dir, 'platformio.ini');
    expect(sketch.files).toContain(iniPath);
    expect(readFileSync(iniPath, 'utf8')).toBe(platformioIni({ srcDir: '.', defaultEnv: 'mega2560' }));
  });

  it('the top-level platformio.ini stays a valid project file with every board', () => {
    const ini = readFileSync(path.join(INSTALL_DIR, 'platformio.ini'), 'utf8');
    expect(ini).toMatch(/^\[platformio\]$/m);
    for (const b of BOARDS) expect(ini).toContain(`[env:${b.id}]`);
  });
});

describe.skipIf(!hasAvrGcc)('deploy-nn with a stand-in pio on PATH', () => {
  let firmware: BuildResult;
  let pio: ReturnType<typeof installPioStandIn>;
  const savedCache = process.env.XDG_CACHE_HOME;
  beforeAll(async () => {
    process.env.XDG_CACHE_HOME = mkdtempSync(path.join(tmpdir(), 'nn-cache-'));
    firmware = await buildSketch(echoSketch(), uno, { toolchain: 'builtin' });
    pio = installPioStandIn(firmware);
  }, 120_000);
  afterAll(() => {
    pio?.restore();
    if (savedCache === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = savedCache;
  });
  const last = (): PioCall => pio.calls().at(-1)!;

  it('auto builds a generated sketch with pio inside the sketch folder, and the size comes from the firmware it left', async () => {
    const sketch = await generatedSketch(goldenModel(), uno);
    const b = await buildSketch(sketch, uno);
    expect(b.toolchain).toBe('platformio');
    expect(last().argv).toEqual(['run', '-d', sketch.dir, '-e', 'uno']);
    expect(last().srcDir).toBe(sketch.dir);
    expect(last().inos).toEqual([`${sketch.name}.ino`]);
    expect(b.hexPath).toBe(path.join(sketch.dir, '.pio', 'build', 'uno', 'firmware.hex'));
    expect(b.flashBytes).toBe(firmware.flashBytes);
    expect(b.modelHash).toBe(goldenModel().hash);
    expect(existsSync(path.join(INSTALL_DIR, '.pio'))).toBe(false);
    for (const c of pio.calls()) expect(path.resolve(c.project)).not.toBe(path.resolve(INSTALL_DIR));
  });

  it('a plain sketch folder builds through a project in the cache (src_dir = the sketch, --libraries as lib_extra_dirs)', async () => {
    const sketch = sketchFolder('plain-one', { 'plain-one.ino': 'void setup() {}\nvoid loop() {}\n' });
    const libs = mkdtempSync(path.join(tmpdir(), 'nn-libs-'));
    const b = await buildSketch(sketch, getBoard('nano'), { libraries: [libs] });
    expect(b.toolchain).toBe('platformio');
    const call = last();
    expect(call.project.startsWith(path.join(process.env.XDG_CACHE_HOME!, 'deploy-nn', 'platformio'))).toBe(true);
    expect(call.env).toBe('nano');
    expect(call.srcDir).toBe(sketch.dir);
    expect(call.libDirs).toEqual([libs]);
    // Nothing is written into the user's sketch folder on this route.
    expect(existsSync(path.join(sketch.dir, 'platformio.ini'))).toBe(false);
  });

  it('uploads from the project that built the firmware, without rebuilding', async () => {
    const sketch = await generatedSketch(goldenModel(), uno);
    const b = await buildSketch(sketch, uno, { toolchain: 'platformio' });
    const port = path.join(mkdtempSync(path.join(tmpdir(), 'nn-port-')), 'ttyACM0');
    writeFileSync(port, '');
    // The stand-in pio never opens the port: the port check is told the file is a serial device (a ttyACM's major, 166).
    const portFs = { ...realPortFs, stat: () => ({ isCharacterDevice: () => true, isDirectory: () => false, isFile: () => false, rdev: 166 * 256 }) };
    await uploadFirmware(b, uno, port, { portFs });
    expect(last().argv).toEqual(['run', '-d', sketch.dir, '-e', 'uno', '-t', 'nobuild', '-t', 'upload', '--upload-port', port]);
  });

  it("the compiler's errors under pio are the user's input (exit 2 error at the sketch's line)", async () => {
    const sketch = sketchFolder('pio-broken', { 'pio-broken.ino': 'void setup() {}\nvoid loop() {\n  STANDIN_COMPILE_ERROR;\n}\n' });
    const err = await buildSketch(sketch, uno).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SketchCompileError);
    expect((err as Error).message).toContain(`${path.join(sketch.dir, 'pio-broken.ino')}:3:3: error: 'STANDIN_COMPILE_ERROR' was not declared`);
  });

  it('a project layout pio would refuse (env missing) fails as a build error (environment, exit 3), naming pio', async () => {
    const sketch = await generatedSketch(goldenModel(), uno);
    writeFileSync(path.join(sketch.dir, 'platformio.ini'), '[platformio]\nsrc_dir = .\n');
    const err = await buildSketch(sketch, uno, { toolchain: 'platformio' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BuildFailedError);
    expect((err as Error).message).toMatch(/pio run -e uno failed/);
  });
});
