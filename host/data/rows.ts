// Rows for an existing model: pick its input columns by name (any order) and its target column, for verify and monitor.
import type { ModelFile } from '../core/model.js';
import { CsvError } from '../core/errors.js';
import { checkHeader, numberCell, sourceName, streamCsvRecords } from './csv.js';
import type { CsvRecord } from './csv.js';

/** The column the model was trained to predict, as recorded by the trainer (training.targetColumn), if any. */
export function targetColumnOf(model: Pick<ModelFile, 'training'>): string | undefined {
  const t = model.training['targetColumn'];
  return typeof t === 'string' ? t : undefined;
}

interface ColumnMap {
  readonly inputIdx: readonly number[];
  readonly labelIdx: number;
  readonly names: readonly string[];
}

function mapColumns(header: CsvRecord | undefined, model: ModelFile, source: string): ColumnMap {
  const names = checkHeader(header, source);
  const missing = model.inputNames.filter((n) => !names.includes(n));
  if (missing.length > 0) {
    throw new CsvError(
      `${source} lacks the model's input column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')}; the file has: ${names.join(', ')}`,
      { column: missing[0] as string, hint: `model "${model.name}" needs the columns: ${model.inputNames.join(', ')}` },
    );
  }
  const target = targetColumnOf(model);
  return { inputIdx: model.inputNames.map((n) => names.indexOf(n)), labelIdx: target === undefined ? -1 : names.indexOf(target), names };
}

function readRow(rec: CsvRecord, map: ColumnMap, decimalComma: boolean): { inputs: number[]; label: string | undefined } {
  if (rec.cells.length !== map.names.length) {
    throw new CsvError(`row ${rec.row} has ${rec.cells.length} cells but the header has ${map.names.length} columns`, { row: rec.row });
  }
  const inputs = map.inputIdx.map((i) => numberCell(rec.cells[i] as string, decimalComma, rec.row, map.names[i] as string));
  const label = map.labelIdx >= 0 ? (rec.cells[map.labelIdx] as string) : undefined;
  return { inputs, label: label === '' ? undefined : label };
}

/** Stream rows one at a time with memory flat in the file size. Errors: CsvError naming the row and column. */
export async function* streamRowsForModel(path: string, model: ModelFile): AsyncIterable<{ inputs: number[]; label: string | undefined }> {
  let map: ColumnMap | undefined;
  let delimiter = ',';
  let rows = 0;
  for await (const rec of streamCsvRecords(path, (d) => (delimiter = d))) {
    if (!map) {
      map = mapColumns(rec, model, sourceName(path));
      continue;
    }
    rows++;
    yield readRow(rec, map, delimiter === ';');
  }
  if (!map) mapColumns(undefined, model, sourceName(path));
  if (rows === 0) throw new CsvError(`${sourceName(path)} has a header but no data rows`, { row: 2 });
}

/** All rows of a file for a model; `labels[r]` is the target cell (undefined when the file has no target column). */
export async function readRowsForModel(path: string, model: ModelFile): Promise<{ inputs: number[][]; labels: (string | undefined)[] }> {
  const inputs: number[][] = [];
  const labels: (string | undefined)[] = [];
  for await (const r of streamRowsForModel(path, model)) {
    inputs.push(r.inputs);
    labels.push(r.label);
  }
  return { inputs, labels };
}
