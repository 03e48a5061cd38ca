// The dashboard's state: a deterministic fold of SessionEvents into counters, confusion matrix, latency histogram and bounded histories.
import type { RowResult, SessionEvent, SessionState, ComparisonReport } from '../bridge/events.js';
import type { ReadyInfo } from '../bridge/protocol.js';

/** A fixed-capacity ring: keeps the newest `capacity` items, counts what it dropped. */
export class Ring<T> {
  private readonly items: T[] = [];
  private start = 0;
  /** Items pushed out because the ring was full. */
  dropped = 0;
  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring capacity ${capacity} is not a positive integer`);
  }
  get length(): number {
    return this.items.length;
  }
  push(item: T): void {
    if (this.items.length < this.capacity) {
      this.items.push(item);
      return;
    }
    this.items[this.start] = item;
    this.start = (this.start + 1) % this.capacity;
    this.dropped++;
  }
  /** Oldest first. */
  toArray(): T[] {
    return this.items.slice(this.start).concat(this.items.slice(0, this.start));
  }
}

/** What the dashboard knows about the model before the board says anything (all optional). */
export interface DashboardModelInfo {
  readonly name?: string;
  readonly hash?: string;
  readonly task?: string;
  readonly inputNames?: readonly string[];
  readonly outputNames?: readonly string[];
  /** Class names in output order (classification/binary): fixes the confusion matrix's order. */
  readonly labels?: readonly string[];
}

export interface DashboardStateOptions {
  readonly model?: DashboardModelInfo;
  /** Rows the session will stream, when known (progress). */
  readonly expectedRows?: number;
  /** Recent rows kept for the plots and replayed to a new page (default 5000). */
  readonly recentRows?: number;
  /** Mismatched or failed rows kept for the list (default 500). */
  readonly badRows?: number;
  /** Serial lines kept for the console (default 1000). */
  readonly consoleLines?: number;
  /** Rows kept for the CSV export, as CSV lines (default 50000). */
  readonly exportRows?: number;
  /** Distinct latency buckets before the histogram halves its resolution (default 2048). */
  readonly latencyBuckets?: number;
}

export interface ConsoleLine {
  readonly direction: 'rx' | 'tx' | 'note';
  readonly text: string;
  readonly time: number;
}

export interface StateChange {
  readonly state: SessionState;
  readonly detail: string | undefined;
  readonly time: number;
  /** Rows finished when the state changed (locates a reset in the stream). */
  readonly rowsDone: number;
}

/** Latency histogram with adaptive bucket width: counts per bucket of `bucketUs` microseconds. */
export interface LatencyHistogram {
  bucketUs: number;
  /** Bucket start (a multiple of bucketUs) -> count. */
  readonly counts: Map<number, number>;
  total: number;
  minUs: number;
  maxUs: number;
}

export interface Counters {
  /** Request frames written (tx lines starting with `>`), retries included. */
  sent: number;
  /** Rows with a status (bit-identical + mismatched + failed). */
  done: number;
  answered: number;
  bitIdentical: number;
  mismatched: number;
  failed: number;
  retries: number;
  /** Rows with both a host and a board prediction, and how many of those agree. */
  predicted: number;
  classAgree: number;
  /** Rows with a label and a board prediction, and how many of those the board got right. */
  labelled: number;
  labelAgree: number;
  maxUlp: number;
  resets: number;
  garbledLines: number;
  boardErrors: number;
}

export interface DashboardState {
  readonly options: Required<Omit<DashboardStateOptions, 'model' | 'expectedRows'>>;
  readonly model: DashboardModelInfo;
  expectedRows: number | null;
  connection: SessionState | 'idle';
  connectionDetail: string | undefined;
  readonly stateLog: Ring<StateChange>;
  ready: ReadyInfo | null;
  readonly counters: Counters;
  /** Class names in matrix order: the model's labels, then any new label or prediction in order of appearance. */
  readonly classes: string[];
  /** confusion[label][boardPrediction], indices into `classes`; grows as classes appear. */
  readonly confusion: number[][];
  readonly latency: LatencyHistogram;
  readonly recent: Ring<RowResult>;
  readonly bad: Ring<RowResult>;
  readonly console: Ring<ConsoleLine>;
  readonly csv: Ring<string>;
  /** Input and output counts seen (from the model or the first row): the CSV columns. */
  inputCount: number;
  outputCount: number;
  /** Completion times (ms) of the last rows, for the rate. */
  readonly doneTimes: Ring<number>;
  firstRowTime: number | null;
  lastRowTime: number | null;
  summary: ComparisonReport | null;
}

export function createDashboardState(opts: DashboardStateOptions = {}): DashboardState {
  const options = {
    recentRows: opts.recentRows ?? 5000,
    badRows: opts.badRows ?? 500,
    consoleLines: opts.consoleLines ?? 1000,
    exportRows: opts.exportRows ?? 50_000,
    latencyBuckets: opts.latencyBuckets ?? 2048,
  };
  const model = opts.model ?? {};
  const classes = [...(model.labels ?? [])];
  return {
    options,
    model,
    expectedRows: opts.expectedRows ?? null,
    connection: 'idle',
    connectionDetail: undefined,
    stateLog: new Ring(100),
    ready: null,
    counters: {
      sent: 0, done: 0, answered: 0, bitIdentical: 0, mismatched: 0, failed: 0, retries: 0,
      predicted: 0, classAgree: 0, labelled: 0, labelAgree: 0, maxUlp: 0, resets: 0, garbledLines: 0, boardErrors: 0,
    },
    classes,
    confusion: classes.map(() => classes.map(() => 0)),
    latency: { bucketUs: 1, counts: new Map(), total: 0, minUs: Infinity, maxUs: -Infinity },
    recent: new Ring(options.recentRows),
    bad: new Ring(options.badRows),
    console: new Ring(options.consoleLines),
    csv: new Ring(options.exportRows),
    inputCount: model.inputNames?.length ?? 0,
    outputCount: model.outputNames?.length ?? 0,
    doneTimes: new Ring(4096),
    firstRowTime: null,
    lastRowTime: null,
    summary: null,
  };
}

function classIndex(state: DashboardState, name: string): number {
  let k = state.classes.indexOf(name);
  if (k >= 0) return k;
  state.classes.push(name);
  for (const row of state.confusion) row.push(0);
  state.confusion.push(state.classes.map(() => 0));
  k = state.classes.length - 1;
  return k;
}

/** Add one latency (µs) to the histogram, halving resolution while there are too many buckets. */
export function addLatency(h: LatencyHistogram, us: number, maxBuckets: number): void {
  const key = Math.floor(us / h.bucketUs) * h.bucketUs;
  h.counts.set(key, (h.counts.get(key) ?? 0) + 1);
  h.total++;
  if (us < h.minUs) h.minUs = us;
  if (us > h.maxUs) h.maxUs = us;
  while (h.counts.size > maxBuckets) {
    h.bucketUs *= 2;
    const merged = new Map<number, number>();
    for (const [k, n] of h.counts) {
      const nk = Math.floor(k / h.bucketUs) * h.bucketUs;
      merged.set(nk, (merged.get(nk) ?? 0) + n);
    }
    h.counts.clear();
    for (const [k, n] of merged) h.counts.set(k, n);
  }
}

/**
 * The q-quantile (0..1) of the histogram by the nearest-rank method, as the middle of its bucket
 * (exact when bucketUs is 1 and latencies are whole microseconds); null when empty.
 */
export function latencyQuantile(h: LatencyHistogram, q: number): number | null {
  if (h.total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * h.total));
  const keys = [...h.counts.keys()].sort((a, b) => a - b);
  let seen = 0;
  for (const k of keys) {
    seen += h.counts.get(k) ?? 0;
    if (seen >= rank) return h.bucketUs === 1 ? k : k + h.bucketUs / 2;
  }
  return null;
}

/** Re-bin the histogram into at most `bins` equal bins from min to max, for drawing. */
export function latencyBins(h: LatencyHistogram, bins = 40): { readonly startUs: number; readonly widthUs: number; readonly counts: number[] } | null {
  if (h.total === 0) return null;
  const lo = Math.floor(h.minUs / h.bucketUs) * h.bucketUs;
  const hi = Math.floor(h.maxUs / h.bucketUs) * h.bucketUs + h.bucketUs;
  const n = Math.max(1, Math.min(bins, Math.ceil((hi - lo) / h.bucketUs)));
  const width = (hi - lo) / n;
  const counts = new Array<number>(n).fill(0);
  for (const [k, c] of h.counts) {
    const i = Math.min(n - 1, Math.floor((k - lo) / width));
    counts[i] = (counts[i] ?? 0) + c;
  }
  return { startUs: lo, widthUs: width, counts };
}

function csvCell(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The CSV header for rows of `inputs` inputs and `outputs` outputs (names from the model when it has them). */
export function csvHeader(model: DashboardModelInfo, inputs: number, outputs: number): string {
  const inNames = Array.from({ length: inputs }, (_, i) => `in:${model.inputNames?.[i] ?? i}`);
  const hostNames = Array.from({ length: outputs }, (_, i) => `host:${model.outputNames?.[i] ?? i}`);
  const boardNames = Array.from({ length: outputs }, (_, i) => `board:${model.outputNames?.[i] ?? i}`);
  return ['index', 'status', 'max_ulp', 'label', 'host_prediction', 'board_prediction', 'cycles', 'latency_us', 'attempts', 'error', ...inNames, ...hostNames, ...boardNames]
    .map(csvCell)
    .join(',');
}

/** One CSV line for a row; numbers print in JS shortest round-trip form, so float32 values survive exactly. */
export function csvLine(row: RowResult, outputs: number): string {
  const board = Array.from({ length: outputs }, (_, i) => (row.boardOutputs ? row.boardOutputs[i] : undefined));
  const host = Array.from({ length: outputs }, (_, i) => row.hostOutputs[i]);
  return [
    row.index, row.status, row.maxUlp, row.label, row.hostPrediction, row.boardPrediction, row.cycles, row.latencyUs, row.attempts, row.error,
    ...row.inputs, ...host, ...board,
  ]
    .map(csvCell)
    .join(',');
}

/** The export: a header and one line per row kept, in the order the rows finished. */
export function exportCsv(state: DashboardState): string {
  const lines = state.csv.toArray();
  return `${csvHeader(state.model, state.inputCount, state.outputCount)}\n${lines.map((l) => `${l}\n`).join('')}`;
}

function applyRow(state: DashboardState, row: RowResult, now: number): void {
  const c = state.counters;
  if (state.inputCount === 0) state.inputCount = row.inputs.length;
  if (state.outputCount === 0) state.outputCount = row.hostOutputs.length;
  c.done++;
  if (row.boardOutputs) c.answered++;
  if (row.status === 'bit-identical') c.bitIdentical++;
  else if (row.status === 'mismatched') c.mismatched++;
  else c.failed++;
  c.retries += Math.max(0, row.attempts - 1);
  if (row.maxUlp !== null && row.maxUlp > c.maxUlp) c.maxUlp = row.maxUlp;
  if (row.hostPrediction !== undefined && row.boardPrediction !== undefined) {
    c.predicted++;
    if (row.hostPrediction === row.boardPrediction) c.classAgree++;
  }
  if (row.label !== undefined && row.boardPrediction !== undefined) {
    c.labelled++;
    if (row.label === row.boardPrediction) c.labelAgree++;
    const isClassifier = state.model.task === undefined ? row.hostPrediction !== undefined : state.model.task !== 'regression';
    if (isClassifier) {
      const li = classIndex(state, row.label);
      const pi = classIndex(state, row.boardPrediction);
      const line = state.confusion[li];
      if (line) line[pi] = (line[pi] ?? 0) + 1;
    }
  }
  if (row.latencyUs !== null) addLatency(state.latency, row.latencyUs, state.options.latencyBuckets);
  state.recent.push(row);
  if (row.status !== 'bit-identical') state.bad.push(row);
  state.csv.push(csvLine(row, state.outputCount));
  state.doneTimes.push(now);
  if (state.firstRowTime === null) state.firstRowTime = now;
  state.lastRowTime = now;
}

/**
 * Fold one event into the state. Deterministic and free of I/O (time comes in as `now`, ms);
 * it updates `state` in place, since the histories are rings, and returns it.
 */
export function foldEvent(state: DashboardState, e: SessionEvent, now: number): DashboardState {
  switch (e.type) {
    case 'state': {
      if (e.state === 'board-reset' && state.connection !== 'board-reset') state.counters.resets++;
      state.connection = e.state;
      state.connectionDetail = e.detail;
      state.stateLog.push({ state: e.state, detail: e.detail, time: now, rowsDone: state.counters.done });
      break;
    }
    case 'ready':
      state.ready = e.info;
      break;
    case 'line': {
      state.console.push({ direction: e.direction, text: e.text, time: e.time });
      if (e.direction === 'tx' && e.text.startsWith('>')) state.counters.sent++;
      if (e.direction === 'rx' && e.text.startsWith('!')) state.counters.boardErrors++;
      break;
    }
    case 'row':
      applyRow(state, e.row, now);
      break;
    case 'summary': {
      state.summary = e.report;
      // The report is the session's own account: trust it for what the events cannot show (garbled lines, exact resets).
      state.counters.resets = Math.max(state.counters.resets, e.report.resets);
      state.counters.garbledLines = e.report.garbledLines;
      state.counters.boardErrors = Math.max(state.counters.boardErrors, e.report.boardErrors);
      state.counters.sent = Math.max(state.counters.sent, e.report.sent);
      if (state.expectedRows === null) state.expectedRows = e.report.rows;
      break;
    }
  }
  return state;
}

/** Rows per second over the last `windowMs` (default 2000) up to `now`; over the whole run once the summary is in. */
export function rowsPerSecond(state: DashboardState, now: number, windowMs = 2000): number {
  if (state.summary) return state.summary.rowsPerSecond;
  const times = state.doneTimes.toArray();
  const last = times[times.length - 1];
  if (last === undefined || now - last > windowMs) return 0;
  const recent = times.filter((t) => t > now - windowMs);
  const first = recent[0];
  if (first === undefined || recent.length < 2) return 0;
  const span = Math.max(now - first, 1);
  return (recent.length / span) * 1000;
}

/** The small, JSON-ready part of the state the page redraws from: counters, matrix, histogram, connection. */
export interface DashboardView {
  readonly title: string;
  readonly model: DashboardModelInfo;
  readonly expectedRows: number | null;
  readonly connection: SessionState | 'idle';
  readonly connectionDetail: string | null;
  readonly stateLog: readonly StateChange[];
  readonly ready: ReadyInfo | null;
  /** true/false when both the board's and the model's hashes are known, else null. */
  readonly hashMatches: boolean | null;
  readonly counters: Counters;
  readonly rowsPerSecond: number;
  readonly classAgreement: number | null;
  readonly boardAccuracy: number | null;
  readonly classes: readonly string[];
  readonly confusion: readonly (readonly number[])[];
  readonly latency: {
    readonly medianUs: number | null;
    readonly p99Us: number | null;
    readonly minUs: number | null;
    readonly maxUs: number | null;
    readonly bins: ReturnType<typeof latencyBins>;
  };
  readonly exportRows: number;
  readonly exportDropped: number;
  readonly summary: ComparisonReport | null;
}

export function viewOf(state: DashboardState, title: string, now: number): DashboardView {
  const c = state.counters;
  const h = state.latency;
  const modelHash = state.model.hash ?? state.summary?.modelHash;
  return {
    title,
    model: state.model,
    expectedRows: state.expectedRows,
    connection: state.connection,
    connectionDetail: state.connectionDetail ?? null,
    stateLog: state.stateLog.toArray(),
    ready: state.ready,
    hashMatches: state.ready && modelHash ? state.ready.model === modelHash : null,
    counters: { ...c },
    rowsPerSecond: rowsPerSecond(state, now),
    classAgreement: c.predicted > 0 ? c.classAgree / c.predicted : null,
    boardAccuracy: c.labelled > 0 ? c.labelAgree / c.labelled : null,
    classes: [...state.classes],
    confusion: state.confusion.map((r) => [...r]),
    latency: {
      medianUs: latencyQuantile(h, 0.5),
      p99Us: latencyQuantile(h, 0.99),
      minUs: h.total ? h.minUs : null,
      maxUs: h.total ? h.maxUs : null,
      bins: latencyBins(h),
    },
    exportRows: state.csv.length,
    exportDropped: state.csv.dropped,
    summary: state.summary,
  };
}
