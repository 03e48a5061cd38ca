// The PlatformIO path, kept thin: `pio run -e <board>` with the sketch folder as src_dir (platformio.ini at the repo root).
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BoardProfile } from '../core/boards.js';
import { PACKAGE_ROOT, userCacheDir } from '../core/paths.js';
import { getTool } from '../core/tools.js';
import { run } from './exec.js';

const PIO_HINT = `${getTool('platformio').otherInstall}, or use --toolchain builtin`;

/** The folder holding platformio.ini (the package root): only read, never written. */
export const PLATFORMIO_PROJECT = PACKAGE_ROOT;

/**
 * PlatformIO's workspace (its `.pio`: objects, firmware, library deps) in the user's cache, not beside platformio.ini,
 * so an installed package's folder is never written. One workspace for every sketch, as `.pio` was.
 */
export function platformioWorkspace(): string {
  return path.join(userCacheDir(), 'platformio');
}

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

function pioEnv(sketchDir?: string): NodeJS.ProcessEnv {
  return { ...process.env, PLATFORMIO_WORKSPACE_DIR: platformioWorkspace(), ...(sketchDir ? { PLATFORMIO_SRC_DIR: sketchDir } : {}) };
}

export async function buildWithPlatformio(sketch: { dir: string; name: string }, board: BoardProfile): Promise<{ elfPath: string; hexPath: string }> {
  await run('pio', ['run', '-d', PLATFORMIO_PROJECT, '-e', board.id], { env: pioEnv(sketch.dir), what: `pio run -e ${board.id}`, hint: PIO_HINT });
  const out = path.join(platformioWorkspace(), 'build', board.id);
  return { elfPath: path.join(out, 'firmware.elf'), hexPath: path.join(out, 'firmware.hex') };
}

/** Uploads the firmware last built for this env (`-t nobuild`: no rebuild of whatever src_dir is now). */
export async function uploadWithPlatformio(board: BoardProfile, port: string): Promise<void> {
  await run('pio', ['run', '-d', PLATFORMIO_PROJECT, '-e', board.id, '-t', 'nobuild', '-t', 'upload', '--upload-port', port], {
    env: pioEnv(),
    what: `pio upload to ${port}`,
    hint: PIO_HINT,
  });
}
