// The only writer of generated/: files go into one folder and nowhere else.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../core/errors.js';
import type { RenderedFile } from './render.js';

/** Write each file into `dir` (created if needed); a name that would land outside `dir` is refused. Returns absolute paths. */
export async function writeSketchFiles(dir: string, files: readonly RenderedFile[]): Promise<string[]> {
  const root = path.resolve(dir);
  const targets = files.map((f) => {
    const target = path.resolve(root, f.name);
    if (path.dirname(target) !== root) {
      throw new UsageError(`refusing to write "${f.name}": generated files go directly into ${root}`, 'file names must not contain / or ..');
    }
    return target;
  });
  await mkdir(root, { recursive: true });
  await Promise.all(files.map((f, i) => writeFile(targets[i]!, f.text)));
  return targets;
}
