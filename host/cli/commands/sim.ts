// `deploy-nn sim`: run a .hex on the virtual Uno and expose it as a serial device until SIGINT/SIGTERM (SIGUSR1 resets it).
import type { Command } from 'commander';
import { BOARDS, getBoard } from '../../core/boards.js';
import { UsageError } from '../../core/errors.js';
import { findBootloader } from '../../sim/boot.js';
import { startVirtualBoard } from '../../sim/virtual-board.js';
import type { VirtualBoard } from '../../sim/virtual-board.js';
import { action } from '../run.js';
import { note } from '../output.js';
import type { OutputOptions } from '../output.js';

export interface SimCommandOptions extends OutputOptions {
  /** Board id (a simulated one); default `uno`. */
  readonly board: string;
  /** Firmware to run (Intel HEX); with a bootloader, the application already on the board (optional). */
  readonly hex?: string | undefined;
  /** Boot a bootloader (true: the board's first; or its name); uploads then go through it. */
  readonly bootloader?: boolean | string | undefined;
  /** With a bootloader: keep the flash in this file across runs. */
  readonly flashFile?: string | undefined;
  /** Pace to the board's clock (16 MHz) instead of running as fast as possible; default false. */
  readonly realtime: boolean;
  /** Device path to create; default a fresh path in a temp dir. */
  readonly link?: string | undefined;
}

/** Start the board, print its path, run until a signal, clean up. Resolves after cleanup. */
export async function runSim(opts: SimCommandOptions): Promise<void> {
  const board = getBoard(opts.board);
  const bl = opts.bootloader === undefined || opts.bootloader === false ? undefined : findBootloader(board, opts.bootloader === true ? undefined : opts.bootloader);
  if (!bl && opts.hex === undefined) throw new UsageError('sim needs --hex FILE (the firmware to run) or --bootloader (a board that takes uploads)', 'e.g. deploy-nn sim --board uno --bootloader');
  if (!bl && opts.flashFile !== undefined) throw new UsageError('--flash-file keeps what a bootloader wrote; it needs --bootloader', 'add --bootloader');
  const vb: VirtualBoard = await startVirtualBoard({
    hexPath: opts.hex,
    board,
    realtime: opts.realtime,
    bootloader: bl,
    flashFile: opts.flashFile,
    ...(opts.link !== undefined ? { ptyPath: opts.link } : {}),
  });
  // One line on stdout (JSON with --json) so scripts can read the path and go.
  if (opts.json) process.stdout.write(`${JSON.stringify({ path: vb.path, board: board.id, hex: opts.hex ?? null, bootloader: bl?.name ?? null })}\n`);
  else process.stdout.write(`${vb.path}\n`);
  if (bl) {
    note(opts, `virtual ${board.name} with ${bl.description}, ${opts.hex ? `running ${opts.hex}` : 'no sketch yet'}${opts.flashFile ? `, flash kept in ${opts.flashFile}` : ''}; upload to ${vb.path} at ${bl.baud} baud (deploy-nn upload --board ${board.id} --port ${vb.path}). Ctrl-C stops, SIGUSR1 resets.`);
  } else {
    note(opts, `virtual ${board.name} running ${opts.hex} ${opts.realtime ? 'at 16 MHz (realtime)' : 'as fast as it goes'}; open ${vb.path} at ${board.baud} baud. Ctrl-C stops, SIGUSR1 resets.`);
  }

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
    .option('--hex <file>', 'firmware to run (Intel HEX, e.g. generated/<name>/build-uno/firmware.hex); with --bootloader, the sketch already on the board')
    .option('--board <id>', `board to simulate (${BOARDS.filter((b) => b.simulated).map((b) => b.id).join(', ')})`, 'uno')
    .option('--bootloader [name]', `boot the board's bootloader, which takes uploads (avrdude, deploy-nn upload); name: ${BOARDS.filter((b) => b.simulated).map((b) => `${b.id}: ${b.bootloaders.map((x) => x.name).join(' or ')}`).join('; ')} (default the first)`)
    .option('--flash-file <file>', 'with --bootloader: keep the flash in this file, so an uploaded sketch survives a restart')
    .option('--realtime', 'run at the board clock (16 MHz) so timings match a real Uno; default: as fast as the emulator goes', false)
    .option('--link <path>', 'device path to create (a symlink to the pty); default: a fresh path in a temp dir')
    .option('--json', 'print {path, board, hex} as one JSON line', false)
    .addHelpText(
      'after',
      '\nEvery open of the device boots the board afresh (like a real Uno reset by DTR); wait for its ready line.\n' +
        'Signals: SIGINT/SIGTERM stop and clean up; SIGUSR1 presses the reset button (kill -USR1 <pid>).',
    )
    .action(
      action(async (o: { hex?: string; board: string; realtime: boolean; link?: string; json: boolean; bootloader?: boolean | string; flashFile?: string }) => {
        await runSim({ hex: o.hex, board: o.board, realtime: o.realtime, link: o.link, json: o.json, bootloader: o.bootloader, flashFile: o.flashFile });
      }),
    );
}
