// Sketch names by the Arduino IDE's rules (one validator for generate, build and export), and C identifiers derived
// from a name separately: `my-sketch` is a fine sketch folder, but `my_sketch` is what goes into C.
import { UsageError } from './errors.js';
import { terminalSafe } from './terminal.js';

export const SKETCH_NAME_MAX = 63;
/** Letters, digits, `_`, `-`, `.`; not starting with `-` or `.`; at most 63 characters. */
const SKETCH_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
export const SKETCH_NAME_RULE = `letters, digits, _, - and . only, not starting with - or ., at most ${SKETCH_NAME_MAX} characters`;

/** Whether `name` is a valid Arduino sketch name (the folder and its .ino). */
export function isValidSketchName(name: string): boolean {
  return name.length <= SKETCH_NAME_MAX && SKETCH_NAME.test(name);
}

/** A valid sketch name close to `name`: other characters become `_`, a leading `-`/`.` is dropped, cut to 63. */
export function suggestSketchName(name: string): string {
  const s = name.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^[-.]+/, '').slice(0, SKETCH_NAME_MAX);
  return s === '' ? 'sketch' : s;
}

/** Throws a UsageError naming the bad name, the rule and a valid name to use instead. */
export function checkSketchName(name: string, what = 'sketch folder name'): void {
  if (isValidSketchName(name)) return;
  const shown = JSON.stringify(terminalSafe(name.length > 80 ? `${name.slice(0, 80)}...` : name));
  throw new UsageError(
    `${what} ${shown} is not a valid Arduino sketch name (${name.length} characters): use ${SKETCH_NAME_RULE}`,
    `rename the folder (and its .ino), e.g. to "${suggestSketchName(name)}"`,
  );
}

/** A C identifier made from any text: lowercase [a-z0-9_], not starting with a digit, at most `max` characters. */
export function cIdentifier(text: string, max = 48): string {
  let id = text.toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
  if (id === '') id = 'model';
  if (/^[0-9]/.test(id)) id = `nn_${id}`;
  return id.slice(0, max);
}
