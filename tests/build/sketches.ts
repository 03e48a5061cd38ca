// Sketch folders for the build tests: a generated one for any model, and a plain hand-written one.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateSketch } from '../../host/codegen/generate.js';
import type { GeneratedSketch } from '../../host/core/artifacts.js';
import type { BoardProfile } from '../../host/core/boards.js';
import type { ModelFile } from '../../host/core/model.js';
import { sketchName } from '../../host/core/paths.js';

export async function generatedSketch(model: ModelFile, board: BoardProfile): Promise<GeneratedSketch> {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'nn-build-')), sketchName(model.name));
  return generateSketch(model, board, { outDir: dir });
}

/** A hand-written sketch (echo), as the simulator's tests build: no model header, an extra .c file beside it. */
export function echoSketch(): { dir: string; name: string } {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'nn-echo-')), 'echo');
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'twice.c'), 'int twice(int x) { return 2 * x; }\n');
  writeFileSync(
    path.join(dir, 'echo.ino'),
    [
      'extern "C" int twice(int x);',
      'void setup() { Serial.begin(115200); Serial.println(twice(21)); }',
      'void loop() { if (Serial.available() > 0) Serial.write(Serial.read()); }',
      '',
    ].join('\n'),
  );
  return { dir, name: 'echo' };
}

/** Whether avr-gcc is installed: the board-build tier is skipped without it. */
export const hasAvrGcc = (() => {
  try {
    execFileSync('avr-gcc', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
