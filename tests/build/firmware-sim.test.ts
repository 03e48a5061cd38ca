// The built firmware itself on the virtual Uno (avr8js running the real .hex): protocol, parity, cycles, human mode.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildSketch } from '../../host/build/build.js';
import { crc16, encodeRequest, parseBoardLine } from '../../host/bridge/protocol.js';
import { getBoard } from '../../host/core/boards.js';
import { f32ToHex } from '../../host/core/f32.js';
import type { ModelFile } from '../../host/core/model.js';
import { builtinDataset } from '../../host/data/builtin.js';
import { forward, predictLabel } from '../../host/model/forward.js';
import { createAvrRunner } from '../../host/sim/avr-runner.js';
import type { AvrRunner } from '../../host/sim/avr-runner.js';
import { runExample } from '../../host/train/examples.js';
import { NASTY_LABEL, goldenModel } from '../fixtures/models/models.js';
import { generatedSketch, hasAvrGcc } from './sketches.js';

const uno = getBoard('uno');

interface Board {
  readonly runner: AvrRunner;
  /** Everything the board sent so far, as text. */
  text(): string;
  lines(): string[];
}

async function boot(model: ModelFile): Promise<Board> {
  const build = await buildSketch(await generatedSketch(model, uno), uno, { toolchain: 'builtin' });
  const runner = createAvrRunner(readFileSync(build.hexPath, 'utf8'), uno);
  let out = '';
  runner.onTx((b) => {
    out += Buffer.from(b).toString('latin1');
  });
  const board = { runner, text: () => out, lines: () => out.split('\n').slice(0, -1) };
  expect(runner.runUntil(() => out.includes('\n'), 20e6)).toBe(true);
  return board;
}

describe.skipIf(!hasAvrGcc)('firmware on the virtual Uno', () => {
  let digits: ModelFile;
  let board: Board;
  beforeAll(async () => {
    digits = runExample('digits').result.model;
    board = await boot(digits);
  });

  it('boots with the ready line: proto 1, this model hash, uno, 64 in, 10 out, window 2', () => {
    expect(parseBoardLine(board.lines()[0]!)).toEqual({
      kind: 'ready',
      info: { proto: 1, model: digits.hash, board: 'uno', inputs: 64, outputs: 10, window: 2 },
    });
  });

  it('answers two requests in flight (528 bytes each, the second arriving while the first computes), bit for bit, with Timer1 cycles', () => {
    const rows = builtinDataset('digits').inputs.slice(100, 124);
    const before = board.lines().length;
    // Window 2: send the next request as soon as a reply frees a slot, never a third.
    board.runner.writeRx(`${encodeRequest(1, rows[0]!)}\n${encodeRequest(2, rows[1]!)}\n`);
    for (let k = 2; k < rows.length; k++) {
      expect(board.runner.runUntil(() => board.lines().length >= before + k - 1, 100e6)).toBe(true);
      board.runner.writeRx(`${encodeRequest(k + 1, rows[k]!)}\n`);
    }
    expect(board.runner.runUntil(() => board.lines().length >= before + rows.length, 100e6)).toBe(true);
    const replies = board.lines().slice(before).map(parseBoardLine);
    replies.forEach((r, k) => {
      expect(r.kind, JSON.stringify(r)).toBe('reply');
      if (r.kind !== 'reply') return;
      expect(r.seq).toBe(k + 1);
      expect(Array.from(r.outputs, f32ToHex)).toEqual(Array.from(forward(digits, rows[k]!), f32ToHex));
      // 64-32-10 at roughly 250 cycles per executed multiply-add: hundreds of thousands of cycles, never 0.
      expect(r.cycles).toBeGreaterThan(150_000);
      expect(r.cycles).toBeLessThan(1_500_000);
    });
  });

  it('answers a request with a bad check value with !seq:crc and no prediction; ? gives the ready line again', () => {
    const good = encodeRequest(0x77, new Array<number>(64).fill(1));
    const payload = good.slice(0, good.lastIndexOf('*'));
    const wrong = ((crc16(payload) ^ 1) >>> 0).toString(16).toUpperCase().padStart(4, '0');
    const before = board.lines().length;
    board.runner.writeRx(`${payload}*${wrong}\n?\n`);
    expect(board.runner.runUntil(() => board.lines().length >= before + 2, 50e6)).toBe(true);
    const [err, ready] = board.lines().slice(before).map(parseBoardLine);
    expect(err).toEqual({ kind: 'error', seq: 0x77, code: 'crc' });
    expect(ready!.kind).toBe('ready');
  });

  it('keeps its stack well inside the SRAM left above .data + .bss', () => {
    const stack = board.runner.stackHighWater();
    expect(stack.staticBytes).toBeLessThanOrEqual(1024);
    expect(stack.freeBytes).toBeGreaterThan(512);
  });

  it('human mode prints the label a"b\\n*/ #include back byte for byte, then the outputs', async () => {
    const model = goldenModel();
    const row = [20, 0.5, 2999];
    expect(predictLabel(model, forward(model, row))).toBe(NASTY_LABEL);
    const golden = await boot(model);
    const start = golden.text().length;
    golden.runner.writeRx(`${row.join(',')}\n`);
    expect(golden.runner.runUntil(() => /\n[^\n]*\d\r?\n$/.test(golden.text().slice(start)), 50e6)).toBe(true);
    const answer = golden.text().slice(start);
    const outputs = Array.from(forward(model, row), (v) => v.toFixed(3)).join(' ');
    expect(answer).toBe(`${NASTY_LABEL} ${outputs}\r\n`);
  });
});
