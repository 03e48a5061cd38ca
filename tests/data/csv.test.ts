// CSV reader: a table of malformed and awkward files, each with the exact message expected; awkward but valid files train.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CsvError, DeployNnError, TrainingConfigError } from '../../host/core/errors.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CsvTokenizer, parseCsv, readCsvFile } from '../../host/data/csv.js';
import type { CsvOptions } from '../../host/data/csv.js';
import { splitDataset } from '../../host/data/split.js';
import { Rng } from '../../host/train/rng.js';
import { trainModel, BASE_TRAIN_OPTIONS } from '../../host/train/fit.js';
import { chunks } from '../fixtures/chunks.js';

interface Bad {
  readonly what: string;
  readonly text: string;
  readonly opts?: Partial<CsvOptions>;
  readonly message: string;
  readonly row?: number;
  readonly column?: string;
}

const BAD: readonly Bad[] = [
  { what: 'empty file', text: '', message: 'CSV "t" is empty: expected a header row and at least one data row' },
  { what: 'only blank lines', text: '\n  \r\n\n', message: 'CSV "t" is empty: expected a header row and at least one data row' },
  { what: 'header only', text: 'a,b,y\n', message: 'CSV "t" has a header but no data rows', row: 2 },
  { what: 'ragged row (short)', text: 'a,b,y\n1,2,x\n1,2\n', message: 'row 3 has 2 cells but the header has 3 columns', row: 3 },
  { what: 'ragged row (long)', text: 'a,b,y\n1,2,3,x\n', message: 'row 2 has 4 cells but the header has 3 columns', row: 2 },
  { what: 'non-numeric cell', text: 'a,b,y\n1,2,x\n1,abc,z\n', message: 'row 3, column "b": "abc" is not a number', row: 3, column: 'b' },
  { what: 'NaN', text: 'a,b,y\nNaN,2,x\n', message: 'row 2, column "a": "NaN" is not a finite number', row: 2, column: 'a' },
  { what: 'Infinity', text: 'a,b,y\n1,Infinity,x\n', message: 'row 2, column "b": "Infinity" is not a finite number', row: 2, column: 'b' },
  { what: '-inf', text: 'a,b,y\n1,-inf,x\n', message: 'row 2, column "b": "-inf" is not a finite number', row: 2, column: 'b' },
  { what: 'overflowing number', text: 'a,b,y\n1e999,2,x\n', message: 'row 2, column "a": "1e999" is not a finite number', row: 2, column: 'a' },
  { what: 'empty cell', text: 'a,b,y\n1,,x\n', message: 'row 2, column "b": empty cell; every input must be a number', row: 2, column: 'b' },
  { what: 'empty label', text: 'a,b,y\n1,2,\n', message: 'row 2, column "y": empty label', row: 2, column: 'y' },
  { what: 'label column missing', text: 'a,b,y\n1,2,x\n', opts: { label: 'species' }, message: 'label column "species" not found; the columns are: a, b, y', column: 'species' },
  { what: 'one class only', text: 'a,b,y\n1,2,x\n3,4,x\n', message: 'label column "y" has only one class ("x"); a classifier needs at least 2', column: 'y' },
  { what: 'duplicate column names', text: 'a,b,a,y\n1,2,3,x\n', message: 'row 1: columns 1 and 3 are both named "a"; column names must be unique', row: 1, column: 'a' },
  { what: 'empty column name', text: 'a,,y\n1,2,x\n', message: 'row 1: column 2 has an empty name in the header', row: 1 },
  { what: 'single column', text: 'y\n1\n', message: 'row 1: the header has 1 column; need at least one input column and a label column', row: 1 },
  { what: 'unclosed quote', text: 'a,b,y\n1,2,"x\n3,4,z\n', message: 'row 2: a quoted cell is not closed before the end of the file', row: 2 },
  { what: 'text after a closing quote', text: 'a,b,y\n1,2,"x"z\n', message: 'row 2: unexpected "z" after a closing quote (a quote inside a quoted cell is written "")', row: 2 },
  { what: 'regression target not a number', text: 'a,y\n1,2.5\n2,x\n', opts: { task: 'regression' }, message: 'row 3, column "y": "x" is not a number (regression target)', row: 3, column: 'y' },
  { what: 'binary task with 3 classes', text: 'a,y\n1,p\n2,q\n3,r\n', opts: { task: 'binary' }, message: 'label column "y" has 3 classes but the task is binary (exactly 2)', column: 'y' },
  { what: 'decimal comma with , separator is two cells', text: 'a,b,y\n1,5,2,x\n', message: 'row 2 has 4 cells but the header has 3 columns', row: 2 },
];

describe('parseCsv refuses malformed files with a message naming row and column', () => {
  it('has at least 20 cases', () => expect(BAD.length).toBeGreaterThanOrEqual(20));
  for (const c of BAD) {
    it(c.what, () => {
      let err: unknown;
      try {
        parseCsv(c.text, { name: 't', ...c.opts });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CsvError);
      const e = err as CsvError;
      expect(e.message).toBe(c.message);
      if (c.row !== undefined) expect(e.row).toBe(c.row);
      if (c.column !== undefined) expect(e.column).toBe(c.column);
    });
  }

  it('a class with a single row cannot be split stratified', () => {
    const ds = parseCsv('a,y\n1,p\n2,p\n3,q\n4,q\n5,r\n', { name: 't' });
    let err: unknown;
    try {
      splitDataset(ds, { testFraction: 0.25, validationFraction: 0 }, new Rng(1));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TrainingConfigError);
    expect((err as Error).message).toBe('class "r" of column "y" has 1 row; a stratified split needs at least 2 rows per class');
  });
});

interface Good {
  readonly what: string;
  readonly text: string;
  readonly opts?: Partial<CsvOptions>;
  readonly inputNames: readonly string[];
  readonly classes: readonly string[];
  readonly first: readonly number[];
  readonly rows: number;
}

const iris4 = (sep: string, dec: string, nl: string) =>
  [`sepal${sep}petal${sep}species`, `5${dec}1${sep}1${dec}4${sep}setosa`, `7${dec}0${sep}4${dec}7${sep}versicolor`, `4${dec}9${sep}1${dec}5${sep}setosa`, `6${dec}4${sep}4${dec}5${sep}versicolor`].join(nl) + nl;

const GOOD: readonly Good[] = [
  { what: 'UTF-8 BOM', text: `\ufeff${iris4(',', '.', '\n')}`, inputNames: ['sepal', 'petal'], classes: ['setosa', 'versicolor'], first: [5.1, 1.4], rows: 4 },
  { what: 'CRLF line ends', text: iris4(',', '.', '\r\n'), inputNames: ['sepal', 'petal'], classes: ['setosa', 'versicolor'], first: [5.1, 1.4], rows: 4 },
  { what: 'CR line ends', text: iris4(',', '.', '\r'), inputNames: ['sepal', 'petal'], classes: ['setosa', 'versicolor'], first: [5.1, 1.4], rows: 4 },
  { what: '; separator with decimal commas', text: iris4(';', ',', '\n'), inputNames: ['sepal', 'petal'], classes: ['setosa', 'versicolor'], first: [5.1, 1.4], rows: 4 },
  { what: 'tab separator', text: iris4('\t', '.', '\n'), inputNames: ['sepal', 'petal'], classes: ['setosa', 'versicolor'], first: [5.1, 1.4], rows: 4 },
  {
    what: 'quoted fields with commas, quotes and a newline',
    text: '"len, cm","w ""in""",kind\n"1.5",2,"a, b"\n3,4,"say ""hi""\nthere"\n5,6,"a, b"\n7,8,"say ""hi""\nthere"\n',
    inputNames: ['len, cm', 'w "in"'],
    classes: ['a, b', 'say "hi"\nthere'],
    first: [1.5, 2],
    rows: 4,
  },
  { what: 'spaces around cells and blank lines', text: ' a , b , y \n\n 1 , 2 , p \n3,4,q\n\n5,6,p\n7,8,q\n\n\n', inputNames: ['a', 'b'], classes: ['p', 'q'], first: [1, 2], rows: 4 },
  { what: 'no final newline, label in the middle', text: 'y,a,b\np,1,2\nq,3,4\np,5,6\nq,7,8', opts: { label: 'y' }, inputNames: ['a', 'b'], classes: ['p', 'q'], first: [1, 2], rows: 4 },
  { what: 'numeric labels sorted by value, 1 and 1.0 one class', text: 'a,y\n1,10\n2,9\n3,1.0\n4,1\n5,9\n6,10\n', inputNames: ['a'], classes: ['1.0', '9', '10'], first: [1], rows: 6 },
];

describe('awkward but valid files parse and train', () => {
  for (const c of GOOD) {
    it(c.what, () => {
      const ds = parseCsv(c.text, { name: 't', ...c.opts });
      expect(ds.inputNames).toEqual(c.inputNames);
      expect(ds.classes).toEqual(c.classes);
      expect(ds.inputs[0]).toEqual(c.first);
      expect(ds.inputs.length).toBe(c.rows);
      const r = trainModel(ds, { ...BASE_TRAIN_OPTIONS, hidden: [3], epochs: 5, testFraction: 0 });
      expect(r.model.inputNames).toEqual(c.inputNames);
      expect(r.model.labels).toEqual(c.classes);
    });
  }

  it('readCsvFile (streamed from disk in 64 KiB chunks) gives the same Dataset as parseCsv', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'deploy-nn-csv-'));
    for (const [k, c] of GOOD.entries()) {
      const file = path.join(dir, `t${k}.csv`);
      writeFileSync(file, c.text);
      expect(await readCsvFile(file, { name: 't', ...c.opts }), c.what).toEqual(parseCsv(c.text, { name: 't', ...c.opts }));
    }
    // A file larger than one chunk, with quoted cells straddling chunk boundaries.
    const big = ['a,"b, quoted",y', ...Array.from({ length: 20000 }, (_v, i) => `${i},"${i % 13}",${i % 3 ? '"x ""q"""' : 'z'}`)].join('\r\n');
    const file = path.join(dir, 'big.csv');
    writeFileSync(file, big);
    const streamed = await readCsvFile(file, { name: 'big' });
    expect(streamed).toEqual(parseCsv(big, { name: 'big' }));
    expect(streamed.classes).toEqual(['x "q"', 'z']);
  });

  it('infers the task: strings -> classification/binary, few integers -> classes, decimals -> regression', () => {
    expect(parseCsv('a,y\n1,x\n2,y\n3,z\n', { name: 't' }).task).toBe('classification');
    expect(parseCsv('a,y\n1,0\n2,1\n', { name: 't' }).task).toBe('binary');
    const reg = parseCsv('a,y\n1,0.5\n2,1.25\n3,7\n', { name: 't' });
    expect(reg.task).toBe('regression');
    expect(reg.targets).toEqual([0.5, 1.25, 7]);
    const many = ['a,y', ...Array.from({ length: 30 }, (_v, i) => `${i},${i}`)].join('\n');
    expect(parseCsv(many, { name: 't' }).task).toBe('regression');
  });
});

/** Records from the tokenizer when the text is fed in the given pieces. */
function tokenize(pieces: readonly string[]): string[][] {
  const t = new CsvTokenizer();
  const out = pieces.flatMap((p) => t.push(p));
  return [...out, ...t.end()].map((r) => [...r.cells]);
}

describe('the tokenizer is independent of how the text is chunked (streaming)', () => {
  const cell = fc.oneof(fc.stringMatching(/^[a-z0-9 .]{0,5}$/), fc.stringMatching(/^[a-z,"\n\r;]{0,5}$/).map((s) => `"${s.replace(/"/g, '""')}"`));
  const csv = fc.array(fc.array(cell, { minLength: 2, maxLength: 4 }), { minLength: 1, maxLength: 6 }).chain((rows) =>
    fc.constantFrom('\n', '\r\n', '\r').map((nl) => rows.map((r) => r.join(',')).join(nl) + nl),
  );
  it('any split gives the same records as the whole text', () => {
    fc.assert(
      fc.property(csv, fc.array(fc.nat(), { maxLength: 6 }), (text, cuts) => {
        const pieces = chunks(text, cuts);
        let whole: string[][] | Error;
        let split: string[][] | Error;
        try {
          whole = tokenize([text]);
        } catch (e) {
          whole = e as Error;
        }
        try {
          split = tokenize(pieces);
        } catch (e) {
          split = e as Error;
        }
        expect(split).toEqual(whole);
      }),
      { numRuns: 500 },
    );
  });
});

describe('property: no input escapes untyped or hangs (CSV)', () => {
  const adversarial = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.array(fc.constantFrom('a', '1', '2.5', ',', ';', '\t', '"', '""', '\n', '\r\n', '\r', 'NaN', '-', 'e', ' ', '\ufeff', '1,5'), { maxLength: 60 }).map((a) => a.join('')),
  );
  it('parseCsv returns a Dataset or throws a DeployNnError', () => {
    fc.assert(
      fc.property(adversarial, fc.option(fc.constantFrom('a', 'y', 'x'), { nil: undefined }), (text, label) => {
        try {
          const ds = parseCsv(text, { name: 'fuzz', ...(label === undefined ? {} : { label }) });
          for (const row of ds.inputs) for (const v of row) expect(Number.isFinite(v)).toBe(true);
          expect(ds.inputs.length).toBe(ds.targets.length);
        } catch (e) {
          expect(e).toBeInstanceOf(DeployNnError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
