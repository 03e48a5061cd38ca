// User sketches built as the Arduino IDE builds them (arduino-builder): prototypes, tabs, bundled and user libraries,
// the toolchain table, and sizes refused when they do not fit.
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { defaultHexPath } from '../../host/core/paths.js';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { arduinoBuilderArgs, librariesDirs } from '../../host/build/arduino-builder.js';
import { buildSketch } from '../../host/build/build.js';
import { isGeneratedSketch, pickToolchain, TOOLCHAIN_TABLE, TOOLCHAINS } from '../../host/build/toolchains.js';
import { BOARDS, getBoard } from '../../host/core/boards.js';
import { ModelTooLargeError, UsageError } from '../../host/core/errors.js';
import { goldenModel } from '../fixtures/models/models.js';
import { generatedSketch } from './sketches.js';
import { hasArduinoBuilder, multiTabSketch, sketchFolder } from './user-sketches.js';
import { usePrivateCache } from '../fixtures/private-cache.js';

usePrivateCache();

describe('toolchains as data (no compiler needed)', () => {
  it('auto picks PlatformIO when pio is there, else builtin for generated sketches and arduino-builder for the rest', () => {
    expect(pickToolchain('auto', { generated: true, pio: false })).toBe('builtin');
    expect(pickToolchain('auto', { generated: false, pio: false })).toBe('arduino-builder');
    expect(pickToolchain('auto', { generated: false, pio: true })).toBe('platformio');
    expect(pickToolchain('builtin', { generated: false, pio: true })).toBe('builtin');
    expect(TOOLCHAINS).toEqual(['auto', ...TOOLCHAIN_TABLE.map((t) => t.id)]);
  });

  it('passes each board its fqbn from boards.ts, the core libraries and every --libraries folder', () => {
    for (const b of BOARDS) {
      const args = arduinoBuilderArgs({ inoPath: '/s/s.ino', board: b, buildDir: '/b', libraries: ['/l1', '/l2'], coreCache: '/c', avrDir: '/hw/arduino/avr' });
      expect(args[args.indexOf('-fqbn') + 1]).toBe(b.fqbn);
      expect(args[args.indexOf('-built-in-libraries') + 1]).toBe('/hw/arduino/avr/libraries');
      expect(args[args.indexOf('-hardware') + 1]).toBe('/hw');
      expect(args.filter((a, i) => args[i - 1] === '-libraries')).toEqual(['/l1', '/l2']);
      expect(args.at(-1)).toBe('/s/s.ino');
    }
    expect(getBoard('nano').fqbn).toBe('arduino:avr:nano:cpu=atmega328');
    expect(getBoard('mega2560').fqbn).toBe('arduino:avr:mega:cpu=atmega2560');
  });

  it('defaults the libraries folder to the sketchbook ~/Arduino/libraries only when it exists', () => {
    const home = mkdtempSync(path.join(tmpdir(), 'nn-home-'));
    expect(librariesDirs(undefined, home)).toEqual([]);
    mkdirSync(path.join(home, 'Arduino', 'libraries'), { recursive: true });
    expect(librariesDirs(undefined, home)).toEqual([path.join(home, 'Arduino', 'libraries')]);
    expect(librariesDirs(['rel/libs'], home)).toEqual([path.resolve('rel/libs')]);
  });

  it('tells a generated sketch from a hand-written one by its first line', async () => {
    const gen = await generatedSketch(goldenModel(), getBoard('uno'));
    expect(await isGeneratedSketch(gen)).toBe(true);
    expect(await isGeneratedSketch(multiTabSketch())).toBe(false);
  });
});

describe.skipIf(!hasArduinoBuilder)('arduino-builder path', () => {
  it('builds a multi-tab sketch (function after loop(), .ino/.h/.cpp/.c tabs, Wire, SPI, EEPROM, SoftwareSerial) for every board', async () => {
    const sketch = multiTabSketch();
    for (const board of BOARDS) {
      const b = await buildSketch(sketch, board);
      expect(b.toolchain).toBe('arduino-builder');
      expect(b.boardId).toBe(board.id);
      expect(b.flashBytes).toBeGreaterThan(2000);
      expect(b.flashBytes).toBeLessThan(board.flashBytes);
      expect(b.hexPath).toBe(defaultHexPath(sketch.dir, board));
      expect(readFileSync(b.hexPath)).toEqual(readFileSync(path.join(sketch.dir, `build-${board.id}`, `${sketch.name}.ino.hex`)));
    }
  }, 400_000); // four cold builds of the core on a loaded 2-core machine

  it('finds a user library in --libraries, and the generated sketch builds there too', async () => {
    const libs = mkdtempSync(path.join(tmpdir(), 'nn-libs-'));
    mkdirSync(path.join(libs, 'Blink3', 'src'), { recursive: true });
    writeFileSync(path.join(libs, 'Blink3', 'src', 'Blink3.h'), 'int blink3();\n');
    writeFileSync(path.join(libs, 'Blink3', 'src', 'Blink3.cpp'), '#include "Blink3.h"\nint blink3() { return 3; }\n');
    writeFileSync(path.join(libs, 'Blink3', 'library.properties'), 'name=Blink3\nversion=1.0.0\narchitectures=*\n');
    const sketch = sketchFolder('uses_lib', { 'uses_lib.ino': '#include <Blink3.h>\nvoid setup() { Serial.begin(9600); Serial.println(blink3()); }\nvoid loop() {}\n' });
    // arduino-builder wants the 1.5 library fields: a library without them is named as the user's to fix.
    const bad = await buildSketch(sketch, getBoard('uno'), { libraries: [libs] }).catch((e: unknown) => e);
    expect(bad, String(bad)).toBeInstanceOf(UsageError);
    expect((bad as UsageError).message).toContain(`the library in ${path.join(libs, 'Blink3')} has no 'author'`);
    writeFileSync(
      path.join(libs, 'Blink3', 'library.properties'),
      'name=Blink3\nversion=1.0.0\nauthor=A\nmaintainer=A\nsentence=s\nparagraph=p\ncategory=Other\nurl=http://example.com\narchitectures=*\n',
    );
    const b = await buildSketch(sketch, getBoard('uno'), { libraries: [libs] });
    expect(b.toolchain).toBe('arduino-builder');
    const gen = await generatedSketch(goldenModel(), getBoard('uno'));
    const viaBuilder = await buildSketch(gen, getBoard('uno'), { toolchain: 'arduino-builder' });
    expect(viaBuilder.modelHash).toBe(goldenModel().hash);
    expect(viaBuilder.flashBytes).toBeLessThan(getBoard('uno').flashBytes);
  }, 120_000);

  it('builds again when the options change (another libraries folder), though arduino-builder empties its build folder then', async () => {
    const sketch = multiTabSketch('options_change');
    const first = await buildSketch(sketch, getBoard('uno'));
    const again = await buildSketch(sketch, getBoard('uno'), { libraries: [mkdtempSync(path.join(tmpdir(), 'nn-libs-'))] });
    expect(again.flashBytes).toBe(first.flashBytes);
    expect(readFileSync(path.join(path.dirname(again.hexPath), 'build.options.json'), 'utf8')).toContain('nn-libs-');
  }, 60_000);

  it('refuses a user sketch whose flash or SRAM does not fit, naming the board and the figures (exit code 2 errors)', async () => {
    const sketch = sketchFolder('too_big', {
      'too_big.ino': [
        'const uint8_t a[20000] PROGMEM = {1};',
        'const uint8_t b[20000] PROGMEM = {2};',
        'void setup() { Serial.begin(9600); Serial.println(pgm_read_byte(&a[millis() % 20000]) + pgm_read_byte(&b[micros() % 20000])); }',
        'void loop() {}',
      ].join('\n'),
    });
    const err = await buildSketch(sketch, getBoard('uno')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelTooLargeError);
    expect((err as Error).message).toMatch(/needs \d+ bytes more flash than the Arduino Uno \(uno\) has \(32256\)/);
    // The same sketch fits the Mega.
    expect((await buildSketch(sketch, getBoard('mega2560'))).flashBytes).toBeGreaterThan(40000);
    const ram = sketchFolder('too_much_ram', {
      'too_much_ram.ino': 'volatile uint8_t buf[3000];\nvoid setup() { Serial.begin(9600); buf[millis() % 3000] = 1; Serial.println(buf[micros() % 3000]); }\nvoid loop() {}\n',
    });
    for (const toolchain of ['arduino-builder', 'builtin'] as const) {
      const e = await buildSketch(ram, getBoard('uno'), { toolchain }).catch((x: unknown) => x);
      expect(e, toolchain).toBeInstanceOf(ModelTooLargeError);
      expect((e as Error).message).toBe("the sketch's static data (.bss) does not fit the 2048 bytes of SRAM of the Arduino Uno (uno)");
    }
    expect((await buildSketch(ram, getBoard('mega2560'))).sramBytes).toBeGreaterThan(3000);
  }, 120_000);
});
