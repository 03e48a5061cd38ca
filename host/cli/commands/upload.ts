// `deploy-nn upload`: build (cached, fast) and write the firmware to a board on a serial port, through its bootloader.
import type { Command } from 'commander';
import { buildSketch } from '../../build/build.js';
import { uploadFirmware } from '../../build/upload.js';
import { boardIds, getBoard } from '../../core/boards.js';
import { UsageError } from '../../core/errors.js';
import { pickAutoPort } from '../../ports/auto.js';
import { checkPort } from '../../ports/check.js';
import { listSerialPorts } from '../../ports/touch.js';
import { emit, note } from '../output.js';
import { action } from '../run.js';
import { formatBuild, resolveSketch } from './build.js';

/** The port to use: `auto` picks the one Arduino attached (see pickAutoPort); `sim` is refused (nothing to upload to). */
export async function resolvePort(port: string, board: ReturnType<typeof getBoard>, onNote: (m: string) => void): Promise<string> {
  if (port === 'sim') throw new UsageError('the virtual board of --port sim loads the built .hex itself; it needs no upload', 'use deploy-nn verify --port sim, or start a board that takes uploads: deploy-nn sim --board uno --bootloader');
  if (port !== 'auto') return port;
  const found = await pickAutoPort(board, listSerialPorts);
  onNote(`--port auto: ${found.path}${found.arduino ? ` (${found.arduino.name})` : ''}`);
  return found.path;
}

export function registerUpload(program: Command): void {
  program
    .command('upload')
    .description('build the sketch and upload it to the board through its bootloader (avrdude, or pio when building with PlatformIO)')
    .option('--board <id>', `board (${boardIds().join(', ')})`, 'uno')
    .requiredOption('--port <path|auto>', 'serial port of the board, e.g. /dev/ttyACM0, or auto for the one Arduino attached (deploy-nn ports lists them)')
    .option('--sketch <dir>', 'sketch folder to upload')
    .option('--model <file>', 'model.json: generate and build its sketch first (default model.json)')
    .option('--json', 'print one JSON document', false)
    .action(
      action(async (o: { board: string; port: string; sketch?: string; model?: string; json: boolean }) => {
        const board = getBoard(o.board);
        const port = await resolvePort(o.port, board, (m) => note(o, m));
        checkPort(port); // before building: a wrong port is found in a millisecond
        const build = await buildSketch(await resolveSketch(o, board, o), board);
        note(o, formatBuild(build));
        const result = await uploadFirmware(build, board, port, { onNote: (m) => note(o, m) });
        emit(o, { build, upload: result, port: result.port }, () => `uploaded ${build.hexPath} to ${result.port} (${board.name}, ${result.protocol} at ${result.baud} baud, ${result.bytes} bytes written and verified in ${result.seconds.toFixed(1)} s)`);
      }),
    );
}
