// generateSketch: model.json + board -> an Arduino sketch folder (generated/<name>/) that builds and speaks the bridge protocol.
import path from 'node:path';
import type { BoardProfile } from '../core/boards.js';
import type { GeneratedSketch } from '../core/artifacts.js';
import type { ModelFile } from '../core/model.js';
import { defaultSketchDir, sketchName } from '../core/paths.js';
import { checkSketchName } from '../core/sketch-name.js';
import { buildSketchView } from './view-model.js';
import { renderSketch } from './render.js';
import { writeSketchFiles } from './write.js';
import { platformioIni } from '../build/platformio.js';

export interface GenerateOptions {
  /** Sketch folder; default generated/<sketch name> (defaultSketchDir). The .ino is named after the folder. */
  readonly outDir?: string;
}

export async function generateSketch(model: ModelFile, board: BoardProfile, opts: GenerateOptions = {}): Promise<GeneratedSketch> {
  const dir = path.resolve(opts.outDir ?? defaultSketchDir(model.name));
  // The Arduino IDE opens a sketch only when the .ino is named after its folder.
  const name = opts.outDir === undefined ? sketchName(model.name) : path.basename(dir);
  checkSketchName(name);
  // The folder is also a PlatformIO project of its own (src_dir = the sketch), for `pio run -t upload` and VS Code.
  const files = [...renderSketch(buildSketchView(model, board, { sketchName: name })), { name: 'platformio.ini', text: platformioIni({ srcDir: '.', defaultEnv: board.id }) }];
  const written = await writeSketchFiles(dir, files);
  return { name, dir, inoPath: path.join(dir, `${name}.ino`), files: written, boardId: board.id, modelHash: model.hash };
}
