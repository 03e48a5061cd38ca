// The built-in toolchain: Debian's avr-gcc and Arduino core; the core is compiled once per board and flags, then cached.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BoardProfile } from '../core/boards.js';
import { ToolchainMissingError } from '../core/errors.js';
import { userCacheDir } from '../core/paths.js';
import { APT_INSTALL_HINT, run, runLimited } from './exec.js';

/** Arduino AVR platform folder (cores/, variants/); DEPLOY_NN_ARDUINO_AVR overrides the Debian path. */
export function arduinoAvrDir(): string {
  return process.env.DEPLOY_NN_ARDUINO_AVR ?? '/usr/share/arduino/hardware/arduino/avr';
}

/** Where compiled cores are kept: the user's cache folder ($XDG_CACHE_HOME/deploy-nn or ~/.cache/deploy-nn). */
export const cacheDir = userCacheDir;

const ARDUINO_VERSION = '10807';
const JOBS = 2;

interface Flags {
  readonly common: readonly string[];
  readonly c: readonly string[];
  readonly cpp: readonly string[];
  readonly asm: readonly string[];
}

/** The Arduino IDE's flags for this board (platform.txt), without LTO; avr-gcc 5.4 needs DECIMAL_DIG for the core. */
function flagsFor(board: BoardProfile, includes: readonly string[]): Flags {
  const common = [
    `-mmcu=${board.mcu}`,
    `-DF_CPU=${board.fCpu}L`,
    `-DARDUINO=${ARDUINO_VERSION}`,
    `-D${board.arduinoBoardDefine}`,
    '-DARDUINO_ARCH_AVR',
    ...board.extraDefines.map((d) => `-D${d}`),
    ...includes.map((i) => `-I${i}`),
  ];
  return {
    common,
    c: ['-c', '-g', '-Os', '-w', '-std=gnu11', '-ffunction-sections', '-fdata-sections'],
    cpp: [
      '-c', '-g', '-Os', '-w', '-std=gnu++11', '-fpermissive', '-fno-exceptions', '-ffunction-sections', '-fdata-sections',
      '-fno-threadsafe-statics', '-Wno-error=narrowing', '-DDECIMAL_DIG=__DECIMAL_DIG__',
    ],
    asm: ['-c', '-g', '-x', 'assembler-with-cpp'],
  };
}

function compileArgs(file: string, obj: string, flags: Flags, extra: readonly string[] = []): [string, string[]] {
  if (file.endsWith('.S')) return ['avr-gcc', [...flags.asm, ...flags.common, file, '-o', obj]];
  if (file.endsWith('.c')) return ['avr-gcc', [...flags.c, ...extra, ...flags.common, file, '-o', obj]];
  return ['avr-g++', [...flags.cpp, ...extra, ...flags.common, file, '-o', obj]];
}

/** Fails with the apt-get line when avr-gcc or the Arduino core is not installed. */
export async function checkBuiltinToolchain(): Promise<void> {
  await run('avr-gcc', ['--version'], { what: 'avr-gcc --version' });
  const core = path.join(arduinoAvrDir(), 'cores', 'arduino');
  if (!existsSync(path.join(core, 'Arduino.h'))) {
    throw new ToolchainMissingError(`the Arduino AVR core (${core})`, APT_INSTALL_HINT);
  }
}

/** core.a for this board, compiled on first use into the cache and reused; safe when two builds race. */
export async function ensureCore(board: BoardProfile): Promise<string> {
  const avr = arduinoAvrDir();
  const coreDir = path.join(avr, 'cores', 'arduino');
  const variantDir = path.join(avr, 'variants', board.variant);
  const flags = flagsFor(board, [coreDir, variantDir]);
  const version = (await run('avr-gcc', ['--version'])).stdout.split('\n')[0];
  const key = createHash('sha256').update(JSON.stringify({ flags, version, avr })).digest('hex').slice(0, 16);
  const target = path.join(cacheDir(), 'core', `${board.mcu}-${key}`);
  const archive = path.join(target, 'core.a');
  if (existsSync(archive)) return archive;

  const tmp = `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await mkdir(tmp, { recursive: true });
  try {
    const sources = (await readdir(coreDir)).filter((f) => /\.(c|cpp|S)$/.test(f)).sort();
    const objects = await runLimited(
      sources.map((src) => async () => {
        const obj = path.join(tmp, `${src}.o`);
        const [cmd, args] = compileArgs(path.join(coreDir, src), obj, flags);
        await run(cmd, args, { what: `compiling the Arduino core (${src})` });
        return obj;
      }),
      JOBS,
    );
    await run('avr-gcc-ar', ['rcs', path.join(tmp, 'core.a'), ...objects], { what: 'archiving the Arduino core' });
    await mkdir(path.dirname(target), { recursive: true });
    try {
      await rename(tmp, target);
    } catch {
      // Another build finished first: use its archive.
      if (!existsSync(archive)) throw new Error(`could not place the compiled core at ${target}`);
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return archive;
}

export interface BuiltinBuild {
  readonly elfPath: string;
  readonly hexPath: string;
}

/**
 * Compile a sketch folder (<name>.ino plus any .c/.cpp/.S beside it) against the cached core, link, and write the hex.
 * The .ino becomes C++ as in the Arduino IDE: `#include <Arduino.h>` on top (functions must be declared before use).
 */
export async function buildWithAvrGcc(sketch: { dir: string; name: string }, board: BoardProfile, buildDir: string): Promise<BuiltinBuild> {
  await checkBuiltinToolchain();
  const core = await ensureCore(board);
  const avr = arduinoAvrDir();
  const flags = flagsFor(board, [path.join(avr, 'cores', 'arduino'), path.join(avr, 'variants', board.variant), sketch.dir]);
  const objDir = path.join(buildDir, 'sketch');
  await mkdir(objDir, { recursive: true });

  const ino = path.join(sketch.dir, `${sketch.name}.ino`);
  const inoCpp = path.join(objDir, `${sketch.name}.ino.cpp`);
  await writeFile(inoCpp, `#include <Arduino.h>\n#line 1 ${JSON.stringify(ino)}\n${await readFile(ino, 'utf8')}`);
  const others = (await readdir(sketch.dir)).filter((f) => /\.(c|cpp|S)$/.test(f)).map((f) => path.join(sketch.dir, f));
  const objects = await runLimited(
    [inoCpp, ...others].map((src) => async () => {
      const obj = path.join(objDir, `${path.basename(src)}.o`);
      const [cmd, args] = compileArgs(src, obj, flags, ['-Wall']);
      // LC_ALL=C: plain quotes in the compiler's messages, which are shown to the user.
      await run(cmd, args, { what: `compiling ${path.basename(src)}`, env: { ...process.env, LC_ALL: 'C' } });
      return obj;
    }),
    JOBS,
  );
  const elfPath = path.join(buildDir, 'firmware.elf');
  const hexPath = path.join(buildDir, 'firmware.hex');
  await run('avr-gcc', ['-w', '-Os', '-g', '-Wl,--gc-sections', `-mmcu=${board.mcu}`, '-o', elfPath, ...objects, core, '-lm'], {
    what: 'linking',
  });
  await run('avr-objcopy', ['-O', 'ihex', '-R', '.eeprom', elfPath, hexPath], { what: 'avr-objcopy' });
  return { elfPath, hexPath };
}
