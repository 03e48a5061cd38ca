// Compile errors are the user's input: exit 2, the first errors as file:line in the user's own files, a fix line for a
// missing library, and the compiler's text escaped before it reaches the terminal.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileFailure, isSketchFailure, MAX_ERROR_LINES, missingLibraryHint, parseCompileErrors, userPath } from '../../host/build/compile-errors.js';
import { registerBuild } from '../../host/cli/commands/build.js';
import { getBoard } from '../../host/core/boards.js';
import { SketchCompileError } from '../../host/core/errors.js';
import { EXIT_CODES } from '../../host/cli/run.js';
import { runCommands } from '../cli-in-process.js';
import { hasArduinoBuilder, multiTabSketch, sketchFolder } from './user-sketches.js';

const uno = getBoard('uno');

describe('reading a compiler log (no compiler needed)', () => {
  const log = [
    '/home/u/s/s.ino: In function \'void setup()\':',
    "/home/u/s/s.ino:3:5: error: 'y' was not declared in this scope",
    '/home/u/s/s.ino:3:5: warning: unused variable',
    "/home/u/s/s.ino:3:5: error: 'y' was not declared in this scope",
    "/tmp/b/sketch/values.cpp:2:1: error: expected ';' before '}' token",
    '/tmp/b/sketch/s.ino.cpp:9: error: no column here',
    'exit status 1',
  ].join('\n');

  it('keeps errors only, in order, without duplicates, with file, line and column', () => {
    const d = parseCompileErrors(log);
    expect(d.map((x) => `${x.file}:${x.line}:${x.column ?? '-'}`)).toEqual(['/home/u/s/s.ino:3:5', '/tmp/b/sketch/values.cpp:2:1', '/tmp/b/sketch/s.ino.cpp:9:-']);
  });

  it("points the build folder's copies back at the sketch folder, relative to the working directory when inside it", () => {
    expect(userPath('/tmp/b/sketch/values.cpp', '/home/u/s', '/tmp/b', '/home/u')).toBe(path.join('s', 'values.cpp'));
    expect(userPath('/tmp/b/sketch/s.ino.cpp', '/home/u/s', '/tmp/b', '/elsewhere')).toBe('/home/u/s/s.ino');
    expect(userPath('/usr/include/x.h', '/home/u/s', '/tmp/b', '/home/u')).toBe('/usr/include/x.h');
  });

  it('shows at most a handful of errors and counts the rest', () => {
    const many = Array.from({ length: 9 }, (_, i) => `/s/s.ino:${i + 1}:1: error: e${i}`).join('\n');
    const e = compileFailure(many, { sketchDir: '/s', board: uno, cwd: '/' });
    expect(e).toBeInstanceOf(SketchCompileError);
    expect(EXIT_CODES[e.code]).toBe(2);
    expect(e.message.split('\n').filter((l) => /error: e\d/.test(l))).toHaveLength(MAX_ERROR_LINES);
    expect(e.message).toContain(`... and ${9 - MAX_ERROR_LINES} more`);
    expect(e.log).toBe(many);
  });

  it('escapes control characters from the compiler before they reach the terminal', () => {
    const e = compileFailure("/s/s.ino:1:1: error: bad \u001b[2Jthing\u0007 here", { sketchDir: '/s', board: uno, cwd: '/' });
    expect(e.message).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/);
    expect(e.message).toContain('bad \\x1b[2Jthing\\x07 here');
  });

  it('tells the sketch\'s errors (exit 2) from a broken Arduino core installation (environment)', () => {
    const core = "/usr/share/arduino/hardware/arduino/avr/cores/arduino/WString.cpp:29:47: error: 'DECIMAL_DIG' was not declared in this scope";
    expect(isSketchFailure(core, '/usr/share/arduino/hardware/arduino/avr')).toBe(false);
    expect(isSketchFailure(`${core}\n/s/s.ino:1:1: error: x`, '/usr/share/arduino/hardware/arduino/avr')).toBe(true);
    expect(isSketchFailure("s.ino.cpp.o: In function `loop':\ns.ino.cpp:(.text.loop+0x2): undefined reference to `nope()'", '/p')).toBe(true);
    expect(isSketchFailure('arduino-builder: some other trouble', '/p')).toBe(false);
  });

  it('names a missing library and both ways to install it', () => {
    const e = compileFailure('/s/s.ino:1:22: fatal error: Adafruit_BME280.h: No such file or directory\ncompilation terminated.', {
      sketchDir: '/s',
      board: uno,
      cwd: '/',
    });
    expect(e.hint).toBe(missingLibraryHint('Adafruit_BME280.h'));
    expect(e.hint).toMatch(/install "Adafruit_BME280".*Library Manager.*--libraries DIR/);
  });
});

describe.skipIf(!hasArduinoBuilder)('deploy-nn build of a sketch that does not compile', () => {
  const build = (...args: string[]) => runCommands([registerBuild], ['build', ...args]);

  it('exits 2 with the missing library named, the line in the user\'s .ino, and the fix', async () => {
    const s = sketchFolder('needs-lib', { 'needs-lib.ino': '#include <Arduino.h>\n#include <NoSuchSensor.h>\nvoid setup() {}\nvoid loop() {}\n' });
    const r = await build('--sketch', s.dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${path.join(s.dir, 'needs-lib.ino')}:2:`);
    expect(r.stderr).toContain('fatal error: NoSuchSensor.h: No such file or directory');
    expect(r.stderr).toMatch(/\n {2}fix: NoSuchSensor\.h comes from a library that is not installed: install "NoSuchSensor"/);
  }, 60_000);

  it('shows the first errors of a .cpp tab at the tab in the sketch folder, not its copy in the build folder', async () => {
    const s = multiTabSketch('broken_tab');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path.join(s.dir, 'values.cpp'), '#include "config.h"\nint cpp_value() { return undefined_thing; }\n');
    const r = await build('--sketch', s.dir, '--board', 'nano');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${path.join(s.dir, 'values.cpp')}:2:`);
    expect(r.stderr).toContain("'undefined_thing' was not declared in this scope");
    expect(r.stderr).not.toContain(`${path.sep}build-nano${path.sep}sketch`);
  }, 60_000);

  it('the built-in path also reports a broken sketch as exit 2 at the .ino line', async () => {
    const s = sketchFolder('plain', { 'plain.ino': 'void setup() {}\nvoid loop() { nope(); }\n' });
    const r = await build('--sketch', s.dir, '--toolchain', 'builtin');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`${path.join(s.dir, 'plain.ino').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2:\\d+: error: .nope. was not declared`));
    expect(r.stderr).toContain('build with --toolchain arduino-builder');
  }, 60_000);
});
