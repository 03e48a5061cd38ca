// `deploy-nn upload`: build (cached, fast) and write the firmware to a board on a serial port.
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { buildSketch } from '../../build/build.js';
import { uploadFirmware } from '../../build/upload.js';
import { getBoard } from '../../core/boards.js';
import { PortNotFoundError, UsageError } from '../../core/errors.js';
import { emit, note } from '../output.js';
import { action } from '../run.js';
import { formatBuild, resolveSketch } from './build.js';

export function registerUpload(program: Command): void {
  program
    .command('upload')
    .description('build the sketch and upload it to the board (avrdude, or pio when building with PlatformIO)')
    .option('--board <id>', 'board (uno, nano, mega2560, leonardo)', 'uno')
    .requiredOption('--port <path>', 'serial port of the board, e.g. /dev/ttyACM0')
    .option('--sketch <dir>', 'sketch folder to upload')
    .option('--model <file>', 'model.json: generate and build its sketch first (default model.json)')
    .option('--json', 'print one JSON document', false)
    .action(
      action(async (o: { board: string; port: string; sketch?: string; model?: string; json: boolean }) => {
        const board = getBoard(o.board);
        if (o.port === 'sim') throw new UsageError('the virtual board needs no upload', 'use deploy-nn verify --port sim (it loads the built .hex)');
        if (!existsSync(o.port)) throw new PortNotFoundError(o.port);
        const build = await buildSketch(await resolveSketch(o, board, o), board);
        note(o, formatBuild(build));
        await uploadFirmware(build, board, o.port);
        emit(o, { build, port: o.port }, () => `uploaded ${build.hexPath} to ${o.port} (${board.name})`);
      }),
    );
}
