// exportLibrary: writes the library folder <out>/<name>/ and <out>/<name>.zip (the folder inside), the two install routes.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BoardProfile } from '../core/boards.js';
import { UsageError } from '../core/errors.js';
import type { ModelFile } from '../core/model.js';
import { buildLibrary } from './library.js';
import { makeZip } from './zip.js';

export interface ExportResult {
  readonly name: string;
  /** Absolute path of the library folder. */
  readonly dir: string;
  readonly zipPath: string;
  /** Paths inside the library folder. */
  readonly files: readonly string[];
  readonly example: string;
  readonly boardId: string;
  readonly modelHash: string;
}

/** A folder we may replace: absent, or a library deploy-nn wrote (its library.properties says so). */
async function replaceable(dir: string): Promise<boolean> {
  if (!existsSync(dir)) return true;
  const props = path.join(dir, 'library.properties');
  return existsSync(props) && /^author=deploy-nn$/m.test(await readFile(props, 'utf8'));
}

export async function exportLibrary(model: ModelFile, board: BoardProfile, opts: { outDir: string; name?: string }): Promise<ExportResult> {
  const lib = buildLibrary(model, board, opts.name === undefined ? {} : { name: opts.name });
  const out = path.resolve(opts.outDir);
  const dir = path.join(out, lib.name);
  if (!(await replaceable(dir))) {
    throw new UsageError(`${dir} exists and is not a library deploy-nn exported`, 'give another --out, or --name for another library name');
  }
  // A fresh folder: files an older export had and this one does not must not linger.
  await rm(dir, { recursive: true, force: true });
  for (const f of lib.files) {
    const target = path.join(dir, ...f.path.split('/'));
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, f.text);
  }
  const folders = [...new Set(lib.files.flatMap((f) => f.path.split('/').slice(0, -1).map((_, i, parts) => `${parts.slice(0, i + 1).join('/')}/`)))].sort();
  const zip = makeZip([
    { name: `${lib.name}/` },
    ...folders.map((d) => ({ name: `${lib.name}/${d}` })),
    ...lib.files.map((f) => ({ name: `${lib.name}/${f.path}`, data: Buffer.from(f.text, 'utf8') })),
  ]);
  const zipPath = path.join(out, `${lib.name}.zip`);
  await writeFile(zipPath, zip);
  return {
    name: lib.name,
    dir,
    zipPath,
    files: lib.files.map((f) => f.path),
    example: `examples/${lib.exampleName}/${lib.exampleName}.ino`,
    boardId: board.id,
    modelHash: model.hash,
  };
}
