// Exact float32 bit handling: the wire format of the bridge and the comparison of board and host outputs.

const buf = new DataView(new ArrayBuffer(4));

/** The IEEE-754 binary32 bits of x (rounded to float32 first) as an unsigned integer. */
export function f32Bits(x: number): number {
  buf.setFloat32(0, x);
  return buf.getUint32(0);
}

export function f32FromBits(bits: number): number {
  buf.setUint32(0, bits >>> 0);
  return buf.getFloat32(0);
}

/** 8 lowercase hex digits, big-endian bit order (sign first): 1.0 -> "3f800000". */
export function f32ToHex(x: number): string {
  return f32Bits(x).toString(16).padStart(8, '0');
}

/** Inverse of f32ToHex; undefined unless exactly 8 hex digits. */
export function f32FromHex(hex: string): number | undefined {
  if (!/^[0-9a-fA-F]{8}$/.test(hex)) return undefined;
  return f32FromBits(parseInt(hex, 16));
}

/** Maps float32 bits onto a line where adjacent floats differ by 1 (+0 and -0 both map to 0). */
function ordered(bits: number): number {
  return bits & 0x80000000 ? -(bits & 0x7fffffff) : bits;
}

/** Distance in units in the last place between two float32 values; 0 means bit-identical or +0/-0; Infinity if either is NaN. */
export function ulpDistance(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.POSITIVE_INFINITY;
  return Math.abs(ordered(f32Bits(a)) - ordered(f32Bits(b)));
}

/** True when x survives a float32 round trip unchanged (and is finite). */
export function isExactF32(x: number): boolean {
  return Number.isFinite(x) && Math.fround(x) === x;
}

const TWO_M126 = 2 ** -126;
const TWO_M149 = 2 ** -149;

/** The integer significand and exponent of a finite float32: |x| = m * 2^e exactly. */
function f32Parts(x: number): { m: bigint; e: number } {
  const bits = f32Bits(x);
  const field = (bits >>> 23) & 0xff;
  const frac = bits & 0x7fffff;
  return field === 0 ? { m: BigInt(frac), e: -149 } : { m: BigInt(frac | 0x800000), e: field - 150 };
}

/** Significant bits of the quotient avr-libc's __divsf3 computes before it rounds (the rest of the remainder is lost). */
export const AVR_DIV_QUOTIENT_BITS = 25;
/** Bits of that quotient that survive below the last kept bit once it is shifted right into the subnormal position. */
export const AVR_DIV_GUARD_BITS = 16;

/**
 * a / b as avr-libc's __divsf3 computes it, measured on the emulated ATmega328P by the arithmetic fuzz: correctly
 * rounded (to nearest, ties to even) when the quotient is normal; when it is subnormal (below 2^-126) the library
 * rounds a quotient already truncated to AVR_DIV_QUOTIENT_BITS significant bits and shifted right into place, of
 * which only AVR_DIV_GUARD_BITS bits below the last kept one survive, so a remainder smaller than that is lost: a
 * quotient just above a half-way point is treated as a tie and goes to even, 1 ulp low. (Both widths were found by
 * the fuzz: 24 or 26+ quotient bits, or 15 or 17 guard bits, disagree with the board; these agree on millions.) The firmware never
 * divides into that range (divSmall); this twin of the library lets the fuzz check every quotient bit for bit.
 */
export function avrLibcDivide(a: number, b: number): number {
  const q = Math.fround(a / b);
  if (!Number.isFinite(q) || q === 0 || Math.abs(q) > TWO_M126) return q;
  const pa = f32Parts(a);
  const pb = f32Parts(b);
  // big = floor(|a / b| / 2^-209): far more bits than needed.
  const shift = pa.e - pb.e + 209;
  const big = shift >= 0 ? (pa.m << BigInt(shift)) / pb.m : pa.m / (pb.m << BigInt(-shift));
  const len = big.toString(2).length;
  const cut = Math.max(0, len - AVR_DIV_QUOTIENT_BITS);
  let t = big >> BigInt(cut); // the truncated quotient, scale 2^(cut - 209)
  let drop = 60 - cut; // bits of t below 2^-149
  if (drop <= 0) return q;
  // Shifted right into the subnormal position, only AVR_DIV_GUARD_BITS of it survive below the last kept bit.
  if (drop > AVR_DIV_GUARD_BITS) {
    t >>= BigInt(drop - AVR_DIV_GUARD_BITS);
    drop = AVR_DIV_GUARD_BITS;
  }
  let n = t >> BigInt(drop);
  const rem = t & ((1n << BigInt(drop)) - 1n);
  const half = 1n << BigInt(drop - 1);
  if (rem > half || (rem === half && (n & 1n) === 1n)) n += 1n;
  if (n >= 0x800000n) return q; // rounds to 2^-126 or was not below it exactly: as the correctly rounded quotient
  const negative = (f32Bits(a) ^ f32Bits(b)) >>> 31 === 1;
  const v = Number(n) * TWO_M149;
  return negative ? -v : v;
}
