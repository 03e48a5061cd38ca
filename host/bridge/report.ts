// Comparing board outputs with the host's and summing row results into a ComparisonReport (pure, no I/O).
import type { ModelFile } from '../core/model.js';
import { f32Bits, f32ToHex, ulpDistance } from '../core/f32.js';
import { predictLabel } from '../model/forward.js';
import type { ComparisonReport, LatencySummary, NonFiniteRow, RowResult, RowStatus } from './events.js';

export interface OutputComparison {
  readonly status: Exclude<RowStatus, 'failed'>;
  /** Largest ulp distance over the outputs (Infinity when one side is NaN and the other is not the same NaN). */
  readonly maxUlp: number;
  readonly hostPrediction: string | undefined;
  readonly boardPrediction: string | undefined;
}

/** Rows with a non-finite output kept in the report with their bits. */
export const NON_FINITE_EXAMPLES = 5;

/** The exact float32 bits of each value as 8 hex digits (NaN payloads included). */
export function bitsHex(values: ArrayLike<number>): string[] {
  return Array.from(values, (v) => f32ToHex(v));
}

/**
 * Bit-for-bit comparison of one output vector; predictions for classification and binary models only.
 * A NaN or infinite output on either side makes the row `non-finite`, with no prediction: argmax over NaN would
 * name the first class, which must never count as correct.
 */
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
  const finite = Array.prototype.every.call(host, Number.isFinite) && Array.prototype.every.call(board, Number.isFinite);
  if (!finite) return { status: 'non-finite', maxUlp, hostPrediction: undefined, boardPrediction: undefined };
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
  nonFinite = 0;
  maxUlp = 0;
  private readonly nonFiniteRows: NonFiniteRow[] = [];
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
    else if (row.status === 'non-finite') {
      this.nonFinite++;
      if (this.nonFiniteRows.length < NON_FINITE_EXAMPLES) {
        this.nonFiniteRows.push({ index: row.index, hostBits: bitsHex(row.hostOutputs), boardBits: bitsHex(row.boardOutputs ?? []) });
      }
    } else this.mismatched++;
    if (row.maxUlp !== null && row.status === 'mismatched') this.maxUlp = Math.max(this.maxUlp, row.maxUlp);
    if (this.model.task !== 'regression') {
      // A non-finite row counts as answered and as neither agreeing nor correct.
      this.classAnswered++;
      if (row.status !== 'non-finite' && row.hostPrediction === row.boardPrediction) this.classAgree++;
      if (row.label !== undefined) {
        this.labelled++;
        if (row.status !== 'non-finite' && row.label === row.boardPrediction) this.labelAgree++;
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
    const done = this.bitIdentical + this.mismatched + this.nonFinite + this.failed;
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
      nonFinite: this.nonFinite,
      nonFiniteRows: [...this.nonFiniteRows],
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
  const verdict = reportPassed(r)
    ? 'PASS: every output bit-identical'
    : `FAIL: ${r.mismatched} mismatched, ${r.nonFinite} non-finite, ${r.failed} failed`;
  const firstNonFinite = r.nonFiniteRows[0];
  const lines = [
    `verify ${r.modelHash} on ${r.boardId} at ${r.port}${r.boardHash && r.boardHash !== r.modelHash ? ` (board runs ${r.boardHash})` : ''}`,
    `  rows          ${r.rows} (sent ${r.sent} requests, ${r.retries} retries)`,
    `  answered      ${r.answered}`,
    `  bit-identical ${r.bitIdentical}`,
    `  mismatched    ${r.mismatched}${r.mismatched > 0 ? ` (largest difference ${r.maxUlp} ulp)` : ''}`,
    `  non-finite    ${r.nonFinite}${firstNonFinite ? ` (NaN or infinite outputs; row ${firstNonFinite.index + 1}: host ${firstNonFinite.hostBits.join(' ')}, board ${firstNonFinite.boardBits.join(' ')})` : ''}`,
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
