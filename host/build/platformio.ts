// The PlatformIO path, the PlatformIO way: a sketch folder with its own platformio.ini is a project (`pio run -d <sketch>`);
// a plain Arduino sketch folder is built through a project deploy-nn keeps in its cache (src_dir = the sketch).
// deploy-nn never writes into its own install folder (a global npm install is read-only).
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BOARDS } from '../core/boards.js';
import type { BoardProfile } from '../core/boards.js';
import { BuildFailedError, UsageError } from '../core/errors.js';
import { userCacheDir } from '../core/paths.js';
import { getTool } from '../core/tools.js';
import { compileFailure, isSketchFailure, linkerSizeError } from './compile-errors.js';
import { run } from './exec.js';

export const PIO_HINT = `${getTool('platformio').otherInstall}, or use --toolchain builtin or arduino-builder`;

/** Folders inside a sketch that are build outputs, never sources: deploy-nn's build-<board>/ and PlatformIO's .pio/. */
export const SRC_FILTER = '+<*> -<.git/> -<.svn/> -<.pio/> -<build-*/>';

export async function hasPlatformio(): Promise<boolean> {
  try {
    await run('pio', ['--version']);
    return true;
  } catch {
    return false;
  }
}

/** avr-size from PlatformIO's own toolchain when it is there. */
export function platformioAvrSize(): string {
  const bundled = path.join(os.homedir(), '.platformio', 'packages', 'toolchain-atmelavr', 'bin', 'avr-size');
  return existsSync(bundled) ? bundled : 'avr-size';
}

export interface PlatformioIniOptions {
  /** src_dir: `.` for a generated sketch folder (the sketch is the project), an absolute path otherwise. */
  readonly srcDir: string;
  /** default_envs: the board the sketch was made for. */
  readonly defaultEnv: string;
  /** Extra library storages (folders of library folders). */
  readonly libExtraDirs?: readonly string[];
  readonly boards?: readonly BoardProfile[];
}

/** A platformio.ini with one env per board of boards.ts (env name = board id), pure. */
export function platformioIni(opts: PlatformioIniOptions): string {
  const boards = opts.boards ?? BOARDS;
  const lines = [
    '; PlatformIO project: `pio run` builds, `pio run -t upload` uploads (add --upload-port /dev/ttyACM0), `pio device monitor` listens.',
    '; One env per board (env name = deploy-nn board id); VS Code with PlatformIO IDE opens this folder as a project.',
    '[platformio]',
    `src_dir = ${opts.srcDir}`,
    `default_envs = ${opts.defaultEnv}`,
    '',
    '[env]',
    'platform = atmelavr',
    'framework = arduino',
    'monitor_speed = 115200',
    // Never contract a + b * c into an FMA: the board's float results must match the host's bit for bit.
    'build_flags = -ffp-contract=off',
    `build_src_filter = ${SRC_FILTER}`,
    ...(opts.libExtraDirs && opts.libExtraDirs.length > 0 ? ['lib_extra_dirs =', ...opts.libExtraDirs.map((d) => `  ${d}`)] : []),
  ];
  for (const b of boards) {
    lines.push('', `[env:${b.id}]`, `board = ${b.pioBoard}`, `upload_protocol = ${b.upload.protocol}`);
    if (b.upload.baud > 0) lines.push(`upload_speed = ${b.upload.baud}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The project folder to run pio in: the sketch folder when it has a platformio.ini, else a project in deploy-nn's
 * cache whose src_dir is the sketch folder (written, or rewritten when the libraries change).
 */
export async function platformioProject(sketch: { dir: string; name: string }, board: BoardProfile, libraries: readonly string[] = []): Promise<string> {
  if (existsSync(path.join(sketch.dir, 'platformio.ini'))) return sketch.dir;
  const key = createHash('sha256').update(path.resolve(sketch.dir)).digest('hex').slice(0, 16);
  const project = path.join(userCacheDir(), 'platformio', `${sketch.name}-${key}`);
  await mkdir(project, { recursive: true });
  await writeFile(path.join(project, 'platformio.ini'), platformioIni({ srcDir: path.resolve(sketch.dir), defaultEnv: board.id, libExtraDirs: libraries }));
  return project;
}

/** Where `pio run` leaves the firmware of an env. */
export function platformioOutputs(project: string, board: BoardProfile): { elfPath: string; hexPath: string } {
  const out = path.join(project, '.pio', 'build', board.id);
  return { elfPath: path.join(out, 'firmware.elf'), hexPath: path.join(out, 'firmware.hex') };
}

export async function buildWithPlatformio(
  sketch: { dir: string; name: string },
  board: BoardProfile,
  libraries: readonly string[] = [],
): Promise<{ elfPath: string; hexPath: string }> {
  const project = await platformioProject(sketch, board, libraries);
  try {
    await run('pio', ['run', '-d', project, '-e', board.id], { what: `pio run -e ${board.id}`, hint: PIO_HINT });
  } catch (e) {
    // The compiler's errors in the sketch or its libraries are the user's input; PlatformIO's own packages are not.
    const tooLarge = e instanceof BuildFailedError ? linkerSizeError(e.log, board) : undefined;
    if (tooLarge) throw tooLarge;
    const packages = path.join(os.homedir(), '.platformio', 'packages');
    if (e instanceof BuildFailedError && isSketchFailure(e.log, packages)) throw compileFailure(e.log, { sketchDir: sketch.dir, board });
    throw e;
  }
  return platformioOutputs(project, board);
}

/**
 * Uploads the firmware last built for this env (`-t nobuild`: no rebuild); the project is the one the hex was built in
 * (<project>/.pio/build/<env>/firmware.hex).
 */
export async function uploadWithPlatformio(board: BoardProfile, port: string, hexPath?: string): Promise<void> {
  if (hexPath === undefined) throw new UsageError('the PlatformIO upload needs the built firmware', 'build with --toolchain platformio first');
  const project = path.resolve(hexPath, '..', '..', '..', '..');
  await run('pio', ['run', '-d', project, '-e', board.id, '-t', 'nobuild', '-t', 'upload', '--upload-port', port], {
    what: `pio upload to ${port}`,
    hint: PIO_HINT,
  });
}
