// C literals that lose nothing: exact float32 numbers and escaped strings, so data reaches C only as values.
import { isExactF32 } from '../core/f32.js';
import { ModelValidationError } from '../core/errors.js';

/**
 * The shortest decimal (at most 9 significant digits) that reads back as exactly this float32, with an `f` suffix:
 * 0.5 -> `0.5f`, 1e-8 stays `1e-08f`-like rather than turning into 0, -0 keeps its sign.
 * Throws on NaN, Infinity or a value that is not a float32.
 */
export function floatLiteral(x: number, field = 'value'): string {
  if (!Number.isFinite(x)) throw new ModelValidationError(field, `${x} cannot be written to C: weights must be finite`);
  if (!isExactF32(x)) throw new ModelValidationError(field, `${x} is not an exact float32 value`);
  if (Object.is(x, -0)) return '-0.0f';
  for (let digits = 1; digits <= 9; digits++) {
    const value = Number(x.toPrecision(digits));
    // String() gives JavaScript's plainest form of that decimal: 20 rather than 2e+1.
    if (Math.fround(value) === x) return `${cNumber(String(value))}f`;
  }
  // 9 significant digits always identify a float32; unreachable for finite float32 values.
  throw new Error(`floatLiteral: no 9-digit form for ${x}`);
}

/** A JavaScript number's text as a C floating constant: `1` -> `1.0`, `1e-7` -> `1.0e-7`, `2.5e+21` stays. */
function cNumber(text: string): string {
  const [mantissa = '', exponent] = text.split('e');
  let m = mantissa;
  if (m.includes('.')) m = m.replace(/0+$/, '').replace(/\.$/, '.0');
  else m = `${m}.0`;
  return exponent === undefined ? m : `${m}e${exponent}`;
}

/**
 * A C string literal holding exactly the UTF-8 bytes of `text`. Quotes, backslashes, `?` (trigraphs), control
 * characters and non-ASCII bytes are escaped as 3-digit octal, so no label can end the string or open a comment.
 */
export function stringLiteral(text: string): string {
  let out = '"';
  for (const byte of Buffer.from(text, 'utf8')) {
    const ch = String.fromCharCode(byte);
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '?') out += '\\?';
    else if (byte >= 0x20 && byte < 0x7f) out += ch;
    else out += `\\${byte.toString(8).padStart(3, '0')}`;
  }
  return `${out}"`;
}

