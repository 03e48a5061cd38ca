// Where artefacts live by default, so each stage can pick up the previous one's output without being told.
import path from 'node:path';
import type { BoardProfile } from './boards.js';

/** The sketch name for a model: its name as a C identifier (lowercase, [a-z0-9_], not starting with a digit). */
export function sketchName(modelName: string): string {
  let id = modelName.toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
  if (id === '') id = 'model';
  if (/^[0-9]/.test(id)) id = `nn_${id}`;
  return id.slice(0, 48);
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
