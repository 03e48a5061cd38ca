// The arithmetic fuzz: each float operation the firmware uses, run by the real avr-libc code on the emulated
// ATmega328P (operands written straight into SRAM, the CPU stepped until the batch is done), against its TypeScript
// twin, on operand sets drawn from four categories. Pure except for the emulator it is handed.
import { CPU, avrInstruction } from 'avr8js';
import { avrLibcDivide, f32Bits, f32FromBits } from '../core/f32.js';
import { divSmall, expNeg, sigmoid, softmaxInPlace, tanh } from '../model/activations.js';
import { ARITH_BATCH, ARITH_OPS, DOT_SPAN } from './arith-firmware.js';
import type { ArithFirmware, ArithOp } from './arith-firmware.js';
import { parseIntelHex } from '../sim/intel-hex.js';

const f = Math.fround;

export const CATEGORIES = ['uniform', 'specials', 'subnormal', 'sensor'] as const;
export type Category = (typeof CATEGORIES)[number];

/** The operations compared with a twin (expf and none only measure cycles). */
export const FUZZ_OPS = ['mul', 'add', 'div', 'divsmall', 'mac', 'dot', 'exp', 'sigmoid', 'tanh', 'softmax'] as const satisfies readonly ArithOp[];
export type FuzzOp = (typeof FUZZ_OPS)[number];

/** Outputs per operand set. */
function outputsOf(op: ArithOp): number {
  return op === 'softmax' ? 3 : 1;
}

/** The twin of 'dot': acc = c of set i, then for the sets i .. i + DOT_SPAN - 1: acc += a * b (b = 0 skipped). */
export function dotTwin(sets: readonly (readonly [number, number, number])[], i: number): number {
  let acc = (sets[i] as readonly number[])[2] as number;
  for (let j = i; j < Math.min(i + DOT_SPAN, sets.length); j++) {
    const [w, x] = sets[j] as readonly [number, number, number];
    if (x !== 0) acc = f(acc + f(w * x));
  }
  return acc;
}

/** The TypeScript twin of each operation (a, b, c are the operand set; 'dot' needs the batch: dotTwin). */
export function twin(op: FuzzOp, a: number, b: number, c: number): number[] {
  switch (op) {
    case 'dot':
      return [dotTwin([[a, b, c]], 0)];
    case 'mul':
      return [f(a * b)];
    case 'add':
      return [f(a + b)];
    case 'div':
      return [avrLibcDivide(a, b)];
    case 'divsmall':
      return [divSmall(a, b)];
    case 'mac':
      // nn_dot: a zero input (b, +0 or -0) is skipped.
      return [b === 0 ? c : f(c + f(a * b))];
    case 'exp':
      return [expNeg(a)];
    case 'sigmoid':
      return [sigmoid(a)];
    case 'tanh':
      return [tanh(a)];
    case 'softmax': {
      const v = Float32Array.of(a, b, c);
      softmaxInPlace(v);
      return Array.from(v);
    }
  }
}

/** Mulberry32. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SPECIAL_BITS = [
  0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7f800001, 0x7fbfffff, 0xffc12345,
  0x7f7fffff, 0xff7fffff, 0x00800000, 0x80800000, 0x00000001, 0x80000001, 0x007fffff, 0x807fffff, 0x3f800000,
  0xbf800000, 0x3f000000, 0x40000000, 0x3f7fffff, 0x3f800001, 0x0d800000, 0x0d7fffff,
];

/** Operand sets for one op and category, as float32 values. */
export function generator(op: FuzzOp, category: Category, seed: number): () => [number, number, number] {
  const r = rng(seed);
  const u32 = (): number => (r() * 4294967296) >>> 0;
  const bits = (): number => f32FromBits(u32());
  const sign = (): number => (r() < 0.5 ? -1 : 1);
  const logUniform = (lo: number, hi: number): number => f(sign() * lo * (hi / lo) ** r());
  /** A float32 with exponent field in [lo, hi] (0 = subnormal), random significand and sign. */
  const withField = (lo: number, hi: number): number => {
    const field = lo + Math.floor(r() * (hi - lo + 1));
    return f32FromBits((((r() < 0.5 ? 1 : 0) << 31) | (field << 23) | (u32() & 0x7fffff)) >>> 0);
  };
  const special = (): number => (r() < 0.6 ? f32FromBits(SPECIAL_BITS[Math.floor(r() * SPECIAL_BITS.length)] as number) : bits());
  const neg = (x: number): number => (Number.isNaN(x) ? x : -Math.abs(x));
  // Domain of nn_div_small: 0 <= e <= 1 <= s.
  const inUnit = (x: number): number => (Number.isNaN(x) ? x : Math.abs(x) <= 1 ? Math.abs(x) : f(1 / Math.abs(x)));
  const atLeastOne = (x: number): number => (Number.isNaN(x) ? x : Math.abs(x) >= 1 ? Math.min(Math.abs(x), 65535) : f(1 / Math.max(Math.abs(x), 2 ** -16)));

  const pick = (): [number, number, number] => {
    switch (category) {
      case 'uniform':
        return [bits(), bits(), bits()];
      case 'specials':
        return [special(), special(), special()];
      case 'subnormal':
        switch (op) {
          case 'mul':
          case 'mac':
          case 'dot': {
            // Products around 2^-126 (exponent fields summing to 254 + [-152, -120]), some operands subnormal.
            const target = -152 + Math.floor(r() * 33);
            let fa = 0;
            let fb = 0;
            do {
              fa = 1 + Math.floor(r() * 254);
              fb = target + 254 - fa;
            } while (fb < 1 || fb > 254);
            const a = r() < 0.1 ? withField(0, 0) : withField(fa, fa);
            const b = r() < 0.1 ? withField(0, 0) : withField(fb, fb);
            return [a, b, r() < 0.5 ? withField(0, 2) : f(-f(a * b) * (1 + (r() - 0.5) * 2 ** -20))];
          }
          case 'add':
            return [withField(0, 3), withField(0, 3), 0];
          case 'div': {
            // Quotients around 2^-126: exponent fields differing by 122 to 152, some dividends subnormal.
            const fa = 1 + Math.floor(r() * 100);
            const a = r() < 0.1 ? withField(0, 0) : withField(fa, fa);
            const fb = Math.min(254, fa + 122 + Math.floor(r() * 31));
            return [a, withField(fb, fb), 0];
          }
          case 'divsmall':
            return [Math.abs(logUniform(2 ** -126, 2 ** -90)), Math.abs(logUniform(1, 65535)), 0];
          case 'exp':
            return [neg(r() < 0.7 ? f(-87 + (r() - 0.5) * 2 ** -(r() * 20)) : withField(0, 40)), 0, 0];
          case 'sigmoid':
          case 'tanh':
            return [r() < 0.5 ? f(sign() * (87 + (r() - 0.5) * 4)) : withField(0, 40), 0, 0];
          case 'softmax':
            return [0, f(-87 + (r() - 0.5) * 2), f(-(86 + r() * 2))];
        }
        break;
      case 'sensor':
        switch (op) {
          case 'mul':
          case 'mac':
          case 'dot':
            return [logUniform(1e-3, 4), r() < 0.05 ? 0 : logUniform(1e-3, 1e4), logUniform(1e-2, 100)];
          case 'add':
            return [logUniform(1e-3, 1e4), logUniform(1e-3, 1e4), 0];
          case 'div':
            return [logUniform(1e-3, 1e4), logUniform(1e-3, 1e4), 0];
          case 'divsmall':
            return [expNeg(f(-r() * 30)), f(1 + r() * 40), 0];
          case 'exp':
            return [f(-r() * 20), 0, 0];
          case 'sigmoid':
          case 'tanh':
            return [f(sign() * r() * 20), 0, 0];
          case 'softmax':
            return [f((r() - 0.5) * 20), f((r() - 0.5) * 20), f((r() - 0.5) * 20)];
        }
    }
    throw new Error('unreachable');
  };
  return () => {
    const s = pick();
    if (op === 'exp') s[0] = neg(s[0]);
    if (op === 'divsmall') {
      s[0] = inUnit(s[0]);
      s[1] = atLeastOne(s[1]);
    }
    return [f(s[0]), f(s[1]), f(s[2])];
  };
}

/** The emulated CPU with the fuzz firmware loaded: batches of operand sets in, results and cycles out. */
export class ArithBoard {
  private readonly cpu: CPU;
  private readonly view: DataView;
  private readonly flash: DataView;

  constructor(private readonly fw: ArithFirmware) {
    const flash = parseIntelHex(fw.hex, 32768, '<arith firmware>');
    this.cpu = new CPU(new Uint16Array(flash.buffer, flash.byteOffset, flash.byteLength / 2));
    this.view = new DataView(this.cpu.data.buffer, this.cpu.data.byteOffset, this.cpu.data.byteLength);
    this.flash = new DataView(this.cpu.progMem.buffer, this.cpu.progMem.byteOffset, this.cpu.progMem.byteLength);
    // Boot: run the C startup up to the wait loop.
    this.step(200_000, () => false);
  }

  private step(maxCycles: number, done: () => boolean): void {
    const cpu = this.cpu;
    const end = cpu.cycles + maxCycles;
    const state = this.fw.addr.state;
    const data = cpu.data;
    while (cpu.cycles < end) {
      avrInstruction(cpu);
      cpu.tick();
      if (data[state] === 2) break;
    }
    if (!done()) return;
  }

  /** Run `op` over sets (at most ARITH_BATCH): the outputs (float32 values, NaN payloads kept as bits) and the cycles. */
  run(op: ArithOp, sets: readonly (readonly [number, number, number])[]): { bits: Uint32Array; cycles: number } {
    if (sets.length > ARITH_BATCH) throw new RangeError(`at most ${ARITH_BATCH} sets per batch`);
    const { addr } = this.fw;
    sets.forEach(([a, b, c], i) => {
      this.view.setUint32(addr.a + 4 * i, f32Bits(a), true);
      this.flash.setUint32(this.fw.weights + 4 * i, f32Bits(a), true);
      this.view.setUint32(addr.b + 4 * i, f32Bits(b), true);
      this.view.setUint32(addr.c + 4 * i, f32Bits(c), true);
    });
    const data = this.cpu.data;
    data[addr.op] = ARITH_OPS.indexOf(op);
    data[addr.count] = sets.length;
    data[addr.state] = 1;
    const start = this.cpu.cycles;
    this.step(sets.length * 200_000 + 100_000, () => true);
    if (data[addr.state] !== 2) throw new Error(`arith firmware: ${op} batch did not finish`);
    data[addr.state] = 0;
    const cycles = this.cpu.cycles - start;
    const n = outputsOf(op);
    const out = new Uint32Array(sets.length * n);
    const results = [addr.r0, addr.r1, addr.r2];
    for (let i = 0; i < sets.length; i++) for (let k = 0; k < n; k++) out[i * n + k] = this.view.getUint32((results[k] as number) + 4 * i, true);
    return { bits: out, cycles };
  }
}

/** Equal bits, or both NaN (the contract: NaN is NaN, its payload is not compared). */
export function sameResult(board: number, host: number): boolean {
  if (board === host) return true;
  const isNaN = (b: number): boolean => (b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) !== 0;
  return isNaN(board) && isNaN(host);
}

export interface FuzzCell {
  readonly op: FuzzOp;
  readonly category: Category;
  sets: number;
  mismatches: number;
  /** Both NaN with different payloads (counted as agreeing). */
  nanPayloadDiffers: number;
  cycles: number;
  readonly examples: { a: string; b: string; c: string; board: string; host: string }[];
}

const hex = (b: number): string => (b >>> 0).toString(16).padStart(8, '0');

/** `sets` operand sets of `op` in `category` on the board and the twin. */
export function fuzzCell(board: ArithBoard, op: FuzzOp, category: Category, sets: number, seed: number): FuzzCell {
  const cell: FuzzCell = { op, category, sets: 0, mismatches: 0, nanPayloadDiffers: 0, cycles: 0, examples: [] };
  const next = generator(op, category, seed);
  const n = outputsOf(op);
  while (cell.sets < sets) {
    const batch = Array.from({ length: Math.min(ARITH_BATCH, sets - cell.sets) }, next);
    const { bits, cycles } = board.run(op, batch);
    cell.cycles += cycles;
    batch.forEach(([a, b, c], i) => {
      const want = op === 'dot' ? [dotTwin(batch, i)] : twin(op, a, b, c);
      let bad = false;
      for (let k = 0; k < n; k++) {
        const got = bits[i * n + k] as number;
        const host = f32Bits(want[k] as number);
        if (!sameResult(got, host)) bad = true;
        else if (got !== host) cell.nanPayloadDiffers++;
      }
      if (bad) {
        cell.mismatches++;
        if (cell.examples.length < 3) {
          cell.examples.push({ a: hex(f32Bits(a)), b: hex(f32Bits(b)), c: hex(f32Bits(c)), board: Array.from(bits.subarray(i * n, i * n + n), hex).join(' '), host: want.map((w) => hex(f32Bits(w))).join(' ') });
        }
      }
    });
    cell.sets += batch.length;
  }
  return cell;
}

/** Mean cycles of one operation over `sets` operand sets from `category`, minus the batch loop alone ('none'). */
export function cyclesPerOp(board: ArithBoard, op: ArithOp, sets: readonly (readonly [number, number, number])[]): number {
  let total = 0;
  let base = 0;
  for (let i = 0; i < sets.length; i += ARITH_BATCH) {
    const batch = sets.slice(i, i + ARITH_BATCH);
    total += board.run(op, batch).cycles;
    base += board.run('none', batch).cycles;
  }
  return (total - base) / sets.length;
}
