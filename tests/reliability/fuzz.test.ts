// Firmware under garbage, the suite's seeded 2,000-line version of `npm run bench:fuzz`: the real iris firmware on the emulated Uno.
import { beforeAll, describe, expect, it } from 'vitest';
import { buildFirmware, GARBAGE_KINDS, formatFuzzReport, runFuzz } from '../../host/bench/bench-fuzz.js';
import type { Firmware, FuzzReport } from '../../host/bench/bench-fuzz.js';

let iris: Firmware;
let rep: FuzzReport;

beforeAll(async () => {
  iris = await buildFirmware('iris');
  rep = runFuzz({ model: iris.model, hexPath: iris.hexPath, board: iris.board, sampleRows: iris.dataset.inputs, lines: 2000, seed: 1 });
  console.log(formatFuzzReport(rep, `iris (${iris.model.hash})`));
}, 600_000);

describe('the iris firmware under 2,000 random and mutated lines (seed 1)', () => {
  it('never answers garbage with a prediction, and every prediction is bit-identical to forward()', () => {
    expect(rep.violationSamples).toEqual([]);
    expect(rep.violations).toBe(0);
    expect(rep.valid.mismatched).toBe(0);
    expect(rep.valid.bitIdentical).toBe(rep.valid.answered);
    // Every '=' line was one of ours: the replies are exactly the valid requests answered.
    expect(rep.boardLines.replies).toBe(rep.valid.answered + rep.crcCollisions);
  });

  it('never stops answering: the valid request after every burst is answered, and so is every request sent on a clean line', () => {
    expect(rep.rounds).toBeGreaterThan(200);
    expect(rep.roundsAnswered).toBe(rep.rounds);
    expect(rep.valid.cleanAnswered).toBe(rep.valid.clean);
    expect(rep.valid.answered).toBeGreaterThanOrEqual(rep.valid.clean);
  });

  it('never reboots, never sends a broken frame or a line too many', () => {
    expect(rep.unexpectedReady).toBe(0);
    expect(rep.boardLines.garbled).toBe(0);
    expect(rep.extraLines).toBe(0);
  });

  it('loses lines only when several arrive back to back (RX overrun), never a line sent alone', () => {
    // A line alone on the wire to an idle board got exactly one answer (a miss is among the violations above).
    expect(rep.singleLines).toBeGreaterThan(200);
    expect(rep.silentDropsByMode['window'] ?? 0).toBe(0);
    expect(rep.silentDrops).toBeLessThan(rep.linesToAnswer / 100);
    // Everything else was answered with exactly one line.
    expect(rep.boardLines.total).toBe(rep.linesToAnswer - rep.silentDrops + rep.resyncAnswered);
  });

  it('reaches every decoder path: each kind of garbage sent, each error code seen', () => {
    expect(rep.lines).toBeGreaterThanOrEqual(2000);
    for (const kind of GARBAGE_KINDS) expect(rep.sentByKind[kind] ?? 0, kind).toBeGreaterThan(50);
    for (const code of ['crc', 'len', 'hex', 'frame', 'long']) expect(rep.errorsByCode[code] ?? 0, code).toBeGreaterThan(10);
    expect(rep.boardLines.text).toBeGreaterThan(50); // human-mode answers
    expect(rep.boardLines.ready).toBeGreaterThan(50); // answers to ?
  });
});
