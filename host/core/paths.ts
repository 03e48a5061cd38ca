// Where artefacts live by default, so each stage can pick up the previous one's output without being told.
import path from 'node:path';
import type { BoardProfile } from './boards.js';
import { cIdentifier } from './sketch-name.js';

/** The default sketch name for a model: its name as a C identifier, which is also a valid Arduino sketch name. */
export function sketchName(modelName: string): string {
  return cIdentifier(modelName);
}

/** Project-relative root for generated sketches (default `generated/`). */
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
