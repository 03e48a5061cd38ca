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
