import { describe, expect, it } from 'vitest';
import { f32Bits, f32FromHex, f32ToHex, isExactF32, ulpDistance } from '../../host/core/f32.js';

describe('float32 bits', () => {
  it('writes IEEE-754 binary32 bits sign first', () => {
    expect(f32ToHex(1)).toBe('3f800000');
    expect(f32ToHex(-2)).toBe('c0000000');
    expect(f32ToHex(0)).toBe('00000000');
    expect(f32ToHex(-0)).toBe('80000000');
    expect(f32ToHex(Number.MIN_VALUE)).toBe('00000000'); // below float32's smallest subnormal
    expect(f32ToHex(1.401298464324817e-45)).toBe('00000001');
  });

  it('round-trips every float32 it writes', () => {
    let seed = 12345;
    for (let i = 0; i < 10_000; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      const x = f32FromHex(seed.toString(16).padStart(8, '0')) as number;
      if (Number.isNaN(x)) continue;
      expect(f32FromHex(f32ToHex(x))).toBe(x);
      expect(f32Bits(x)).toBe(seed);
    }
  });

  it('refuses anything but 8 hex digits', () => {
    for (const bad of ['', '3f80000', '3f8000000', '3f80000g', ' 3f80000']) expect(f32FromHex(bad)).toBeUndefined();
  });

  it('measures ulp distance across zero and between neighbours', () => {
    const one = 1;
    const next = f32FromHex('3f800001') as number;
    expect(ulpDistance(one, one)).toBe(0);
    expect(ulpDistance(one, next)).toBe(1);
    expect(ulpDistance(0, -0)).toBe(0);
    expect(ulpDistance(f32FromHex('00000001') as number, f32FromHex('80000001') as number)).toBe(2);
    expect(ulpDistance(NaN, 1)).toBe(Infinity);
  });

  it('knows exact float32 values', () => {
    expect(isExactF32(0.5)).toBe(true);
    expect(isExactF32(0.1)).toBe(false);
    expect(isExactF32(Math.fround(0.1))).toBe(true);
    expect(isExactF32(Infinity)).toBe(false);
  });
});
