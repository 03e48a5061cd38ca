// The one-shot command: `deploy-nn --board uno [--data FILE.csv] [--port PATH]` runs every stage in one go.
import type { Command } from 'commander';
import { boardIds, getBoard } from '../../core/boards.js';
import { UsageError, VerifyFailedError } from '../../core/errors.js';
import { deploy } from '../../pipeline/deploy.js';
import type { DeployReport } from '../../pipeline/deploy.js';
import { formatReport, reportPassed } from '../../bridge/report.js';
import { openSessionDashboard } from '../../dashboard/attach.js';
import type { SessionDashboard } from '../../dashboard/attach.js';
import { action } from '../run.js';
import { emit, note } from '../output.js';
import type { OutputOptions } from '../output.js';
import { TOOLCHAINS } from '../../build/toolchains.js';
import type { ToolchainChoice } from '../../build/toolchains.js';

interface DeployCliOptions {
  board?: string;
  data?: string;
  dataset?: string;
  label?: string;
  port?: string;
  realtime?: boolean;
  seed?: string;
  epochs?: string;
  toolchain?: string;
  outDir?: string;
  json?: boolean;
  dashboard?: boolean;
  dashboardPort?: string;
}

function wholeNumber(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new UsageError(`--${name} must be a whole number, got "${v}"`);
  return Number(v);
}

const kb = (n: number): string => n.toLocaleString('en-US');

export function formatDeployReport(r: DeployReport): string {
  const ev = r.train.evaluation;
  const quality =
    ev.accuracy !== undefined
      ? `accuracy ${(100 * ev.accuracy).toFixed(2)}% on ${ev.rows} ${ev.split} rows`
      : `MSE ${ev.mse?.toPrecision(4)} on ${ev.rows} ${ev.split} rows`;
  const closeness = r.train.stopMetric === 'closeness' && ev.meanAbsError !== undefined ? `, closeness ${(100 * (1 - ev.meanAbsError)).toFixed(4)}%` : '';
  const b = r.build;
  return [
    `deploy-nn: ${r.train.dataset} on ${r.board}${r.virtual ? ' (virtual board)' : ''}`,
    `  train     ${r.train.architecture}, ${r.train.rows} rows, ${r.train.epochs} epochs (${r.train.stopReason}): ${quality}${closeness}`,
    `  model     ${r.train.hash}  ${r.train.modelPath}`,
    `  sketch    ${r.generate.dir}`,
    `  build     flash ${kb(b.flashBytes)} / ${kb(b.flashLimit)} B (${((100 * b.flashBytes) / b.flashLimit).toFixed(1)}%), ` +
      `SRAM ${kb(b.sramBytes)} / ${kb(b.sramLimit)} B (${((100 * b.sramBytes) / b.sramLimit).toFixed(1)}%), ${b.toolchain} toolchain`,
    `  hex       ${b.hexPath}`,
    '',
    formatReport(r.verify),
    `  row log   ${r.logPath}`,
  ].join('\n');
}

export function registerDeploy(program: Command): void {
  program
    .option('--board <id>', `board to deploy to (${boardIds().join(', ')})`)
    .option('--data <file.csv>', 'CSV to train on (default: the built-in demo)')
    .option('--dataset <name>', 'built-in data set: demo, hinge6, iris, digits', 'demo')
    .option('--label <column>', 'label column of the CSV (default: the last)')
    .option('--port <path>', 'serial port of a real board (auto: the one Arduino attached), or sim for the virtual board (the default)')
    .option('--realtime', 'run the virtual board at the real 16 MHz')
    .option('--seed <n>', 'training seed')
    .option('--epochs <n>', 'training epochs (default: the data set\'s preset)')
    .option('--toolchain <name>', TOOLCHAINS.join(', '), 'auto')
    .option('--out-dir <dir>', 'folder for model.json, report.json and the row log (default out/<model>)')
    .option('--dashboard', 'watch the rows live in the browser (a page on 127.0.0.1); keeps serving until Ctrl-C')
    .option('--dashboard-port <n>', 'port of the dashboard (default: a free one)')
    .option('--json', 'print one JSON report on stdout')
    .action(
      action(async (o: DeployCliOptions) => {
        if (!o.board) {
          program.outputHelp();
          throw new UsageError('missing --board', 'run e.g. `deploy-nn --board uno`, or a subcommand (see above)');
        }
        if (!TOOLCHAINS.includes(o.toolchain as ToolchainChoice)) {
          throw new UsageError(`unknown toolchain "${o.toolchain}"`, `choose one of: ${TOOLCHAINS.join(', ')}`);
        }
        const out: OutputOptions = { json: o.json === true };
        const board = getBoard(o.board);
        const seed = wholeNumber('seed', o.seed);
        const epochs = wholeNumber('epochs', o.epochs);
        const dashboardPort = wholeNumber('dashboard-port', o.dashboardPort);
        let dashboard: SessionDashboard | undefined;
        const report = await deploy({
          board,
          ...(o.data ? { data: o.data } : { dataset: o.dataset ?? 'demo' }),
          ...(o.label ? { label: o.label } : {}),
          ...(o.port ? { port: o.port } : {}),
          realtime: o.realtime === true,
          train: { ...(seed !== undefined ? { seed } : {}), ...(epochs !== undefined ? { epochs } : {}) },
          toolchain: o.toolchain as ToolchainChoice,
          ...(o.outDir ? { outDir: o.outDir } : {}),
          onStage: (stage, message) => note(out, `[${stage}] ${message}`),
          ...(o.dashboard
            ? {
                attach: async (model, rowCount) => {
                  dashboard = await openSessionDashboard(model, { expectedRows: rowCount, ...(dashboardPort !== undefined ? { port: dashboardPort } : {}) });
                  note(out, `[dashboard] ${dashboard.url}`);
                  return dashboard;
                },
              }
            : {}),
        }).catch(async (err: unknown) => {
          await dashboard?.close();
          throw err;
        });
        emit(out, report, () => formatDeployReport(report));
        if (dashboard) {
          note(out, `[dashboard] still serving ${dashboard.url}; Ctrl-C to stop`);
          await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
          await dashboard.close();
        }
        if (!reportPassed(report.verify)) {
          throw new VerifyFailedError(`${report.verify.mismatched} rows mismatched and ${report.verify.failed} failed; see ${report.logPath}`);
        }
      }),
    );
}
