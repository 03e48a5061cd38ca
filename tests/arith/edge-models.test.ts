// The holes in "the board computes what the host computes", each on the virtual Uno running the real .hex.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { registerVerify } from '../../host/cli/commands/verify.js';
import { f32ToHex } from '../../host/core/f32.js';
import { forward } from '../../host/model/forward.js';
import { serializeModel } from '../../host/model/model-file.js';
import { runCommands } from '../cli-in-process.js';
import { buildModel, runRows } from './board.js';
import { nanModel, subnormalRows, subnormalSoftmaxModel } from './models.js';

describe('hostile models on the virtual Uno', () => {
  it('softmax outputs below 2^-126 (subnormal quotients) are bit-identical to forward()', async () => {
    const model = subnormalSoftmaxModel();
    const rows = subnormalRows(120);
    const want = rows.map((r) => Array.from(forward(model, r)));
    // The rows really reach the subnormal range, where avr-libc's division truncates.
    const subnormal = want.filter((o) => o[9]! !== 0 && Math.abs(o[9]!) < 2 ** -126).length;
    expect(subnormal).toBeGreaterThan(60);
    const { hexPath } = await buildModel(model);
    const got = runRows(hexPath, rows).outputs;
    const bad = rows.map((_r, k) => k).filter((k) => got[k]!.map(f32ToHex).join('') !== want[k]!.map(f32ToHex).join(''));
    expect(bad.slice(0, 3).map((k) => ({ row: k, board: got[k]!.map(f32ToHex), host: want[k]!.map(f32ToHex) }))).toEqual([]);
  }, 120_000);

  it('NaN outputs are their own outcome: "non-finite", never a correct class, verify exits 1, bits kept in --json and the log', async () => {
    const model = nanModel();
    const dir = mkdtempSync(path.join(tmpdir(), 'nn-nan-'));
    const modelPath = path.join(dir, 'model.json');
    writeFileSync(modelPath, serializeModel(model));
    const data = path.join(dir, 'rows.csv');
    // Every row is labelled with the class argmax(NaN, ...) would name: none may count as correct.
    writeFileSync(data, 'x0,x1,y\n1,2,setosa\n2,0.5,setosa\n0,0,setosa\n');
    const { hexPath } = await buildModel(model);
    const log = path.join(dir, 'log.jsonl');
    const run = await runCommands([registerVerify], ['verify', '--model', modelPath, '--port', 'sim', '--hex', hexPath, '--data', data, '--json', '--log', log]);
    expect(run.code, run.stderr).toBe(1);
    const report = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(report).toMatchObject({ rows: 3, nonFinite: 2, bitIdentical: 1, mismatched: 0, failed: 0, boardAccuracy: 1 / 3 });
    const rows = report['nonFiniteRows'] as { index: number; hostBits: string[]; boardBits: string[] }[];
    expect(rows.map((r) => r.index)).toEqual([0, 1]);
    const isNaNBits = (h: string): boolean => (parseInt(h, 16) & 0x7f800000) === 0x7f800000 && (parseInt(h, 16) & 0x7fffff) !== 0;
    // Row 0 is +inf - inf: NaN on both sides, each written as its own bits; row 1 is +inf.
    expect(isNaNBits(rows[0]!.hostBits[0]!) && isNaNBits(rows[0]!.boardBits[0]!)).toBe(true);
    expect(rows[1]).toEqual({ index: 1, hostBits: ['7f800000', f32ToHex(2)], boardBits: ['7f800000', f32ToHex(2)] });
    expect(run.stderr).toMatch(/2 non-finite/);
    const lines = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; row?: Record<string, unknown> });
    const first = lines.find((l) => l.type === 'row' && l.row!['index'] === 0)!.row!;
    expect(first['status']).toBe('non-finite');
    expect(first['boardPrediction']).toBeUndefined();
    expect((first['boardBits'] as string[])[0]).toBe(rows[0]!.boardBits[0]);
    expect((first['hostBits'] as string[])[1]).toBe(f32ToHex(1));
  }, 120_000);
});
