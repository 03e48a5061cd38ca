// The serial stream's line framing (@serialport/parser-readline behind LineLengthGuard) against the bounded
// LineSplitter the mock board uses: the same lines (empty ones aside) however the bytes are chunked, and a bound on
// what is buffered.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLineFramer, LineLengthGuard } from '../../host/bridge/line-framing.js';
import { LineSplitter } from '../../host/bridge/transport.js';
import { chunks } from '../fixtures/chunks.js';

const latin1 = fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 120 });
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

async function frame(pieces: string[], maxLength: number): Promise<string[]> {
  const got: string[] = [];
  const framer = createLineFramer(maxLength, (l) => got.push(l));
  for (const p of pieces) framer.write(Buffer.from(p, 'latin1'));
  await settle();
  return got;
}

describe('line framing of the serial stream', () => {
  it('gives the same lines as LineSplitter, with overlong lines cut, however the bytes are chunked', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(latin1, fc.string({ minLength: 30, maxLength: 90 })), { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 30 }), fc.integer({ min: 1, max: 40 }), async (raw, cuts, maxLength) => {
        const text = raw.join('\n') + (raw.length ? '\n' : '');
        const pieces = chunks(text, cuts);
        const splitter = new LineSplitter(maxLength);
        // ReadlineParser hands on no empty line (a stream drops zero-length chunks); to a session it is text either way.
        const expected = pieces.flatMap((p) => splitter.push(Buffer.from(p, 'latin1'))).filter((l) => l !== '');
        expect(await frame(pieces, maxLength)).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('an unfinished line is not handed on; latin1 bytes come through as one char each', async () => {
    expect(await frame(['=1:\xff\x00ab\ncd'], 64)).toEqual(['=1:\xff\x00ab']);
  });

  it('what reaches the parser never holds a run longer than maxLength without a newline (bounded memory)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(latin1, fc.string({ minLength: 50, maxLength: 300 })), { maxLength: 10 }), fc.integer({ min: 1, max: 64 }), async (pieces, maxLength) => {
        const guard = new LineLengthGuard(maxLength);
        let out = '';
        guard.on('data', (b: Buffer) => (out += b.toString('latin1')));
        for (const p of pieces) guard.write(Buffer.from(p, 'latin1'));
        await settle();
        for (const run of out.split('\n')) expect(run.length).toBeLessThanOrEqual(maxLength);
      }),
      { numRuns: 500 },
    );
  });

  it('a device that sends 1 MB of noise and never a newline: one cut line, then the next real line', async () => {
    const noise = Array.from({ length: 1000 }, () => '\xaa'.repeat(1000));
    expect(await frame([...noise, '\nok\n'], 100)).toEqual(['\xaa'.repeat(100), 'ok']);
  });
});
