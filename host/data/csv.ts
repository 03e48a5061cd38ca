// CSV in: a tolerant tokenizer (BOM, CRLF, quotes, `;` with decimal commas) and a strict reader into a validated Dataset.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Dataset } from '../core/artifacts.js';
import type { Task } from '../core/model.js';
import { CsvError } from '../core/errors.js';

export interface CsvOptions {
  /** Data set name (becomes the model name). */
  readonly name: string;
  /** Label (target) column by name; default: the last column. */
  readonly label?: string;
  /**
   * Task; default inferred from the label column: any non-numeric label, or integer labels with at most
   * MAX_INFERRED_CLASSES distinct values -> classification (`binary` when there are exactly 2); otherwise regression.
   */
  readonly task?: Task;
}

/** Integer labels with at most this many distinct values are read as classes, not as a regression target. */
export const MAX_INFERRED_CLASSES = 20;

/** One record of the file: its cells (trimmed) and the 1-based line where it starts (the header is row 1). */
export interface CsvRecord {
  readonly row: number;
  readonly cells: readonly string[];
}

const DELIMITERS = [',', ';', '\t'] as const;
type Delimiter = (typeof DELIMITERS)[number];

/**
 * Incremental RFC 4180 tokenizer: feed text in chunks of any size (split anywhere, even inside a quote or a CRLF),
 * get whole records back. The delimiter is chosen from the header line: the most frequent of `,` `;` tab outside quotes.
 * Blank lines are skipped. A leading UTF-8 BOM is dropped.
 */
export class CsvTokenizer {
  private delimiter: Delimiter | undefined;
  private pending = '';
  private started = false;
  private cells: string[] = [];
  private cell = '';
  private inQuotes = false;
  /** The closing quote of a quoted cell was seen; only a delimiter or line end may follow. */
  private afterQuote = false;
  private cellWasQuoted = false;
  private line = 1;
  private recordStart = 1;
  private lastWasCR = false;
  /** A chunk ended on a quote inside a quoted cell: it closes the cell unless the next chunk starts with a second quote. */
  private maybeEscapedQuote = false;

  /** The delimiter chosen, once the header line has been seen. */
  get separator(): Delimiter | undefined {
    return this.delimiter;
  }

  push(chunk: string): CsvRecord[] {
    if (!this.started) {
      this.started = true;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    if (this.delimiter === undefined) {
      this.pending += chunk;
      const firstLineEnd = findLineEnd(this.pending);
      if (firstLineEnd < 0) return [];
      this.delimiter = detectDelimiter(this.pending.slice(0, firstLineEnd));
      chunk = this.pending;
      this.pending = '';
    }
    return this.scan(chunk);
  }

  end(): CsvRecord[] {
    let out: CsvRecord[] = [];
    if (this.delimiter === undefined) {
      this.delimiter = detectDelimiter(this.pending);
      out = this.scan(this.pending);
      this.pending = '';
    }
    if (this.inQuotes) {
      throw new CsvError(`row ${this.recordStart}: a quoted cell is not closed before the end of the file`, { row: this.recordStart });
    }
    this.endRecord(out);
    return out;
  }

  private scan(text: string): CsvRecord[] {
    const out: CsvRecord[] = [];
    const d = this.delimiter as Delimiter;
    for (let i = 0; i < text.length; i++) {
      const c = text[i] as string;
      if (this.lastWasCR) {
        this.lastWasCR = false;
        if (c === '\n') continue;
      }
      if (this.inQuotes) {
        if (c === '"') {
          if (i + 1 < text.length) {
            if (text[i + 1] === '"') {
              this.cell += '"';
              i++;
            } else {
              this.inQuotes = false;
              this.afterQuote = true;
            }
          } else {
            // The chunk ends on a quote: it may be the first half of "" -> decide on the next chunk.
            this.inQuotes = false;
            this.afterQuote = true;
            this.maybeEscapedQuote = true;
          }
        } else {
          if (c === '\n' || c === '\r') this.line++;
          if (c === '\r' && text[i + 1] === '\n') {
            this.cell += '\r\n';
            i++;
            continue;
          }
          this.cell += c;
        }
        continue;
      }
      if (this.maybeEscapedQuote) {
        this.maybeEscapedQuote = false;
        if (c === '"') {
          this.cell += '"';
          this.inQuotes = true;
          this.afterQuote = false;
          continue;
        }
      }
      if (c === d) {
        this.endCell();
      } else if (c === '\n' || c === '\r') {
        this.endRecord(out);
        this.line++;
        this.recordStart = this.line;
        this.lastWasCR = c === '\r';
      } else if (c === '"' && !this.afterQuote && this.cell.trim() === '') {
        this.inQuotes = true;
        this.cellWasQuoted = true;
        this.cell = '';
      } else if (this.afterQuote) {
        if (c !== ' ' && c !== '\t') {
          throw new CsvError(`row ${this.recordStart}: unexpected "${c}" after a closing quote (a quote inside a quoted cell is written "")`, {
            row: this.recordStart,
          });
        }
      } else {
        this.cell += c;
      }
    }
    return out;
  }

  private endCell(): void {
    this.cells.push(this.cellWasQuoted ? this.cell : this.cell.trim());
    this.cell = '';
    this.cellWasQuoted = false;
    this.afterQuote = false;
  }

  private endRecord(out: CsvRecord[]): void {
    this.maybeEscapedQuote = false;
    const blank = this.cells.length === 0 && !this.cellWasQuoted && this.cell.trim() === '';
    if (blank) {
      this.cell = '';
      return;
    }
    this.endCell();
    out.push({ row: this.recordStart, cells: this.cells });
    this.cells = [];
  }
}

function findLineEnd(s: string): number {
  let q = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '"') q = !q;
    else if (!q && (c === '\n' || c === '\r')) return i;
  }
  return -1;
}

function detectDelimiter(headerLine: string): Delimiter {
  const counts = new Map<Delimiter, number>(DELIMITERS.map((d) => [d, 0]));
  let q = false;
  for (const c of headerLine) {
    if (c === '"') q = !q;
    else if (!q && counts.has(c as Delimiter)) counts.set(c as Delimiter, (counts.get(c as Delimiter) ?? 0) + 1);
  }
  let best: Delimiter = ',';
  for (const d of DELIMITERS) if ((counts.get(d) ?? 0) > (counts.get(best) ?? 0)) best = d;
  return best;
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NON_FINITE = /^[+-]?(?:nan|inf|infinity)$/i;

/**
 * A cell as a finite number, or undefined when it is not a number. With `;` as the delimiter a single `,` is the
 * decimal separator (`1,5` -> 1.5), as spreadsheets in many locales export.
 */
export function parseNumberCell(cell: string, decimalComma: boolean): number | undefined {
  const s = decimalComma && cell.includes(',') && !cell.includes('.') ? cell.replace(',', '.') : cell;
  if (!NUMBER.test(s)) return undefined;
  return Number(s);
}

/** Read one numeric cell or throw the CsvError that names its row and column. */
export function numberCell(cell: string, decimalComma: boolean, row: number, column: string): number {
  const v = parseNumberCell(cell, decimalComma);
  // The board computes in float32: a value that rounds to infinity there is refused here, where its cell is known.
  if (v !== undefined && Number.isFinite(Math.fround(v))) return v;
  if (v !== undefined && Number.isFinite(v)) {
    throw new CsvError(`row ${row}, column "${column}": "${short(cell)}" is outside the float32 range the board computes in (magnitude at most ${F32_MAX_TEXT})`, {
      row,
      column,
      hint: `rescale the column (e.g. change its unit) so that every value is at most ${F32_MAX_TEXT} in magnitude`,
    });
  }
  if (cell === '') throw new CsvError(`row ${row}, column "${column}": empty cell; every input must be a number`, { row, column, hint: 'fill in or delete rows with missing values' });
  if (NON_FINITE.test(cell) || v !== undefined) {
    throw new CsvError(`row ${row}, column "${column}": "${cell}" is not a finite number`, { row, column });
  }
  throw new CsvError(`row ${row}, column "${column}": "${short(cell)}" is not a number`, { row, column });
}

/** The largest finite float32, as written in messages. */
const F32_MAX_TEXT = '3.4028235e38';

function short(s: string): string {
  return s.length > 30 ? `${s.slice(0, 30)}...` : s;
}

/** Check a header record: no empty names, no duplicates. Returns the names. */
export function checkHeader(header: CsvRecord | undefined, source: string): readonly string[] {
  if (!header) throw new CsvError(`${source} is empty: expected a header row and at least one data row`, { hint: 'the first line names the columns, e.g. x1,x2,label' });
  const names = header.cells;
  const seen = new Map<string, number>();
  names.forEach((n, i) => {
    if (n === '') throw new CsvError(`row 1: column ${i + 1} has an empty name in the header`, { row: 1 });
    const prev = seen.get(n);
    if (prev !== undefined) {
      throw new CsvError(`row 1: columns ${prev + 1} and ${i + 1} are both named "${n}"; column names must be unique`, { row: 1, column: n });
    }
    seen.set(n, i);
  });
  if (names.length < 2) throw new CsvError(`row 1: the header has ${names.length} column; need at least one input column and a label column`, { row: 1 });
  return names;
}

/** Accumulates records into a Dataset, checking every cell as it comes (so a streamed file never needs the text in memory). */
export class DatasetBuilder {
  private readonly names: readonly string[];
  private readonly labelIndex: number;
  private readonly inputIdx: number[];
  private readonly inputs: number[][] = [];
  private readonly rawLabels: string[] = [];
  /** Row number (1-based, header = 1) of each example, for messages about labels found bad at the end. */
  private readonly rows: number[] = [];
  private readonly decimalComma: boolean;

  constructor(
    header: CsvRecord | undefined,
    delimiter: string | undefined,
    private readonly opts: CsvOptions,
    private readonly source: string,
  ) {
    this.names = checkHeader(header, source);
    this.decimalComma = delimiter === ';';
    const label = opts.label ?? (this.names[this.names.length - 1] as string);
    this.labelIndex = this.names.indexOf(label);
    if (this.labelIndex < 0) {
      throw new CsvError(`label column "${label}" not found; the columns are: ${this.names.join(', ')}`, { column: label, hint: 'pass --label with one of them' });
    }
    this.inputIdx = this.names.map((_n, i) => i).filter((i) => i !== this.labelIndex);
  }

  add(rec: CsvRecord): void {
    const cells = rec.cells;
    if (cells.length !== this.names.length) {
      throw new CsvError(`row ${rec.row} has ${cells.length} cells but the header has ${this.names.length} columns`, { row: rec.row });
    }
    const x = new Array<number>(this.inputIdx.length);
    for (let k = 0; k < this.inputIdx.length; k++) {
      const i = this.inputIdx[k] as number;
      x[k] = numberCell(cells[i] as string, this.decimalComma, rec.row, this.names[i] as string);
    }
    const label = cells[this.labelIndex] as string;
    if (label === '') throw new CsvError(`row ${rec.row}, column "${this.names[this.labelIndex]}": empty label`, { row: rec.row, column: this.names[this.labelIndex] as string });
    this.inputs.push(x);
    this.rawLabels.push(label);
    this.rows.push(rec.row);
  }

  finish(): Dataset {
    const target = this.names[this.labelIndex] as string;
    if (this.inputs.length === 0) throw new CsvError(`${this.source} has a header but no data rows`, { row: 2 });
    const numeric = this.rawLabels.map((l) => parseNumberCell(l, this.decimalComma));
    const allNumeric = numeric.every((v) => v !== undefined && Number.isFinite(v));
    const distinct = [...new Set(this.rawLabels)];
    let task = this.opts.task;
    if (task === undefined) {
      const fewIntegers = allNumeric && numeric.every((v) => Number.isInteger(v)) && new Set(numeric).size <= MAX_INFERRED_CLASSES;
      const nClasses = allNumeric ? new Set(numeric).size : distinct.length;
      task = !allNumeric || fewIntegers ? (nClasses === 2 ? 'binary' : 'classification') : 'regression';
    }
    const inputNames = this.inputIdx.map((i) => this.names[i] as string);
    if (task === 'regression') {
      const targets = numeric.map((v, r) => {
        if (v === undefined || !Number.isFinite(v)) {
          throw new CsvError(`row ${this.rowOf(r)}, column "${target}": "${this.rawLabels[r]}" is not a number (regression target)`, { row: this.rowOf(r), column: target });
        }
        return v;
      });
      return { name: this.opts.name, inputNames, targetName: target, task, classes: [], inputs: this.inputs, targets };
    }
    // Classes: numeric labels sorted by value (so "-1" < "+1" and "0" < "1"), otherwise by code unit order.
    const byValue = new Map<string, number>();
    this.rawLabels.forEach((l, r) => byValue.set(l, numeric[r] as number));
    let classes = distinct;
    if (allNumeric) {
      // Labels equal as numbers ("1" and "1.0") are one class, named by their first spelling.
      const canon = new Map<number, string>();
      for (const l of this.rawLabels) if (!canon.has(byValue.get(l) as number)) canon.set(byValue.get(l) as number, l);
      classes = [...canon.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]);
    } else {
      classes = [...distinct].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    }
    if (classes.length < 2) {
      throw new CsvError(`label column "${target}" has only one class ("${classes[0]}"); a classifier needs at least 2`, { column: target, hint: 'check the label column (--label) or add rows of the other classes' });
    }
    if (task === 'binary' && classes.length !== 2) {
      throw new CsvError(`label column "${target}" has ${classes.length} classes but the task is binary (exactly 2)`, { column: target });
    }
    const index = new Map<string, number>();
    if (allNumeric) {
      const byNum = new Map<number, number>(classes.map((c, k) => [byValue.get(c) as number, k]));
      for (const l of distinct) index.set(l, byNum.get(byValue.get(l) as number) as number);
    } else {
      classes.forEach((c, k) => index.set(c, k));
    }
    const targets = this.rawLabels.map((l) => index.get(l) as number);
    return { name: this.opts.name, inputNames, targetName: target, task, classes, inputs: this.inputs, targets };
  }

  private rowOf(r: number): number {
    return this.rows[r] ?? r + 2;
  }
}

/** Parse CSV text (header + rows) into a validated Dataset. Errors are CsvError naming the row and column. */
export function parseCsv(text: string, opts: CsvOptions): Dataset {
  const tok = new CsvTokenizer();
  const records = [...tok.push(text), ...tok.end()];
  const builder = new DatasetBuilder(records[0], tok.separator, opts, `CSV "${opts.name}"`);
  for (let k = 1; k < records.length; k++) builder.add(records[k] as CsvRecord);
  return builder.finish();
}

/** The path that means standard input (`--data -`). */
export const STDIN_PATH = '-';

/** How a CSV source is named in messages: its path, or "stdin". */
export function sourceName(path: string): string {
  return path === STDIN_PATH ? 'stdin' : path;
}

/**
 * Stream a CSV file (or standard input, for `-`) record by record (header first) with memory bounded by the longest
 * record, not the file. Also exposes the chosen delimiter so callers can read decimal commas. Errors: CsvError (missing
 * file included).
 */
export async function* streamCsvRecords(path: string, onDelimiter?: (d: string) => void): AsyncGenerator<CsvRecord> {
  if (path !== STDIN_PATH) {
    try {
      const st = await stat(path);
      if (st.isDirectory()) throw new CsvError(`${path} is a directory, not a CSV file`);
    } catch (err) {
      if (err instanceof CsvError) throw err;
      throw new CsvError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { hint: 'check the path given to --data' });
    }
  }
  const tok = new CsvTokenizer();
  let told = false;
  const tell = () => {
    if (!told && tok.separator !== undefined) {
      told = true;
      onDelimiter?.(tok.separator);
    }
  };
  // Standard input is read as a stream, not by opening /dev/stdin (which fails when it is a socket).
  const stream = path === STDIN_PATH ? process.stdin.setEncoding('utf8') : createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 16 });
  for await (const chunk of stream) {
    const recs = tok.push(chunk as string);
    tell();
    for (const r of recs) yield r;
  }
  const rest = tok.end();
  tell();
  for (const r of rest) yield r;
}

/** Read a CSV file into a Dataset, streaming (the file text is never held whole). */
export async function readCsvFile(path: string, opts: CsvOptions): Promise<Dataset> {
  let builder: DatasetBuilder | undefined;
  let delimiter: string | undefined;
  const source = `${path}`;
  for await (const rec of streamCsvRecords(path, (d) => (delimiter = d))) {
    if (!builder) builder = new DatasetBuilder(rec, delimiter, opts, source);
    else builder.add(rec);
  }
  if (!builder) builder = new DatasetBuilder(undefined, delimiter, opts, source);
  return builder.finish();
}
