// Comparing board outputs with the host's and summing row results into a ComparisonReport (pure, no I/O).
import type { ModelFile } from '../core/model.js';
import { f32Bits, ulpDistance } from '../core/f32.js';
import { predictLabel } from '../model/forward.js';
import type { ComparisonReport, LatencySummary, RowResult, RowStatus } from './events.js';

export interface OutputComparison {
  readonly status: Exclude<RowStatus, 'failed'>;
  /** Largest ulp distance over the outputs (Infinity when one side is NaN and the other is not the same NaN). */
  readonly maxUlp: number;
  readonly hostPrediction: string | undefined;
  readonly boardPrediction: string | undefined;
}

/** Bit-for-bit comparison of one output vector; predictions for classification and binary models only. */
export function compareOutputs(
  model: Pick<ModelFile, 'task' | 'labels' | 'threshold'>,
  host: ArrayLike<number>,
  board: ArrayLike<number>,
): OutputComparison {
  if (host.length !== board.length) throw new RangeError(`compareOutputs: ${host.length} host outputs, ${board.length} board outputs`);
  let identical = true;
  let maxUlp = 0;
  for (let i = 0; i < host.length; i++) {
    const h = host[i] as number;
    const b = board[i] as number;
    if (f32Bits(h) === f32Bits(b)) continue;
    identical = false;
    // +0 and -0 are 0 ulp apart but not the same bits: count them as 1 so a mismatch never reads "0 ulp".
    maxUlp = Math.max(maxUlp, ulpDistance(h, b) || 1);
  }
  const classes = model.task !== 'regression';
  return {
    status: identical ? 'bit-identical' : 'mismatched',
    maxUlp,
    hostPrediction: classes ? predictLabel(model, host) : undefined,
    boardPrediction: classes ? predictLabel(model, board) : undefined,
  };
}

/** Nearest-rank percentile of sorted values (p in 0..100). */
function percentile(sorted: ArrayLike<number>, p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

export function summarizeLatency(latenciesUs: ArrayLike<number>): LatencySummary | null {
  if (latenciesUs.length === 0) return null;
  const sorted = Float64Array.from(latenciesUs).sort();
  return {
    minUs: sorted[0] as number,
    medianUs: percentile(sorted, 50),
    p99Us: percentile(sorted, 99),
    maxUs: sorted[sorted.length - 1] as number,
  };
}

/** Running totals of a session; memory grows only by one float64 per answered row (the latencies). */
export class ReportAccumulator {
  rows = 0;
  sent = 0;
  answered = 0;
  bitIdentical = 0;
  mismatched = 0;
  failed = 0;
  maxUlp = 0;
  resets = 0;
  garbledLines = 0;
  boardErrors = 0;
  retries = 0;
  private classAnswered = 0;
  private classAgree = 0;
  private labelled = 0;
  private labelAgree = 0;
  private latencies = new Float64Array(1024);
  private latencyCount = 0;

  constructor(private readonly model: Pick<ModelFile, 'task' | 'hash'>) {}

  add(row: RowResult): void {
    this.rows++;
    if (row.status === 'failed') {
      this.failed++;
      return;
    }
    this.answered++;
    if (row.status === 'bit-identical') this.bitIdentical++;
    else this.mismatched++;
    if (row.maxUlp !== null) this.maxUlp = Math.max(this.maxUlp, row.maxUlp);
    if (this.model.task !== 'regression') {
      this.classAnswered++;
      if (row.hostPrediction === row.boardPrediction) this.classAgree++;
      if (row.label !== undefined) {
        this.labelled++;
        if (row.label === row.boardPrediction) this.labelAgree++;
      }
    }
    if (row.latencyUs !== null) {
      if (this.latencyCount === this.latencies.length) {
        const grown = new Float64Array(this.latencies.length * 2);
        grown.set(this.latencies);
        this.latencies = grown;
      }
      this.latencies[this.latencyCount++] = row.latencyUs;
    }
  }

  build(info: { boardHash: string | null; boardId: string; port: string; seconds: number }): ComparisonReport {
    const done = this.bitIdentical + this.mismatched + this.failed;
    return {
      modelHash: this.model.hash,
      boardHash: info.boardHash,
      boardId: info.boardId,
      port: info.port,
      rows: this.rows,
      sent: this.sent,
      answered: this.answered,
      bitIdentical: this.bitIdentical,
      mismatched: this.mismatched,
      failed: this.failed,
      maxUlp: this.maxUlp,
      classAgreement: this.classAnswered > 0 ? this.classAgree / this.classAnswered : null,
      boardAccuracy: this.labelled > 0 ? this.labelAgree / this.labelled : null,
      latency: summarizeLatency(this.latencies.subarray(0, this.latencyCount)),
      rowsPerSecond: info.seconds > 0 ? done / info.seconds : 0,
      seconds: info.seconds,
      resets: this.resets,
      garbledLines: this.garbledLines,
      boardErrors: this.boardErrors,
      retries: this.retries,
    };
  }
}

/** True when every row was answered bit-identically. */
export function reportPassed(report: ComparisonReport): boolean {
  return report.rows > 0 && report.bitIdentical === report.rows;
}

const pct = (x: number | null): string => (x === null ? 'n/a' : `${(100 * x).toFixed(2)}%`);
const us = (x: number): string => (x >= 1000 ? `${(x / 1000).toFixed(2)} ms` : `${x.toFixed(1)} µs`);

/** The report for the terminal, a few aligned lines. */
export function formatReport(r: ComparisonReport): string {
  const verdict = reportPassed(r) ? 'PASS: every output bit-identical' : `FAIL: ${r.mismatched} mismatched, ${r.failed} failed`;
  const lines = [
    `verify ${r.modelHash} on ${r.boardId} at ${r.port}${r.boardHash && r.boardHash !== r.modelHash ? ` (board runs ${r.boardHash})` : ''}`,
    `  rows          ${r.rows} (sent ${r.sent} requests, ${r.retries} retries)`,
    `  answered      ${r.answered}`,
    `  bit-identical ${r.bitIdentical}`,
    `  mismatched    ${r.mismatched}${r.mismatched > 0 ? ` (largest difference ${r.maxUlp} ulp)` : ''}`,
    `  failed        ${r.failed}`,
    `  class agree   ${pct(r.classAgreement)}${r.boardAccuracy !== null ? `   board accuracy ${pct(r.boardAccuracy)}` : ''}`,
    r.latency
      ? `  latency       min ${us(r.latency.minUs)}  median ${us(r.latency.medianUs)}  p99 ${us(r.latency.p99Us)}  max ${us(r.latency.maxUs)} (on-board cycles)`
      : '  latency       n/a',
    `  throughput    ${r.rowsPerSecond.toFixed(1)} rows/s over ${r.seconds.toFixed(2)} s`,
    `  line faults   ${r.resets} resets, ${r.garbledLines} garbled lines, ${r.boardErrors} board errors`,
    verdict,
  ];
  return lines.join('\n');
}
