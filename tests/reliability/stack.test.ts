// Firmware memory: the painted stack high-water mark of the digits firmware (64-32-10) on the emulated Uno, beside static and free SRAM.
import { beforeAll, describe, expect, it } from 'vitest';
import { readSectionSizes } from '../../host/build/avr-size.js';
import { buildFirmware } from '../../host/bench/bench-fuzz.js';
import type { Firmware } from '../../host/bench/bench-fuzz.js';
import { MIN_FREE_SRAM, formatStackFigures, measureStack } from '../../host/bench/bench-stack.js';
import type { StackFigures } from '../../host/bench/bench-stack.js';

let digits: Firmware;
let figures: StackFigures;
let sizes: { data: number; bss: number };

beforeAll(async () => {
  // Trained once for the file (the preset: 200 epochs of Adam, some seconds).
  digits = await buildFirmware('digits');
  // A quarter of the rows (every fourth), streamed as requests two at a time, then human-mode lines, ? and errors.
  const rows = digits.dataset.inputs.filter((_r, i) => i % 4 === 0);
  figures = measureStack({ model: digits.model, hexPath: digits.hexPath, elfPath: digits.elfPath, board: digits.board, rows });
  sizes = await readSectionSizes(digits.elfPath);
  console.log(formatStackFigures(figures, `digits (${digits.model.hash})`, sizes));
}, 600_000);

describe('digits 64-32-10 on the emulated Uno', () => {
  it('is a 64-32-10 model and ran every row bit-identically (so the stack was measured on real work)', () => {
    expect([digits.model.layers[0]?.inputs, ...digits.model.layers.map((l) => l.outputs)]).toEqual([64, 32, 10]);
    expect(figures.rows).toBeGreaterThan(400);
    expect(figures.bitIdentical).toBe(figures.rows);
    expect(figures.humanAnswers).toBeGreaterThanOrEqual(20);
  });

  it('keeps at least 256 bytes of SRAM free between static data and the deepest stack byte', () => {
    expect(figures.freeBytes).toBeGreaterThanOrEqual(MIN_FREE_SRAM);
    expect(figures.freeBytes).toBe(figures.sramBytes - figures.staticBytes - figures.stackBytes);
  });

  it('agrees with independent measures: static SRAM with avr-size, the painted mark with sampled SP', () => {
    expect(figures.staticBytes).toBe(sizes.data + sizes.bss);
    expect(figures.sampledStackBytes).toBeGreaterThan(20);
    expect(figures.stackBytes).toBeGreaterThanOrEqual(figures.sampledStackBytes);
  });
});
