// `deploy-nn sim`: run a .hex on the virtual Uno and expose it as a serial device until SIGINT/SIGTERM (SIGUSR1 resets it).
import type { Command } from 'commander';
import { getBoard } from '../../core/boards.js';
import { startVirtualBoard } from '../../sim/virtual-board.js';
import type { VirtualBoard } from '../../sim/virtual-board.js';
import { action } from '../run.js';
import { note } from '../output.js';
import type { OutputOptions } from '../output.js';

export interface SimCommandOptions extends OutputOptions {
  /** Board id (a simulated one); default `uno`. */
  readonly board: string;
  /** Firmware to run (Intel HEX). */
  readonly hex: string;
  /** Pace to the board's clock (16 MHz) instead of running as fast as possible; default false. */
  readonly realtime: boolean;
  /** Device path to create; default a fresh path in a temp dir. */
  readonly link?: string | undefined;
}

/** Start the board, print its path, run until a signal, clean up. Resolves after cleanup. */
export async function runSim(opts: SimCommandOptions): Promise<void> {
  const board = getBoard(opts.board);
  const vb: VirtualBoard = await startVirtualBoard({
    hexPath: opts.hex,
    board,
    realtime: opts.realtime,
    ...(opts.link !== undefined ? { ptyPath: opts.link } : {}),
  });
  // One line on stdout (JSON with --json) so scripts can read the path and go.
  if (opts.json) process.stdout.write(`${JSON.stringify({ path: vb.path, board: board.id, hex: opts.hex })}\n`);
  else process.stdout.write(`${vb.path}\n`);
  note(opts, `virtual ${board.name} running ${opts.hex} ${opts.realtime ? 'at 16 MHz (realtime)' : 'as fast as it goes'}; open ${vb.path} at ${board.baud} baud. Ctrl-C stops, SIGUSR1 resets.`);

  await new Promise<void>((resolve) => {
    const onReset = () => {
      vb.reset();
      note(opts, 'reset (SIGUSR1)');
    };
    const onStop = () => {
      process.off('SIGINT', onStop);
      process.off('SIGTERM', onStop);
      process.off('SIGUSR1', onReset);
      resolve();
    };
    process.on('SIGINT', onStop);
    process.on('SIGTERM', onStop);
    process.on('SIGUSR1', onReset);
  });
  const s = vb.stats();
  await vb.stop();
  note(opts, `stopped: ${(s.cycles / 1e6).toFixed(1)} M cycles at ${s.simulatedMhz.toFixed(1)} MHz, ${s.bytesToBoard} bytes in, ${s.bytesToHost} out, ${s.resets} resets, ${s.connects} opens`);
}

export function registerSim(program: Command): void {
  program
    .command('sim')
    .description('Run firmware on the virtual Uno (avr8js) and expose it as a serial device (a pty), until Ctrl-C')
    .requiredOption('--hex <file>', 'firmware to run (Intel HEX, e.g. generated/<name>/build-uno/firmware.hex)')
    .option('--board <id>', 'board to simulate (uno, nano)', 'uno')
    .option('--realtime', 'run at the board clock (16 MHz) so timings match a real Uno; default: as fast as the emulator goes', false)
    .option('--link <path>', 'device path to create (a symlink to the pty); default: a fresh path in a temp dir')
    .option('--json', 'print {path, board, hex} as one JSON line', false)
    .addHelpText(
      'after',
      '\nEvery open of the device boots the board afresh (like a real Uno reset by DTR); wait for its ready line.\n' +
        'Signals: SIGINT/SIGTERM stop and clean up; SIGUSR1 presses the reset button (kill -USR1 <pid>).',
    )
    .action(
      action(async (o: { hex: string; board: string; realtime: boolean; link?: string; json: boolean }) => {
        await runSim({ hex: o.hex, board: o.board, realtime: o.realtime, link: o.link, json: o.json });
      }),
    );
}
