// The firmware's request decoder and frame writer (nn_protocol.h, host-compiled) against host/bridge/protocol.ts.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateSketch } from '../../host/codegen/generate.js';
import { getBoard } from '../../host/core/boards.js';
import { f32FromHex, f32ToHex } from '../../host/core/f32.js';
import { forward } from '../../host/model/forward.js';
import { crc16, encodeRequest, parseBoardLine } from '../../host/bridge/protocol.js';
import type { BoardLine } from '../../host/bridge/protocol.js';
import { randomModel } from '../fixtures/models/models.js';
import { compileHarness, runHarness } from './harness.js';

const model = randomModel({ name: 'proto', sizes: [64, 8, 10], activations: ['relu', 'softmax'], seed: 11 });
const N = 64;
let exe = '';

beforeAll(async () => {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'nn-proto-')), 'sketch');
  await generateSketch(model, getBoard('uno'), { outDir: dir });
  exe = compileHarness(dir);
});

/** Feed raw bytes to the decoder; the board's lines after its boot ready line, parsed by the host's parser. */
function exchange(bytes: string | Buffer): { boot: BoardLine; lines: BoardLine[]; raw: string[] } {
  const raw = runHarness(exe, 'serial', typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes).split('\n');
  expect(raw.pop()).toBe('');
  const [boot, ...rest] = raw.map(parseBoardLine);
  return { boot: boot!, lines: rest, raw: raw.slice(1) };
}

function frame(payload: string): string {
  return `${payload}*${crc16(payload).toString(16).toUpperCase().padStart(4, '0')}`;
}

const row = (k: number): number[] => Array.from({ length: N }, (_, i) => ((i * 7 + k * 3) % 17) - (i % 3 === 0 ? 0 : 4.25));

describe('board side of protocol v1', () => {
  it('boots with a ready line the host parses: proto 1, model hash, board, in, out, window 2', () => {
    const { boot, lines } = exchange('?\n');
    const want = { proto: 1, model: model.hash, board: 'uno', inputs: N, outputs: 10, window: 2 };
    expect(boot).toEqual({ kind: 'ready', info: want });
    expect(lines).toEqual([{ kind: 'ready', info: want }]);
  });

  it('answers requests from encodeRequest with forward() outputs bit for bit, seq echoed (0, small, 8 digits), \\n or \\r\\n', () => {
    const seqs = [0, 1, 0x2a, 0xffffffff, 0x10000000];
    const input = seqs.map((s, k) => encodeRequest(s, row(k)) + (k % 2 ? '\r\n' : '\n')).join('');
    const { lines } = exchange(input);
    expect(lines).toHaveLength(seqs.length);
    lines.forEach((l, k) => {
      expect(l.kind).toBe('reply');
      if (l.kind !== 'reply') return;
      expect(l.seq).toBe(seqs[k]);
      expect(Array.from(l.outputs, f32ToHex)).toEqual(Array.from(forward(model, row(k)), f32ToHex));
      expect(l.cycles).toBe(0);
    });
  });

  it('carries inputs as exact float32 bits: -0, subnormals, huge values', () => {
    const special = row(0);
    special[0] = -0;
    special[1] = 1.4e-45;
    special[2] = 3.4e38;
    special[3] = -1e-30;
    const { lines } = exchange(encodeRequest(9, special) + '\n');
    const l = lines[0]!;
    expect(l.kind).toBe('reply');
    if (l.kind === 'reply') expect(Array.from(l.outputs, f32ToHex)).toEqual(Array.from(forward(model, special), f32ToHex));
  });

  const good = encodeRequest(0x1f, row(1));
  const body = good.slice(0, good.lastIndexOf('*'));
  const hex = body.slice(body.indexOf(':') + 1);
  const malformed: [string, string, string][] = [
    ['bad check value', `${body}*${good.endsWith('0000') ? '0001' : '0000'}`, '!1f:crc'],
    ['check value in lowercase hex', frame(body).toLowerCase().replace(/^>1f:[0-9a-f]+\*/, `${body}*`), '!1f:crc'],
    ['check value 3 digits', `${body}*${good.slice(-4, -1)}`, '!1f:crc'],
    ['one float too few', frame(`>1f:${hex.slice(8)}`), '!1f:len'],
    ['one hex digit too many', frame(`>1f:${hex}0`), '!1f:len'],
    ['a character that is not hex', frame(`>1f:${hex.slice(0, 20)}g${hex.slice(21)}`), '!1f:hex'],
    ['uppercase hex in the inputs', frame(`>1f:${hex.slice(0, 8).toUpperCase().replace(/^([0-9]*)$/, 'A$1').slice(0, 8)}${hex.slice(8)}`), '!1f:hex'],
    ['a whole extra float (longer than any request)', frame(`>ffffffff:${hex}3f800000`), '!ffffffff:long'],
    ['1000 hex digits without an end', `>1f:${'0'.repeat(1000)}`, '!1f:long'],
    ['truncated: no check value', `>1f:${hex.slice(0, 100)}`, '!1f:frame'],
    ['sequence number of 9 digits', frame(`>123456789:${hex}`), '!?:frame'],
    ['sequence number with a bad digit', frame(`>1x:${hex}`), '!?:frame'],
    ['empty sequence number', frame(`>:${hex}`), '!?:frame'],
    ['not a request line', 'hello board', '!?:frame'],
    ['a query with trailing text', '?x', '!?:frame'],
  ];
  for (const [what, line, want] of malformed) {
    it(`answers a malformed request with an error, never a prediction: ${what} -> ${want}`, () => {
      const { lines, raw } = exchange(`${line}\n${encodeRequest(2, row(2))}\n`);
      expect(raw[0]!.split('*')[0]).toBe(want);
      expect(lines[0]!.kind).toBe('error');
      // The next good request is still answered: the decoder is back at the start of a line.
      expect(lines[1]!.kind).toBe('reply');
      expect(lines).toHaveLength(2);
    });
  }

  it('binary noise gets error frames or nothing, never a reply, and the next request is answered', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 700 }), (noise) => {
        const bytes = Buffer.concat([Buffer.from(noise), Buffer.from(`\n${encodeRequest(5, row(5))}\n`)]);
        const { lines, raw } = exchange(bytes);
        const replies = lines.filter((l) => l.kind === 'reply');
        // Human-mode text may answer noise that starts with a digit; nothing else but error frames.
        for (const [k, l] of lines.entries()) {
          if (l.kind === 'text') expect(raw[k]).toMatch(/^human /);
          else if (l.kind !== 'reply') expect(l.kind).toBe('error');
        }
        expect(replies).toHaveLength(1);
        expect(replies[0]!.kind === 'reply' && replies[0]!.seq).toBe(5);
      }),
      { numRuns: 60 },
    );
  });

  it('any single corrupted byte of a request is caught: no prediction for it', () => {
    fc.assert(
      fc.property(fc.nat({ max: good.length - 1 }), fc.integer({ min: 0, max: 255 }), (at, byte) => {
        fc.pre(good.charCodeAt(at) !== byte);
        const bad = Buffer.from(`${good}\n`, 'latin1');
        bad[at] = byte;
        const { lines } = exchange(bad);
        expect(lines.filter((l) => l.kind === 'reply')).toHaveLength(0);
      }),
      { numRuns: 80 },
    );
  });

  it('human mode: decimals separated by commas or spaces become the inputs', () => {
    const { raw } = exchange('5.1,-3.5 1.4e2,.25,+7,0.000125\n1,2\n1.2.3\n');
    const values = (line: string): number[] => (line.split('values=')[1]!.match(/.{8}/g) ?? []).map((h) => f32FromHex(h)!);
    expect(raw[0]).toMatch(/^human count=6 error=0 /);
    const got = values(raw[0]!);
    const want = [5.1, -3.5, 140, 0.25, 7, 0.000125];
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 6));
    expect(raw[1]).toMatch(/^human count=2 error=0 /);
    expect(raw[2]).toMatch(/^human count=\d+ error=[1-9]/);
  });
});
