// What a verification session reports as it goes: the terminal, the JSONL log and the dashboard all consume these.
import type { ReadyInfo } from './protocol.js';

/**
 * `non-finite`: an output of the host or the board is NaN or infinite. Such a row is never a correct prediction and
 * fails verification, whatever its bits (avr-libc's NaN results carry operand bits in their payload, the host's do not).
 */
export type RowStatus = 'bit-identical' | 'mismatched' | 'non-finite' | 'failed';

/** The fate of one data row: exactly one status, reached once. */
export interface RowResult {
  /** 0-based index of the row in the data. */
  readonly index: number;
  /** Sequence number of the request that was answered (or of the last attempt). */
  readonly seq: number;
  readonly inputs: readonly number[];
  /** The row's label (class name or value) when the data had one. */
  readonly label: string | undefined;
  readonly hostOutputs: readonly number[];
  readonly boardOutputs: readonly number[] | null;
  readonly status: RowStatus;
  /** Largest difference over the outputs in units in the last place (0 = bit-identical); null when failed. */
  readonly maxUlp: number | null;
  /** Predicted class / label of host and board (classification and binary models). */
  readonly hostPrediction: string | undefined;
  readonly boardPrediction: string | undefined;
  /** CPU cycles spent in nn_predict on the board, and the same in microseconds at the board's clock. */
  readonly cycles: number | null;
  readonly latencyUs: number | null;
  /** Requests sent for this row (1 unless retried). */
  readonly attempts: number;
  /** Why it failed (timeout, board error codes...). */
  readonly error: string | undefined;
}

export interface NonFiniteRow {
  readonly index: number;
  readonly hostBits: readonly string[];
  readonly boardBits: readonly string[];
}

export interface LatencySummary {
  readonly minUs: number;
  readonly medianUs: number;
  readonly p99Us: number;
  readonly maxUs: number;
}

export interface ComparisonReport {
  readonly modelHash: string;
  /** Hash the board reported in its ready line. */
  readonly boardHash: string | null;
  readonly boardId: string;
  readonly port: string;
  readonly rows: number;
  /** Requests written (including retries). */
  readonly sent: number;
  readonly answered: number;
  readonly bitIdentical: number;
  readonly mismatched: number;
  readonly failed: number;
  /** Rows with a NaN or infinite output on either side (never counted as bit-identical or as a correct prediction). */
  readonly nonFinite: number;
  /** The first few of them with their exact output bits (float32 hex), so NaN payloads can be seen. */
  readonly nonFiniteRows: readonly NonFiniteRow[];
  /** Largest ulp difference over all answered rows (0 when all are bit-identical). */
  readonly maxUlp: number;
  /** Rows whose predicted class agrees, over rows answered (classification/binary), else null. */
  readonly classAgreement: number | null;
  /** Agreement of the board's predictions with the data's labels (accuracy on the board), when labels are known. */
  readonly boardAccuracy: number | null;
  readonly latency: LatencySummary | null;
  readonly rowsPerSecond: number;
  readonly seconds: number;
  /** Board resets noticed mid-stream (new ready lines). */
  readonly resets: number;
  /** Lines from the board that failed their check or did not parse. */
  readonly garbledLines: number;
  /** Board error replies (crc, len, ...) received. */
  readonly boardErrors: number;
  readonly retries: number;
}

export type SessionState = 'opening' | 'waiting-ready' | 'streaming' | 'board-reset' | 'done' | 'disconnected';

export type SessionEvent =
  | { readonly type: 'state'; readonly state: SessionState; readonly detail?: string }
  | { readonly type: 'ready'; readonly info: ReadyInfo }
  | { readonly type: 'line'; readonly direction: 'rx' | 'tx'; readonly text: string; readonly time: number }
  | { readonly type: 'row'; readonly row: RowResult }
  | { readonly type: 'summary'; readonly report: ComparisonReport };
