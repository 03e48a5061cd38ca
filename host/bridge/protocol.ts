// The bridge protocol (docs/protocol.md), host side: pure encoders and a parser that never throws.
import { f32FromHex, f32ToHex } from '../core/f32.js';

export const PROTOCOL_VERSION = 1;

/** CRC-16/CCITT-FALSE over the bytes of an ASCII string: poly 0x1021, init 0xFFFF, MSB first. */
export function crc16(text: string): number {
  let crc = 0xffff;
  for (let i = 0; i < text.length; i++) {
    crc ^= (text.charCodeAt(i) & 0xff) << 8;
    for (let b = 0; b < 8; b++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

function frame(payload: string): string {
  return `${payload}*${crc16(payload).toString(16).toUpperCase().padStart(4, '0')}`;
}

export function seqToHex(seq: number): string {
  return (seq >>> 0).toString(16);
}

/** A request line, without the trailing newline. */
export function encodeRequest(seq: number, inputs: ArrayLike<number>): string {
  let hex = '';
  for (let i = 0; i < inputs.length; i++) hex += f32ToHex(inputs[i] as number);
  return frame(`>${seqToHex(seq)}:${hex}`);
}

export interface ReadyInfo {
  readonly proto: number;
  readonly model: string;
  readonly board: string;
  readonly inputs: number;
  readonly outputs: number;
  readonly window: number;
}

export type BoardErrorCode = 'crc' | 'len' | 'hex' | 'frame' | 'long';

export type BoardLine =
  | { readonly kind: 'ready'; readonly info: ReadyInfo }
  | { readonly kind: 'reply'; readonly seq: number; readonly outputs: Float32Array; readonly cycles: number }
  | { readonly kind: 'error'; readonly seq: number | undefined; readonly code: string }
  /** Text for people: human-mode answers, comments. */
  | { readonly kind: 'text'; readonly text: string }
  /** Looked like a frame but did not check out (bad CRC, bad fields): line noise or a board bug. */
  | { readonly kind: 'garbled'; readonly text: string; readonly reason: string };

function splitFrame(line: string): { payload: string } | { reason: string } {
  const star = line.lastIndexOf('*');
  if (star < 0 || line.length - star !== 5) return { reason: 'no check value' };
  const payload = line.slice(0, star);
  const given = line.slice(star + 1);
  if (!/^[0-9A-F]{4}$/.test(given)) return { reason: `check value "${given}" is not 4 hex digits` };
  const want = crc16(payload).toString(16).toUpperCase().padStart(4, '0');
  if (given !== want) return { reason: `check value ${given}, computed ${want}` };
  return { payload };
}

const SEQ = /^[0-9a-f]{1,8}$/;

/** Parse one line from the board (without its newline). Never throws: bad frames come back as `garbled`. */
export function parseBoardLine(rawLine: string): BoardLine {
  const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
  const sigil = line[0];
  if (sigil !== '#' && sigil !== '=' && sigil !== '!') return { kind: 'text', text: line };
  if (sigil === '#' && !line.startsWith('#READY ')) return { kind: 'text', text: line };
  const split = splitFrame(line);
  if ('reason' in split) return { kind: 'garbled', text: line, reason: split.reason };
  const body = split.payload.slice(1);
  if (sigil === '#') {
    const fields = new Map<string, string>();
    for (const kv of body.slice('READY '.length).split(' ')) {
      const eq = kv.indexOf('=');
      if (eq > 0) fields.set(kv.slice(0, eq), kv.slice(eq + 1));
    }
    const num = (k: string): number => {
      const v = fields.get(k);
      return v !== undefined && /^\d{1,6}$/.test(v) ? Number(v) : NaN;
    };
    const info: ReadyInfo = {
      proto: num('proto'),
      model: fields.get('model') ?? '',
      board: fields.get('board') ?? '',
      inputs: num('in'),
      outputs: num('out'),
      window: num('window'),
    };
    if ([info.proto, info.inputs, info.outputs, info.window].some(Number.isNaN) || !/^[0-9a-f]{16}$/.test(info.model)) {
      return { kind: 'garbled', text: line, reason: 'ready line lacks proto, model, in, out or window' };
    }
    return { kind: 'ready', info };
  }
  const parts = body.split(':');
  if (sigil === '!') {
    const [seqText, code] = parts;
    if (parts.length !== 2 || seqText === undefined || code === undefined || !/^[a-z]+$/.test(code)) {
      return { kind: 'garbled', text: line, reason: 'error frame is not !seq:code' };
    }
    if (seqText === '?') return { kind: 'error', seq: undefined, code };
    if (!SEQ.test(seqText)) return { kind: 'garbled', text: line, reason: `bad sequence number "${seqText}"` };
    return { kind: 'error', seq: parseInt(seqText, 16), code };
  }
  const [seqText, outHex, cyclesHex] = parts;
  if (parts.length !== 3 || seqText === undefined || outHex === undefined || cyclesHex === undefined) {
    return { kind: 'garbled', text: line, reason: 'reply frame is not =seq:outputs:cycles' };
  }
  if (!SEQ.test(seqText)) return { kind: 'garbled', text: line, reason: `bad sequence number "${seqText}"` };
  if (!/^[0-9a-f]{8}$/.test(cyclesHex)) return { kind: 'garbled', text: line, reason: `bad cycle count "${cyclesHex}"` };
  if (outHex.length === 0 || outHex.length % 8 !== 0 || !/^[0-9a-f]+$/.test(outHex)) {
    return { kind: 'garbled', text: line, reason: 'outputs are not whole 8-digit hex floats' };
  }
  const outputs = new Float32Array(outHex.length / 8);
  for (let i = 0; i < outputs.length; i++) outputs[i] = f32FromHex(outHex.slice(i * 8, i * 8 + 8)) as number;
  return { kind: 'reply', seq: parseInt(seqText, 16), outputs, cycles: parseInt(cyclesHex, 16) };
}

/** Board-side encoders, for the TypeScript mock board used in unit tests and for shared test vectors. */
export function encodeReady(info: ReadyInfo): string {
  return frame(`#READY proto=${info.proto} model=${info.model} board=${info.board} in=${info.inputs} out=${info.outputs} window=${info.window}`);
}

export function encodeReply(seq: number, outputs: ArrayLike<number>, cycles: number): string {
  let hex = '';
  for (let i = 0; i < outputs.length; i++) hex += f32ToHex(outputs[i] as number);
  return frame(`=${seqToHex(seq)}:${hex}:${(cycles >>> 0).toString(16).padStart(8, '0')}`);
}

export function encodeError(seq: number | undefined, code: BoardErrorCode): string {
  return frame(`!${seq === undefined ? '?' : seqToHex(seq)}:${code}`);
}

/** A line as the board reads it (the board side of the protocol, for the mock board and shared test vectors). */
export type HostLine =
  | { readonly kind: 'request'; readonly seq: number; readonly inputs: Float32Array }
  | { readonly kind: 'query' }
  | { readonly kind: 'human'; readonly values: readonly number[] }
  | { readonly kind: 'empty' }
  | { readonly kind: 'invalid'; readonly seq: number | undefined; readonly code: BoardErrorCode };

/** Longest request line for `inputs` inputs, without its newline: `>` seq(8) `:` 8 per input `*` CRC(4). */
export function maxRequestLength(inputs: number): number {
  return 1 + 8 + 1 + 8 * inputs + 5;
}

/** Decode one host line as a board expecting `inputs` inputs would. Never throws. */
export function parseHostLine(rawLine: string, inputs: number): HostLine {
  const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
  if (line.length === 0) return { kind: 'empty' };
  if (line === '?') return { kind: 'query' };
  if (line.length > maxRequestLength(inputs)) return { kind: 'invalid', seq: undefined, code: 'long' };
  const first = line[0] as string;
  if (/[0-9+\-.]/.test(first)) {
    const values = line.split(/[ ,]+/).filter((s) => s !== '').map(Number);
    if (values.length === inputs && values.every(Number.isFinite)) return { kind: 'human', values };
    return { kind: 'invalid', seq: undefined, code: 'frame' };
  }
  if (first !== '>') return { kind: 'invalid', seq: undefined, code: 'frame' };
  const colon = line.indexOf(':');
  const seqText = colon < 0 ? '' : line.slice(1, colon);
  const seq = /^[0-9a-f]{1,8}$/.test(seqText) ? parseInt(seqText, 16) : undefined;
  const star = line.lastIndexOf('*');
  if (colon < 0 || star < colon || line.length - star !== 5) return { kind: 'invalid', seq, code: 'frame' };
  const payload = line.slice(0, star);
  if (line.slice(star + 1) !== crc16(payload).toString(16).toUpperCase().padStart(4, '0')) return { kind: 'invalid', seq, code: 'crc' };
  if (seq === undefined) return { kind: 'invalid', seq, code: 'frame' };
  const hex = payload.slice(colon + 1);
  if (!/^[0-9a-f]*$/.test(hex)) return { kind: 'invalid', seq, code: 'hex' };
  if (hex.length !== 8 * inputs) return { kind: 'invalid', seq, code: 'len' };
  const values = new Float32Array(inputs);
  for (let i = 0; i < inputs; i++) values[i] = f32FromHex(hex.slice(i * 8, i * 8 + 8)) as number;
  return { kind: 'request', seq, inputs: values };
}
