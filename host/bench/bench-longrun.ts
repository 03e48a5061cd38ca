// Long run: rows from a streaming generator through the virtual Uno over a real pty, with a board reset and a garbage burst at fixed intervals; every row accounted for, host memory sampled.
//
//   npm run bench:longrun -- [--rows 100000] [--every 10000] [--dataset demo]
//
// Every `every` finished rows the board is reset (VirtualBoard.reset(), the reset button), and half way between
// resets a burst of random bytes (newlines, NULs, bytes >= 0x80) is put on the line to the board (injectToBoard).
// Rows are made on demand from their index, so nothing grows with the row count but the session's latency list
// (8 bytes a row) and the bitmap of rows seen here (1 byte a row); each board output is checked again here against
// forward() of the row regenerated from its index, independently of the session's own comparison.
import { pathToFileURL } from 'node:url';
import type { BoardProfile } from '../core/boards.js';
import type { ModelFile } from '../core/model.js';
import { inputCount } from '../core/model.js';
import { f32Bits } from '../core/f32.js';
import { forward } from '../model/forward.js';
import type { ComparisonReport, SessionEvent } from '../bridge/events.js';
import { createSession } from '../bridge/session.js';
import type { RowInput } from '../bridge/session.js';
import { openSerialTransport } from '../bridge/transport.js';
import { startVirtualBoard } from '../sim/virtual-board.js';
import { buildFirmware } from './bench-fuzz.js';
import { argValue } from './args.js';

export interface LongRunOptions {
  readonly model: ModelFile;
  readonly hexPath: string;
  readonly board: BoardProfile;
  /** Rows to stream (default 100,000). */
  readonly rows?: number;
  /** Reset the board every this many finished rows, and inject garbage half way between (default 10,000). */
  readonly every?: number;
  /** Rows of the data set mixed into the generated rows (default: random inputs only). */
  readonly sampleRows?: readonly (readonly number[])[];
  /** Seed of the row generator and the garbage (default 1). */
  readonly seed?: number;
  /** RSS sampling period, ms (default 250). */
  readonly sampleMs?: number;
  /** Called every 1,000 finished rows. */
  readonly onProgress?: (finished: number, rssBytes: number) => void;
}

export interface RssSample {
  readonly rows: number;
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
}

export interface LongRunReport {
  readonly rows: number;
  readonly report: ComparisonReport;
  /** Row indices finished exactly once, more than once, never. */
  readonly accountedOnce: number;
  readonly duplicates: number;
  readonly missing: number;
  /** Board outputs that differ from forward() of the row regenerated here. */
  readonly independentMismatches: number;
  /** Why rows failed, with counts. */
  readonly failReasons: Record<string, number>;
  readonly resetsFired: number;
  readonly burstsFired: number;
  readonly garbageBytes: number;
  readonly wallSeconds: number;
  readonly rowsPerSecond: number;
  readonly peakRssBytes: number;
  /** Peak RSS over the first tenth of the rows and over the last tenth: equal within noise when memory is flat. */
  readonly rssFirstTenthBytes: number;
  readonly rssLastTenthBytes: number;
  readonly heapFirstTenthBytes: number;
  readonly heapLastTenthBytes: number;
  /** RSS at every tenth of the run, for the record. */
  readonly rssByTenth: readonly number[];
  readonly samples: number;
}

/** splitmix32 of (seed, index, k): the k-th random word of row `index`, with no state kept between rows. */
function hashWord(seed: number, index: number, k: number): number {
  let z = (Math.imul(seed, 0x9e3779b9) ^ Math.imul(index + 1, 0x85ebca6b) ^ Math.imul(k + 1, 0xc2b2ae35)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** The raw inputs of row `index`: every fourth a data set row, the others uniform in [-4, 4), all exact float32. */
export function longRunRow(index: number, nIn: number, seed: number, sampleRows: readonly (readonly number[])[] = []): number[] {
  if (sampleRows.length > 0 && index % 4 === 0) {
    const row = sampleRows[hashWord(seed, index, 99) % sampleRows.length] as readonly number[];
    return row.map((v) => Math.fround(v));
  }
  return Array.from({ length: nIn }, (_x, k) => Math.fround((hashWord(seed, index, k) / 2 ** 32 - 0.5) * 8));
}

/** Stream `rows` rows through a fresh virtual board over its pty, with the faults; resolves when the session ends. */
export async function runLongRun(opts: LongRunOptions): Promise<LongRunReport> {
  const { model, board } = opts;
  const rows = opts.rows ?? 100_000;
  const every = opts.every ?? 10_000;
  const seed = opts.seed ?? 1;
  const nIn = inputCount(model);
  const samplesIn = opts.sampleRows ?? [];

  const seen = new Uint8Array(rows);
  let finished = 0;
  let independentMismatches = 0;
  const failReasons: Record<string, number> = {};
  let resetsFired = 0;
  let burstsFired = 0;
  let garbageBytes = 0;
  let garbageState = seed ^ 0x5bd1e995;
  const garbage = (): Uint8Array => {
    const n = 64 + (hashWord(garbageState, burstsFired, 0) % 192);
    return Uint8Array.from({ length: n }, (_x, i) => {
      const w = hashWord(garbageState, burstsFired, i + 1);
      const p = w % 100;
      return p < 5 ? 0x0a : p < 10 ? 0x00 : p < 45 ? 0x80 | (w >>> 8) % 128 : (w >>> 8) % 128;
    });
  };

  const vb = await startVirtualBoard({ hexPath: opts.hexPath, board });
  const rss: RssSample[] = [];
  const sample = (): void => {
    const m = process.memoryUsage();
    rss.push({ rows: finished, rssBytes: m.rss, heapUsedBytes: m.heapUsed });
  };
  const sampler = setInterval(sample, opts.sampleMs ?? 250);
  const t0 = performance.now();

  function* source(): Generator<RowInput> {
    for (let i = 0; i < rows; i++) yield { inputs: longRunRow(i, nIn, seed, samplesIn) };
  }

  const onEvent = (e: SessionEvent): void => {
    if (e.type !== 'row') return;
    const row = e.row;
    finished++;
    if (row.index >= 0 && row.index < rows) seen[row.index] = Math.min(255, (seen[row.index] as number) + 1);
    if (row.status === 'failed') {
      const reason = (row.error ?? 'unknown').replace(/\d+/g, 'N');
      failReasons[reason] = (failReasons[reason] ?? 0) + 1;
    } else {
      const host = forward(model, longRunRow(row.index, nIn, seed, samplesIn));
      const b = row.boardOutputs ?? [];
      if (b.length !== host.length || !host.every((h, i) => f32Bits(h) === f32Bits(b[i] as number))) independentMismatches++;
    }
    if (finished % 1000 === 0) opts.onProgress?.(finished, process.memoryUsage().rss);
    if (finished >= rows) return;
    if (finished % every === 0) {
      resetsFired++;
      vb.reset();
    } else if (finished % every === Math.floor(every / 2)) {
      const g = garbage();
      burstsFired++;
      garbageBytes += g.length;
      vb.injectToBoard(g);
    }
  };

  let report: ComparisonReport;
  try {
    report = await createSession({
      model,
      board,
      rows: source(),
      transport: () => openSerialTransport({ path: vb.path, baudRate: board.baud }),
      onEvent,
    }).done;
  } finally {
    clearInterval(sampler);
    await vb.stop();
  }
  sample();
  const wallSeconds = (performance.now() - t0) / 1000;

  let accountedOnce = 0;
  let duplicates = 0;
  let missing = 0;
  for (let i = 0; i < rows; i++) {
    const n = seen[i] as number;
    if (n === 1) accountedOnce++;
    else if (n === 0) missing++;
    else duplicates++;
  }
  const peak = (xs: RssSample[], key: 'rssBytes' | 'heapUsedBytes'): number => xs.reduce((m, s) => Math.max(m, s[key]), 0);
  const first = rss.filter((s) => s.rows <= rows / 10);
  const last = rss.filter((s) => s.rows >= (rows * 9) / 10);
  const rssByTenth: number[] = [];
  for (let k = 1; k <= 10; k++) rssByTenth.push(rss.find((s) => s.rows >= (rows * k) / 10)?.rssBytes ?? 0);
  return {
    rows,
    report,
    accountedOnce,
    duplicates,
    missing,
    independentMismatches,
    failReasons,
    resetsFired,
    burstsFired,
    garbageBytes,
    wallSeconds,
    rowsPerSecond: rows / wallSeconds,
    peakRssBytes: peak(rss, 'rssBytes'),
    rssFirstTenthBytes: peak(first, 'rssBytes'),
    rssLastTenthBytes: peak(last, 'rssBytes'),
    heapFirstTenthBytes: peak(first, 'heapUsedBytes'),
    heapLastTenthBytes: peak(last, 'heapUsedBytes'),
    rssByTenth,
    samples: rss.length,
  };
}

const mb = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MB`;

export function formatLongRun(l: LongRunReport, label: string): string {
  const r = l.report;
  const reasons = Object.entries(l.failReasons).map(([k, v]) => `${v} x ${k}`).join('; ');
  return [
    `long run ${label}: ${l.rows} rows from a generator over the pty, fast mode`,
    `  faults          ${l.resetsFired} resets, ${l.burstsFired} garbage bursts (${l.garbageBytes} bytes)`,
    `  rows            ${r.rows} in the report: ${r.bitIdentical} bit-identical, ${r.mismatched} mismatched, ${r.failed} failed${reasons ? ` (${reasons})` : ''}`,
    `  accounted       ${l.accountedOnce} rows exactly once, ${l.duplicates} twice or more, ${l.missing} never; ${l.independentMismatches} differ from forward() here`,
    `  session         ${r.sent} requests sent, ${r.retries} retries, ${r.resets} resets seen, ${r.boardErrors} board errors, ${r.garbledLines} garbled lines`,
    `  throughput      ${l.rowsPerSecond.toFixed(0)} rows/s over ${l.wallSeconds.toFixed(1)} s`,
    `  host memory     peak RSS ${mb(l.peakRssBytes)}; peak RSS first tenth ${mb(l.rssFirstTenthBytes)}, last tenth ${mb(l.rssLastTenthBytes)}; heap first tenth ${mb(l.heapFirstTenthBytes)}, last tenth ${mb(l.heapLastTenthBytes)}`,
    `  RSS by tenth    ${l.rssByTenth.map((b) => (b / 2 ** 20).toFixed(0)).join(' ')} MB (${l.samples} samples)`,
  ].join('\n');
}

async function main(): Promise<void> {
  const datasetName = argValue('--dataset') ?? 'demo';
  const rows = Number(argValue('--rows') ?? '100000');
  const every = Number(argValue('--every') ?? String(Math.max(1, Math.round(rows / 10))));
  const fw = await buildFirmware(datasetName);
  const l = await runLongRun({
    model: fw.model,
    hexPath: fw.hexPath,
    board: fw.board,
    rows,
    every,
    sampleRows: fw.dataset.inputs,
    onProgress: (n, rss) => process.stderr.write(`\r${n} rows, RSS ${mb(rss)}   `),
  });
  process.stderr.write('\n');
  console.log(formatLongRun(l, `${datasetName} (${fw.model.hash}) on the virtual ${fw.board.id}, reset every ${every} rows, garbage burst half way between`));
  if (l.accountedOnce !== rows || l.report.bitIdentical !== rows || l.independentMismatches > 0) process.exitCode = 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 2;
  });
}
