// Crafted models on the virtual Uno: generate, build with avr-gcc, run the .hex in-process and collect the replies.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildSketch } from '../../host/build/build.js';
import { generateSketch } from '../../host/codegen/generate.js';
import { getBoard } from '../../host/core/boards.js';
import type { ModelFile } from '../../host/core/model.js';
import { encodeRequest, parseBoardLine } from '../../host/bridge/protocol.js';
import { createAvrRunner } from '../../host/sim/avr-runner.js';

export interface BuiltModel {
  readonly hexPath: string;
  readonly sketchDir: string;
}

export async function buildModel(model: ModelFile): Promise<BuiltModel> {
  const board = getBoard('uno');
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'nn-arith-')), 'sketch');
  const sketch = await generateSketch(model, board, { outDir: dir });
  const build = await buildSketch(sketch, board, { toolchain: 'builtin' });
  return { hexPath: build.hexPath, sketchDir: dir };
}

/** Every row through the bridge protocol on the in-process virtual Uno: the board's outputs and cycles per row. */
export function runRows(hexPath: string, rows: readonly (readonly number[])[]): { outputs: number[][]; cycles: number[] } {
  const board = getBoard('uno');
  const runner = createAvrRunner(readFileSync(hexPath, 'latin1'), board, { source: hexPath });
  const lines: string[] = [];
  let partial = '';
  runner.onTx((bytes) => {
    partial += Buffer.from(bytes).toString('latin1');
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
  });
  const next = (match: RegExp): string => {
    let found: string | undefined;
    runner.runUntil(() => {
      const i = lines.findIndex((l) => match.test(l));
      if (i >= 0) found = lines.splice(0, i + 1).pop();
      return found !== undefined;
    }, 100e6);
    if (found === undefined) throw new Error(`the virtual board sent no line matching ${match}`);
    return found;
  };
  next(/^#READY /);
  const outputs: number[][] = [];
  const cycles: number[] = [];
  rows.forEach((row, k) => {
    runner.writeRx(`${encodeRequest(k + 1, row)}\n`);
    const reply = parseBoardLine(next(/^[=!]/));
    if (reply.kind !== 'reply') throw new Error(`row ${k}: ${JSON.stringify(reply)}`);
    outputs.push(Array.from(reply.outputs));
    cycles.push(reply.cycles);
  });
  return { outputs, cycles };
}
