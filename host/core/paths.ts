// Where things live: the package's own files (read-only once installed), the user's cache, and the artefacts a run
// writes by default (relative to the working folder), so each stage can pick up the previous one's output.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BoardProfile } from './boards.js';
import { cIdentifier } from './sketch-name.js';

/**
 * The package root: two folders above this file, whether it runs from host/core/ (sources), dist/core/ (a clone or an
 * installed package). Everything under it is read-only: the tool never writes here (an installed package may sit in a
 * folder the user cannot write, and a second install would wipe it).
 */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Absolute path of a file shipped in the package, e.g. packagePath('datasets', 'iris.csv'). */
export function packagePath(...parts: string[]): string {
  return path.join(PACKAGE_ROOT, ...parts);
}

interface PackageJson {
  readonly name: string;
  readonly version: string;
  readonly engines?: { readonly node?: string };
}

let packageJson: PackageJson | undefined;

/** The package's package.json, read once: the one place the version and the Node requirement come from. */
export function readPackageJson(): PackageJson {
  packageJson ??= JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as PackageJson;
  return packageJson;
}

/** deploy-nn's version (package.json), as printed by --version and written into generated files. */
export function toolVersion(): string {
  return readPackageJson().version;
}

/**
 * The user's cache folder for deploy-nn: $XDG_CACHE_HOME/deploy-nn, else ~/.cache/deploy-nn. Holds what is costly to
 * make and safe to delete (compiled Arduino cores, PlatformIO's build folder); never anything a run's result needs.
 */
export function userCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  // The XDG spec: a relative path is invalid and must be ignored.
  const base = xdg !== undefined && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.cache');
  return path.join(base, 'deploy-nn');
}

/** The default sketch name for a model: its name as a C identifier, which is also a valid Arduino sketch name. */
export function sketchName(modelName: string): string {
  return cIdentifier(modelName);
}

/** Root for generated sketches, relative to the working folder (default `generated/`). */
export const DEFAULT_GENERATED_DIR = 'generated';

/** generated/<sketch>/ */
export function defaultSketchDir(modelName: string, root = DEFAULT_GENERATED_DIR): string {
  return path.resolve(root, sketchName(modelName));
}

/** generated/<sketch>/build-<board>/ : build outputs (ignored by git). */
export function defaultBuildDir(sketchDir: string, board: BoardProfile): string {
  return path.join(sketchDir, `build-${board.id}`);
}

/** generated/<sketch>/build-<board>/firmware.hex */
export function defaultHexPath(sketchDir: string, board: BoardProfile): string {
  return path.join(defaultBuildDir(sketchDir, board), 'firmware.hex');
}
