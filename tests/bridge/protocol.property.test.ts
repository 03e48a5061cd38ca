// Property tests (fast-check) of the host's protocol parser and line splitting: random and adversarial input.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  crc16,
  encodeError,
  encodeReady,
  encodeReply,
  encodeRequest,
  maxRequestLength,
  parseBoardLine,
  parseHostLine,
} from '../../host/bridge/protocol.js';
import type { BoardLine } from '../../host/bridge/protocol.js';
import { LineSplitter } from '../../host/bridge/transport.js';
import { f32Bits } from '../../host/core/f32.js';
import { chunks } from '../fixtures/chunks.js';

const KINDS = new Set(['ready', 'reply', 'error', 'text', 'garbled']);
const f32 = fc.float({ noNaN: false });
const seq = fc.integer({ min: 0, max: 0xffffffff });
const latin1 = fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 200 });

/** A valid board line, then the same with its bytes mutated. */
const validLine = fc.oneof(
  fc.tuple(seq, fc.array(f32, { minLength: 1, maxLength: 12 }), fc.integer({ min: 0, max: 0xffffffff })).map(([s, o, c]) => encodeReply(s, o, c)),
  fc.tuple(fc.option(seq, { nil: undefined }), fc.constantFrom('crc', 'len', 'hex', 'frame', 'long' as const)).map(([s, c]) => encodeError(s, c)),
  fc.tuple(fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 16, maxLength: 16 }), fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 16 })).map(([h, i, o]) =>
    encodeReady({ proto: 1, model: h.toLowerCase(), board: 'uno', inputs: i, outputs: o, window: 2 }),
  ),
);
const mutation = fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('replace', 'insert', 'delete', 'truncate'));
function mutate(line: string, [at, byte, how]: [number, number, string]): string {
  const i = at % (line.length + 1);
  const c = String.fromCharCode(byte);
  if (how === 'replace') return line.slice(0, i) + c + line.slice(i + 1);
  if (how === 'insert') return line.slice(0, i) + c + line.slice(i);
  if (how === 'delete') return line.slice(0, i) + line.slice(i + 1);
  return line.slice(0, i);
}

function wellFormed(p: BoardLine): boolean {
  return KINDS.has(p.kind);
}

describe('parseBoardLine', () => {
  it('never throws and always returns one of its kinds, on any latin1 or unicode text', () => {
    fc.assert(fc.property(fc.oneof(latin1, fc.string({ unit: 'grapheme', maxLength: 100 })), (s) => wellFormed(parseBoardLine(s))), { numRuns: 3000 });
  });

  it('adversarial prefixes: any text after a frame sigil parses without throwing', () => {
    const sigils = fc.constantFrom('=', '!', '#READY ', '#', '=1:', '!?:', '#READY proto=1 model=');
    fc.assert(fc.property(sigils, latin1, (p, s) => wellFormed(parseBoardLine(p + s))), { numRuns: 3000 });
  });

  it('round trips replies bit for bit (NaN payloads included)', () => {
    fc.assert(
      fc.property(seq, fc.array(f32, { minLength: 1, maxLength: 64 }), fc.integer({ min: 0, max: 0xffffffff }), (s, outs, cycles) => {
        const p = parseBoardLine(encodeReply(s, outs, cycles));
        expect(p.kind).toBe('reply');
        if (p.kind !== 'reply') return;
        expect(p.seq).toBe(s);
        expect(p.cycles).toBe(cycles);
        expect(Array.from(p.outputs, f32Bits)).toEqual(outs.map(f32Bits));
      }),
      { numRuns: 500 },
    );
  });

  it('a mutated valid frame never throws; a substituted byte is never taken for a different valid frame', () => {
    fc.assert(
      fc.property(validLine, mutation, (line, m) => {
        const mutated = mutate(line, m);
        const p = parseBoardLine(mutated);
        expect(wellFormed(p)).toBe(true);
        if (m[2] !== 'replace' || mutated === line || (p.kind !== 'ready' && p.kind !== 'reply' && p.kind !== 'error')) return;
        // CRC-16 catches every single-byte substitution (a burst under 16 bits): what still checks out is the original.
        // (Insertions and deletions change the length; those are only required not to throw.)
        expect(p).toEqual(parseBoardLine(line));
      }),
      { numRuns: 5000 },
    );
  });

  // A quadratic parser would take minutes on these and hit the test's timeout (no wall-clock bound here).
  it('huge lines parse to one of its kinds', () => {
    const big = `=${'a'.repeat(200_000)}:${'0'.repeat(200_000)}*ABCD`;
    for (const s of [big, `!${'?'.repeat(300_000)}`, `#READY ${'a=b '.repeat(100_000)}*0000`, `=${':'.repeat(300_000)}*0000`]) {
      expect(wellFormed(parseBoardLine(s))).toBe(true);
    }
  });

  it('the CRC matches the check value of docs/protocol.md', () => {
    expect(crc16('123456789')).toBe(0x29b1);
  });
});

describe('parseHostLine (the board side, used by the mock board)', () => {
  it('never throws, and round trips requests', () => {
    fc.assert(fc.property(latin1, fc.integer({ min: 1, max: 64 }), (s, n) => typeof parseHostLine(s, n).kind === 'string'), { numRuns: 2000 });
    fc.assert(
      fc.property(seq, fc.array(f32, { minLength: 1, maxLength: 64 }), (s, xs) => {
        const line = encodeRequest(s, xs);
        expect(line.length).toBeLessThanOrEqual(maxRequestLength(xs.length));
        const p = parseHostLine(line, xs.length);
        expect(p.kind).toBe('request');
        if (p.kind === 'request') expect(Array.from(p.inputs, f32Bits)).toEqual(xs.map(f32Bits));
      }),
      { numRuns: 500 },
    );
  });
});

describe('LineSplitter', () => {
  it('gives the same lines however the bytes are chunked', () => {
    fc.assert(
      fc.property(fc.array(latin1.map((s) => s.replace(/\n/g, '')), { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 30 }), (lines, cuts) => {
        const text = lines.map((l) => `${l}\n`).join('');
        const splitter = new LineSplitter();
        const got = chunks(text, cuts).flatMap((c) => splitter.push(Buffer.from(c, 'latin1')));
        expect(got).toEqual(lines);
        expect(splitter.pending).toBe(0);
      }),
      { numRuns: 2000 },
    );
  });

  it('bounds memory: overlong lines are cut at maxLength and the rest dropped up to the newline', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string({ maxLength: 5 }), fc.string({ minLength: 30, maxLength: 90 })), { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 30 }), (raw, cuts) => {
        const lines = raw.map((l) => l.replace(/\n/g, ''));
        const text = lines.map((l) => `${l}\n`).join('');
        const splitter = new LineSplitter(16);
        const got: string[] = [];
        for (const c of chunks(text, cuts)) {
          got.push(...splitter.push(c));
          expect(splitter.pending).toBeLessThanOrEqual(16);
        }
        expect(got).toEqual(lines.map((l) => l.slice(0, 16)));
      }),
      { numRuns: 2000 },
    );
  });

  it('a stream of noise with no newline keeps memory bounded', () => {
    const splitter = new LineSplitter(100);
    let lines = 0;
    for (let i = 0; i < 1000; i++) lines += splitter.push(Buffer.alloc(1000, 0xaa)).length;
    expect(splitter.pending).toBeLessThanOrEqual(100);
    expect(lines).toBe(1);
  });
});
