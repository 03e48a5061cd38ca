// `deploy-nn export`: the model as an Arduino library folder and .zip, for the user's own sketch.
import path from 'node:path';
import type { Command } from 'commander';
import { checkFits } from '../../build/size.js';
import { boardIds, getBoard } from '../../core/boards.js';
import { exportLibrary } from '../../export/export.js';
import type { ExportResult } from '../../export/export.js';
import { readModelFile } from '../../model/read-model.js';
import { emit } from '../output.js';
import { action } from '../run.js';

export function formatExport(r: ExportResult): string {
  const rel = (p: string): string => path.relative(process.cwd(), p) || p;
  return [
    `exported library ${r.name} (model ${r.modelHash}, board ${r.boardId})`,
    `  folder  ${rel(r.dir)}/`,
    `  zip     ${rel(r.zipPath)}`,
    `  example ${rel(path.join(r.dir, r.example))}`,
    'install: Arduino IDE: Sketch > Include Library > Add .ZIP Library... and pick the .zip;',
    `         PlatformIO: lib_deps = file://${r.dir} (in platformio.ini), or copy the folder into ~/Arduino/libraries/`,
    `use:     #include <${r.name}.h>  then  ${r.name}::nn_predict(inputs, outputs);`,
  ].join('\n');
}

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('write the model as an Arduino library (folder and .zip) to include in your own sketch')
    .option('--model <file>', 'model.json to export', 'model.json')
    .option('--board <id>', `board (${boardIds().join(', ')})`, 'uno')
    .option('--out <dir>', 'folder to write <name>/ and <name>.zip into', 'export')
    .option('--name <name>', 'library name, header and C++ namespace (default <model name>_nn)')
    .option('--json', 'print one JSON document', false)
    .action(
      action(async (o: { model: string; board: string; out: string; name?: string; json: boolean }) => {
        const board = getBoard(o.board);
        const model = await readModelFile(o.model);
        checkFits(model, board);
        const result = await exportLibrary(model, board, { outDir: o.out, ...(o.name === undefined ? {} : { name: o.name }) });
        emit(o, result, () => formatExport(result));
      }),
    );
}
