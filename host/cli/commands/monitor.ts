// `deploy-nn monitor`: a board (or the virtual Uno) on a live dashboard, streaming a CSV's rows or just showing the console.
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import type { BoardProfile } from '../../core/boards.js';
import { getBoard } from '../../core/boards.js';
import { UsageError, VerifyFailedError } from '../../core/errors.js';
import { startVirtualBoardForModel } from '../../sim/for-model.js';
import { readModelFile } from '../../model/read-model.js';
import { readRowsForModel } from '../../data/rows.js';
import { createSession } from '../../bridge/session.js';
import type { RowInput, Session } from '../../bridge/session.js';
import { openSerialTransport } from '../../bridge/transport.js';
import type { ComparisonReport, SessionEvent } from '../../bridge/events.js';
import type { VirtualBoard } from '../../sim/virtual-board.js';
import { attachDashboard } from '../../dashboard/attach.js';
import type { AttachedDashboard } from '../../dashboard/attach.js';
import { action } from '../run.js';
import { note } from '../output.js';
import type { OutputOptions } from '../output.js';

export { attachDashboard, openSessionDashboard } from '../../dashboard/attach.js';
export type { AttachOptions, AttachedDashboard, SessionDashboard } from '../../dashboard/attach.js';

export interface MonitorOptions extends OutputOptions {
  /** A serial device path, or `sim` for the virtual board. */
  readonly port: string;
  readonly modelPath: string;
  /** CSV to stream (columns by the model's input names); without it the page shows the console and board state only. */
  readonly dataPath?: string;
  readonly board: BoardProfile;
  /** Firmware for `--port sim` (default generated/<sketch>/build-<board>/firmware.hex). */
  readonly hexPath?: string;
  /** Run the virtual board at the board's real clock speed rather than as fast as it can (default false). */
  readonly realtime: boolean;
  /** Dashboard port on 127.0.0.1 (default 0: a free one). */
  readonly dashboardPort: number;
}

export interface MonitorRun {
  readonly url: string;
  /** Resolves with the report once the rows are done (or the session was stopped), the page still up. */
  readonly report: Promise<ComparisonReport>;
  /** Stop the session if it still runs, the virtual board and the page. */
  stop(): Promise<void>;
}


/** Rows that never come: keeps a session open for the console until `signal` aborts. */
async function* noRows(signal: AbortSignal): AsyncGenerator<RowInput> {
  if (signal.aborted) return;
  await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/** Start the board (or the virtual one), the dashboard and the session. Library form of the command. */
export async function startMonitor(opts: MonitorOptions, onEvent?: (e: SessionEvent) => void): Promise<MonitorRun> {
  const model = await readModelFile(opts.modelPath);
  const idle = new AbortController();
  let rows: RowInput[] | AsyncIterable<RowInput>;
  if (opts.dataPath !== undefined) {
    if (!existsSync(opts.dataPath)) throw new UsageError(`data file ${opts.dataPath} does not exist`, 'give a CSV with the model\'s input columns');
    const data = await readRowsForModel(opts.dataPath, model);
    rows = data.inputs.map((inputs, i) => ({ inputs, label: data.labels[i] }));
  } else {
    rows = noRows(idle.signal);
  }

  let vboard: VirtualBoard | null = null;
  let devicePath = opts.port;
  if (opts.port === 'sim') {
    vboard = await startVirtualBoardForModel(model, opts.board, { hex: opts.hexPath, realtime: opts.realtime });
    devicePath = vboard.path;
  }

  let attached: AttachedDashboard<Parameters<typeof createSession>[0]>;
  let session: Session;
  try {
    const vb = vboard;
    attached = await attachDashboard(
      {
        model,
        rows,
        board: opts.board,
        transport: () => openSerialTransport({ path: devicePath, baudRate: opts.board.baud }),
        ...(onEvent ? { onEvent } : {}),
      },
      {
        port: opts.dashboardPort,
        title: `deploy-nn monitor · ${opts.port === 'sim' ? `virtual ${opts.board.id}` : opts.port}`,
        ...(vb ? { resetBoard: () => vb.reset() } : {}),
      },
    );
    session = createSession(attached.sessionOptions);
    attached.bind(session);
  } catch (err) {
    await vboard?.stop();
    throw err;
  }

  const report = session.done.finally(async () => {
    // The board is gone with the session: no console, no reset; the page stays up with everything it saw.
    attached.unbind();
    await vboard?.stop();
    vboard = null;
  });
  report.catch(() => undefined);
  return {
    url: attached.url,
    report,
    async stop() {
      idle.abort();
      session.abort();
      await report.catch(() => undefined);
      await attached.close();
    },
  };
}

function summaryText(r: ComparisonReport): string {
  const lines = [
    `${r.rows} rows: ${r.bitIdentical} bit-identical, ${r.mismatched} mismatched (max ${r.maxUlp} ulp), ${r.nonFinite} non-finite, ${r.failed} failed`,
    `${r.rowsPerSecond.toFixed(1)} rows/s over ${r.seconds.toFixed(1)} s, ${r.resets} board reset(s), ${r.retries} retries`,
  ];
  if (r.classAgreement !== null) lines.push(`class agreement ${(100 * r.classAgreement).toFixed(2)}%`);
  if (r.latency) lines.push(`on-board latency: median ${r.latency.medianUs.toFixed(1)} us, p99 ${r.latency.p99Us.toFixed(1)} us`);
  return lines.join('\n');
}

/** Resolves on the first Ctrl-C (SIGINT) or SIGTERM; `cancel` removes the handlers. */
function waitForInterrupt(): { readonly promise: Promise<string>; cancel(): void } {
  let cancel = (): void => undefined;
  const promise = new Promise<string>((resolve) => {
    const onInt = (): void => finish('SIGINT');
    const onTerm = (): void => finish('SIGTERM');
    cancel = () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    };
    function finish(sig: string): void {
      cancel();
      resolve(sig);
    }
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
  return { promise, cancel };
}

/** The command: print the URL, stream, print the summary, serve until Ctrl-C; exit 1 if any row was not bit-identical. */
export async function runMonitor(opts: MonitorOptions): Promise<void> {
  const interrupt = waitForInterrupt();
  let rowsDone = 0;
  let mon: MonitorRun;
  try {
    mon = await startMonitor(opts, (e) => {
      if (opts.json) return;
      if (e.type === 'state') process.stderr.write(`board: ${e.state}${e.detail ? ` (${e.detail})` : ''}\n`);
      else if (e.type === 'row' && ++rowsDone % 100 === 0) process.stderr.write(`${rowsDone} rows\n`);
    });
  } catch (err) {
    interrupt.cancel();
    throw err;
  }
  if (opts.json) process.stdout.write(`${JSON.stringify({ type: 'dashboard', url: mon.url })}\n`);
  else process.stdout.write(`dashboard: ${mon.url}\n`);
  note(opts, 'Ctrl-C to stop');

  let report: ComparisonReport | null = null;
  try {
    const first = await Promise.race([mon.report.then((r) => ({ r })), interrupt.promise.then(() => null)]);
    if (first) {
      report = first.r;
      if (opts.json) process.stdout.write(`${JSON.stringify({ type: 'summary', report })}\n`);
      else process.stdout.write(`${summaryText(report)}\n`);
      note(opts, `rows done; the dashboard stays up at ${mon.url} until Ctrl-C`);
      await interrupt.promise;
    }
  } finally {
    interrupt.cancel();
    await mon.stop();
  }
  if (!report) report = await mon.report.catch(() => null);
  if (report && (report.mismatched > 0 || report.failed > 0)) {
    throw new VerifyFailedError(`${report.mismatched} mismatched and ${report.failed} failed of ${report.rows} rows`);
  }
}

function parsePort(text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) throw new UsageError(`--dashboard-port ${text} is not a TCP port`, 'give 1 to 65535, or 0 for a free one');
  return Number(text);
}

export function registerMonitor(program: Command): void {
  program
    .command('monitor')
    .description('watch a board live in the browser: rows streamed and checked bit for bit, plots, latency, console')
    .requiredOption('--port <path|sim>', 'serial device of the board, or "sim" for the virtual board')
    .requiredOption('--model <file>', 'model.json the board runs')
    .option('--data <file.csv>', 'rows to stream (columns named as the model\'s inputs); without it, only the console and board state')
    .option('--board <id>', 'board profile', 'uno')
    .option('--hex <file>', 'firmware for --port sim (default: generated/<sketch>/build-<board>/firmware.hex)')
    .option('--realtime', 'run the virtual board at its real clock speed', false)
    .option('--dashboard-port <n>', 'dashboard port on 127.0.0.1 (0: a free one)', '0')
    .option('--json', 'JSON lines on stdout: the URL, then the summary', false)
    .action(
      action(async (o: { port: string; model: string; data?: string; board: string; hex?: string; realtime: boolean; dashboardPort: string; json: boolean }) => {
        await runMonitor({
          port: o.port,
          modelPath: o.model,
          ...(o.data !== undefined ? { dataPath: o.data } : {}),
          board: getBoard(o.board),
          ...(o.hex !== undefined ? { hexPath: o.hex } : {}),
          realtime: o.realtime,
          dashboardPort: parsePort(o.dashboardPort),
          json: o.json,
        });
      }),
    );
}
