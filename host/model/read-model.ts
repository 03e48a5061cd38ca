// Reading model.json from disk: the one place a command turns a path into a validated ModelFile.
import { readFile } from 'node:fs/promises';
import type { ModelFile } from '../core/model.js';
import { UsageError } from '../core/errors.js';
import { parseModel } from './model-file.js';

/** Read and validate a model.json; a file that cannot be read is a usage error naming it and how to make one. */
export async function readModelFile(file: string): Promise<ModelFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(
      `cannot read the model ${file}: ${code === 'ENOENT' ? 'ENOENT, the model file does not exist' : (code ?? (err as Error).message)}`,
      'train one first (deploy-nn train ... --out model.json) or give the path of a model.json',
    );
  }
  return parseModel(text, file);
}
