// A small run of the arithmetic fuzz (npm run bench:arith runs a million operand sets per operation and category).
import { beforeAll, describe, expect, it } from 'vitest';
import { buildArithFirmware } from '../../host/bench/arith-firmware.js';
import { ArithBoard, CATEGORIES, FUZZ_OPS, fuzzCell, generator, twin } from '../../host/bench/arith-fuzz.js';
import { avrLibcDivide, f32Bits, f32FromBits } from '../../host/core/f32.js';

let board: ArithBoard;
let asmKernel = false;

beforeAll(async () => {
  const fw = await buildArithFirmware();
  asmKernel = fw.asmKernel;
  board = new ArithBoard(fw);
}, 120_000);

it('the fuzz firmware runs the assembly multiply-accumulate (mac and dot below test it, not the portable C)', () => {
  expect(asmKernel).toBe(true);
});

describe('every float operation of the firmware on the emulated ATmega328P equals its TypeScript twin', () => {
  for (const op of FUZZ_OPS) {
    const sets = ['exp', 'sigmoid', 'tanh', 'softmax'].includes(op) ? 128 : 1024;
    for (const category of CATEGORIES) {
      it(`${op}, ${category}: ${sets} operand sets`, () => {
        const cell = fuzzCell(board, op, category, sets, 7);
        expect(cell.sets).toBe(sets);
        expect(cell.examples).toEqual([]);
        expect(cell.mismatches).toBe(0);
      });
    }
  }

  it('the comparison can fail: plain round-to-nearest division is not what avr-libc does below 2^-126', () => {
    // A quotient of about 4836734.51 x 2^-149: nearest is ...7f, avr-libc (25-bit quotient, then rounded) gives ...7e.
    const a = f32FromBits(0x0046a620);
    const b = f32FromBits(0xbf750f79);
    const { bits } = board.run('div', [[a, b, 0]]);
    expect(bits[0]).toBe(0x8049cd7e);
    expect(f32Bits(Math.fround(a / b))).toBe(0x8049cd7f);
    expect(f32Bits(avrLibcDivide(a, b))).toBe(0x8049cd7e);
    expect(twin('div', a, b, 0)).toEqual([f32FromBits(0x8049cd7e)]);
  });

  it('the subnormal category really reaches subnormal results, and the uniform one NaN and infinities', () => {
    const sub = Array.from({ length: 512 }, generator('mul', 'subnormal', 3)).map(([a, b]) => Math.abs(Math.fround(a * b)));
    expect(sub.filter((p) => p > 0 && p < 2 ** -126).length).toBeGreaterThan(100);
    const div = Array.from({ length: 512 }, generator('div', 'subnormal', 3)).map(([a, b]) => Math.abs(a / b));
    expect(div.filter((p) => p > 0 && p < 2 ** -126).length).toBeGreaterThan(100);
    const spec = Array.from({ length: 512 }, generator('add', 'specials', 3)).flat();
    expect(spec.some(Number.isNaN) && spec.includes(Number.POSITIVE_INFINITY) && spec.some((x) => Object.is(x, -0))).toBe(true);
  });
});
