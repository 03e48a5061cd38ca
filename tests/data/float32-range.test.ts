// Values the board cannot hold (beyond float32) are refused where they enter, naming the CSV cell: train, verify, monitor.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { registerTrain } from '../../host/cli/commands/train.js';
import { CsvError } from '../../host/core/errors.js';
import { exitCodeFor } from '../../host/cli/run.js';
import { parseCsv } from '../../host/data/csv.js';
import { readRowsForModel, streamRowsForModel } from '../../host/data/rows.js';
import { makeModel } from '../bridge/fixtures.js';
import { runCommands } from '../cli-in-process.js';

const dir = mkdtempSync(path.join(tmpdir(), 'f32-range-'));
const MESSAGE = 'row 3, column "x1": "1e39" is outside the float32 range the board computes in (magnitude at most 3.4028235e38)';

describe('CSV values outside float32', () => {
  it('train (parseCsv): the cell is named, and the fix says to rescale', () => {
    const err = (() => {
      try {
        parseCsv('x0,x1,y\n1,2,a\n3,1e39,b\n', { name: 't' });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(CsvError);
    expect((err as CsvError).message).toBe(MESSAGE);
    expect((err as CsvError).hint).toMatch(/rescale/);
    expect(exitCodeFor(err)).toBe(2);
  });

  it('train on the command line: exit 2, the message names the cell (not a model.json weight)', async () => {
    const csv = path.join(dir, 'train.csv');
    const rows = Array.from({ length: 12 }, (_, i) => `${i},${i % 3},${i % 2 ? 'a' : 'b'}`);
    rows[1] = '3,1e39,b';
    writeFileSync(csv, `x0,x1,y\n${rows.join('\n')}\n`);
    const run = await runCommands([registerTrain], ['train', '--data', csv, '--out', path.join(dir, 'model.json'), '--epochs', '1']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(MESSAGE);
    expect(run.stderr).not.toMatch(/model\.json/);
  });

  it('verify and monitor (rows for a model): the cell is named', async () => {
    const model = { ...makeModel([2, 3, 2]), inputNames: ['x0', 'x1'] };
    const csv = path.join(dir, 'rows.csv');
    writeFileSync(csv, 'x0,x1\n1,2\n3,1e39\n');
    await expect(readRowsForModel(csv, model)).rejects.toThrow(MESSAGE);
    const seen: number[][] = [];
    const err = await (async () => {
      for await (const r of streamRowsForModel(csv, model)) seen.push(r.inputs);
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CsvError);
    expect(seen).toEqual([[1, 2]]);
  });

  it('the largest float32 and values that round to it still pass; tiny values (they round to 0 or a subnormal) too', () => {
    const ds = parseCsv('x0,y\n3.4028235e38,a\n-3.40282356e38,b\n1e-45,a\n1e-50,b\n', { name: 't' });
    expect(ds.inputs.map((r) => r[0])).toEqual([3.4028235e38, -3.40282356e38, 1e-45, 1e-50]);
  });
});
