// `deploy-nn verify`: stream a CSV through the board (real or virtual) and check every output against the host, bit for bit.
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { getBoard, readyQueryDelayMs } from '../../core/boards.js';
import { UsageError, VerifyFailedError } from '../../core/errors.js';
import { startVirtualBoardForModel } from '../../sim/for-model.js';
import { readModelFile } from '../../model/read-model.js';
import { streamRowsForModel } from '../../data/rows.js';
import type { ComparisonReport, SessionEvent } from '../../bridge/events.js';
import { formatReport, reportPassed } from '../../bridge/report.js';
import { DisconnectedSessionError, runSession } from '../../bridge/session.js';
import { openSerialTransport } from '../../bridge/transport.js';
import { action } from '../run.js';
import { emit, note } from '../output.js';
import type { OutputOptions } from '../output.js';

export interface VerifyOptions extends OutputOptions {
  /** model.json path. */
  readonly model: string;
  /** Serial device path, or `sim` for the virtual board. */
  readonly port: string;
  /** CSV with the model's input columns (and its target column for accuracy); `-` reads stdin. */
  readonly data: string;
  /** Board id; default `uno`. */
  readonly board: string;
  /** Firmware for --port sim; default generated/<sketch>/build-<board>/firmware.hex. */
  readonly hex?: string | undefined;
  /** Run the virtual board at its real clock (16 MHz) so timings match a real Uno; default false. */
  readonly realtime: boolean;
  /** JSONL log, one line per row; default none. */
  readonly log?: string | undefined;
  /** Reply timeout per request in ms; default derived from the model size. */
  readonly timeout?: string | undefined;
}

function parseTimeout(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = Number(text);
  if (!Number.isInteger(ms) || ms < 1) throw new UsageError(`--timeout ${text} is not a whole number of milliseconds`, 'use e.g. --timeout 2000');
  return ms;
}


/** Run verify; resolves with the report, throws VerifyFailedError (after printing the report) on any mismatch or failure. */
export async function verify(opts: VerifyOptions): Promise<ComparisonReport> {
  const board = getBoard(opts.board);
  const model = await readModelFile(opts.model);
  const timeoutMs = parseTimeout(opts.timeout);
  if (opts.data !== '-' && !existsSync(opts.data)) throw new UsageError(`data file ${opts.data} does not exist`, 'give a CSV with the model\'s input columns, or - for stdin');
  const rows = streamRowsForModel(opts.data, model);
  const sim = opts.port === 'sim' ? await startVirtualBoardForModel(model, board, { hex: opts.hex, realtime: opts.realtime }) : undefined;
  const path = sim?.path ?? opts.port;
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once('SIGINT', onSigint);
  let lastNote = Date.now();
  let finishedRows = 0;
  let goodRows = 0;
  const onEvent = (e: SessionEvent): void => {
    if (e.type === 'row') {
      finishedRows++;
      if (e.row.status === 'bit-identical') goodRows++;
      if (Date.now() - lastNote >= 5000) {
        lastNote = Date.now();
        note(opts, `${finishedRows} rows checked, ${goodRows} bit-identical, ${finishedRows - goodRows} not`);
      }
    }
    if (e.type === 'state' && e.state !== 'streaming' && e.state !== 'done') note(opts, `${e.state}${e.detail ? `: ${e.detail}` : ''}`);
    if (e.type === 'ready') note(opts, `board ready: model ${e.info.model}, ${e.info.board}, window ${e.info.window}`);
  };
  let report: ComparisonReport;
  try {
    note(opts, `verifying ${model.name} (${model.hash}) on ${board.id} at ${path}${sim ? ' (virtual board)' : ''}`);
    report = await runSession({
      model,
      rows,
      transport: () => openSerialTransport({ path, baudRate: board.baud }),
      ...(sim ? {} : { queryAfterMs: readyQueryDelayMs(board) }),
      board,
      timeoutMs,
      logPath: opts.log,
      onEvent,
      signal: controller.signal,
    });
  } catch (err) {
    if (err instanceof DisconnectedSessionError) emit(opts, { ...err.report, error: err.message }, () => formatReport(err.report));
    throw err;
  } finally {
    process.removeListener('SIGINT', onSigint);
    await sim?.stop();
  }
  emit(opts, report, () => formatReport(report));
  if (!reportPassed(report)) {
    throw new VerifyFailedError(`${report.mismatched} mismatched, ${report.nonFinite} non-finite (NaN or infinite outputs) and ${report.failed} failed of ${report.rows} rows${opts.log ? `; every row is in ${opts.log}` : ''}`);
  }
  return report;
}

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description('Stream a CSV to the board, compare every output with the host bit for bit, and report')
    .requiredOption('--model <file>', 'model.json')
    .requiredOption('--port <path|sim>', 'serial device, or "sim" for the virtual Uno')
    .requiredOption('--data <file>', 'CSV with the model\'s input columns ("-" for stdin)')
    .option('--board <id>', 'board profile', 'uno')
    .option('--hex <file>', 'firmware for --port sim (default: the built sketch of the model)')
    .option('--realtime', 'run the virtual board at 16 MHz so timings match a real Uno', false)
    .option('--log <file>', 'JSONL log, one line per row')
    .option('--timeout <ms>', 'reply timeout per request (default: from the model size)')
    .option('--json', 'print the report as JSON', false)
    .action(
      action(async (o: VerifyOptions) => {
        await verify(o);
      }),
    );
}
