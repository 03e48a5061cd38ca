// The Arduino IDE's own build engine (Debian's arduino-builder, with arduino-ctags): sketch preprocessing with automatic
// prototypes, several .ino tabs, .h/.c/.cpp tabs, the core's bundled libraries and a user libraries folder.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BoardProfile } from '../core/boards.js';
import { BuildFailedError, ModelTooLargeError, ToolchainMissingError, UsageError } from '../core/errors.js';
import { arduinoAvrDir, cacheDir } from './builtin.js';
import { compileFailure, FLASH_FIX, isSketchFailure, linkerSizeError, SRAM_FIX } from './compile-errors.js';
import { terminalSafe } from '../core/terminal.js';

export const ARDUINO_BUILDER_HINT = 'sudo apt-get install arduino-builder arduino-core-avr gcc-avr avr-libc';
const ARDUINO_API_VERSION = '10807';

/** The Arduino sketchbook's libraries folder (~/Arduino/libraries), where the IDE's Library Manager installs. */
export function sketchbookLibraries(home = os.homedir()): string {
  return path.join(home, 'Arduino', 'libraries');
}

/** --libraries as given, or the sketchbook's libraries folder when it exists, or none. */
export function librariesDirs(given: readonly string[] | undefined, home = os.homedir()): string[] {
  if (given !== undefined && given.length > 0) return given.map((d) => path.resolve(d));
  const book = sketchbookLibraries(home);
  return existsSync(book) ? [book] : [];
}

/** The arduino-builder command line (pure): Debian's hardware folders, the board's fqbn, the core's libraries. */
export function arduinoBuilderArgs(opts: {
  inoPath: string;
  board: BoardProfile;
  buildDir: string;
  libraries: readonly string[];
  coreCache: string;
  avrDir?: string;
}): string[] {
  const avr = opts.avrDir ?? arduinoAvrDir();
  const hardware = path.dirname(path.dirname(avr));
  return [
    '-compile',
    '-hardware', hardware,
    '-hardware', '/usr/share/arduino-builder',
    '-tools', '/usr/bin',
    '-fqbn', opts.board.fqbn,
    '-build-path', opts.buildDir,
    '-build-cache', opts.coreCache,
    '-built-in-libraries', path.join(avr, 'libraries'),
    ...opts.libraries.flatMap((d) => ['-libraries', d]),
    '-core-api-version', ARDUINO_API_VERSION,
    // avr-gcc 5.4's <float.h> lacks DECIMAL_DIG, which the core's Print uses (as in the built-in path).
    '-prefs=compiler.cpp.extra_flags=-DDECIMAL_DIG=__DECIMAL_DIG__',
    opts.inoPath,
  ];
}

/** Size refusal from arduino-builder's own check ("Sketch too big", "Not enough memory"). */
function tooLarge(log: string, board: BoardProfile): ModelTooLargeError | undefined {
  const flash = /Sketch uses (\d+) bytes/.exec(log);
  const ram = /Global variables use (\d+) bytes/.exec(log);
  const linker = linkerSizeError(log, board);
  if (linker) return linker;
  if (/Sketch too big/i.test(log)) {
    return new ModelTooLargeError(
      `the sketch needs ${flash?.[1] ?? 'more than'} bytes of flash on the ${board.name} (${board.id}), which has ${board.flashBytes}`,
      FLASH_FIX,
    );
  }
  if (/Not enough memory/i.test(log)) {
    return new ModelTooLargeError(
      `the sketch's static data takes ${ram?.[1] ?? 'more than'} bytes of SRAM on the ${board.name} (${board.id}), which has ${board.sramBytes}`,
      SRAM_FIX,
    );
  }
  return undefined;
}

/** Build <dir>/<name>.ino with arduino-builder into buildDir; the compiled core is cached across sketches. */
export async function buildWithArduinoBuilder(
  sketch: { dir: string; name: string },
  board: BoardProfile,
  buildDir: string,
  libraries: readonly string[] = [],
): Promise<{ elfPath: string; hexPath: string; log: string }> {
  const coreCache = path.join(cacheDir(), 'arduino-builder-core');
  await mkdir(buildDir, { recursive: true });
  await mkdir(coreCache, { recursive: true });
  for (const d of libraries) {
    if (!existsSync(d)) throw new UsageError(`libraries folder ${d} does not exist`, 'give --libraries a folder that holds library folders (e.g. ~/Arduino/libraries)');
  }
  const args = arduinoBuilderArgs({ inoPath: path.join(sketch.dir, `${sketch.name}.ino`), board, buildDir, libraries, coreCache });
  // LC_ALL=C: plain quotes in the compiler's messages.
  const env = { ...process.env, LC_ALL: 'C' };
  const once = (): Promise<string> => new Promise<string>((resolve, reject) => {
    execFile('arduino-builder', args, { env, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
      const text = `${stdout}${stderr}`;
      if (!err) {
        resolve(text);
        return;
      }
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(new ToolchainMissingError('arduino-builder', ARDUINO_BUILDER_HINT));
        return;
      }
      const big = tooLarge(text, board);
      if (big) {
        reject(big);
        return;
      }
      // A library it skips (library.properties lacks a field) is the cause of the missing header that follows.
      const badLibrary = /Missing '(\w+)' from library in (.+)/.exec(text);
      if (badLibrary) {
        reject(
          new UsageError(
            terminalSafe(`the library in ${badLibrary[2]!.trim()} has no '${badLibrary[1]}' in its library.properties`),
            'add the field (name, version, author, maintainer, sentence, paragraph, category, url, architectures), or remove the library from the libraries folder',
          ),
        );
        return;
      }
      if (isSketchFailure(text, arduinoAvrDir())) {
        reject(compileFailure(text, { sketchDir: sketch.dir, buildDir, board }));
        return;
      }
      const first = text.split('\n').find((l) => l.trim() !== '' && !l.startsWith('WARNING')) ?? '';
      reject(new BuildFailedError(terminalSafe(`arduino-builder failed: ${first}`), `$ arduino-builder ${args.join(' ')}\n${text}`));
    });
  });
  let log: string;
  try {
    log = await once();
  } catch (e) {
    // arduino-builder 1.3.25 empties the build folder when the options change (another --libraries, another version)
    // and then misses its own preprocessing file; the next run starts from the empty folder and works.
    if (!(e instanceof BuildFailedError && /Build options changed/.test(e.log) && /ctags_target_for_gcc_minus_e/.test(e.log))) throw e;
    log = await once();
  }
  // Also as firmware.elf/.hex, the names every other path leaves (defaultHexPath: what sim, verify and monitor look for).
  const base = path.join(buildDir, `${sketch.name}.ino`);
  const elfPath = path.join(buildDir, 'firmware.elf');
  const hexPath = path.join(buildDir, 'firmware.hex');
  await copyFile(`${base}.elf`, elfPath);
  await copyFile(`${base}.hex`, hexPath);
  return { elfPath, hexPath, log };
}
