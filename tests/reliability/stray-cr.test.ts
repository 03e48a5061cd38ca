// A finding of the fuzz work: the board's decoder used to drop a '\r' anywhere in a line, so a frame with a stray CR inside got a
// prediction, though docs/protocol.md ignores only a '\r' right before the '\n' and the host's decoder refuses the line.
import { beforeAll, describe, expect, it } from 'vitest';
import { buildFirmware, createRunnerFor } from '../../host/bench/bench-fuzz.js';
import type { Firmware } from '../../host/bench/bench-fuzz.js';
import { encodeRequest, parseBoardLine, parseHostLine } from '../../host/bridge/protocol.js';
import type { BoardLine } from '../../host/bridge/protocol.js';

let iris: Firmware;

beforeAll(async () => {
  iris = await buildFirmware('iris');
}, 300_000);

/** Boot a fresh board, send one line, return the board's answer to it. */
function answer(line: string): BoardLine {
  const r = createRunnerFor(iris.hexPath, iris.board, iris.elfPath);
  let text = '';
  r.onTx((b) => (text += Buffer.from(b).toString('latin1')));
  expect(r.runUntil(() => text.includes('\n'), 50e6)).toBe(true);
  const boot = text.length;
  r.writeRx(line);
  expect(r.runUntil(() => text.indexOf('\n', boot) >= 0, 20e6)).toBe(true);
  return parseBoardLine(text.slice(boot, text.indexOf('\n', boot)));
}

describe('a carriage return inside a request line', () => {
  const frame = () => encodeRequest(0x81234567, Float32Array.from(iris.dataset.inputs[0] as number[]));

  it('control: the intact frame is answered, and so is one ending in \\r\\n (the spec ignores that \\r)', () => {
    expect(answer(`${frame()}\n`).kind).toBe('reply');
    expect(answer(`${frame()}\r\n`).kind).toBe('reply');
  });

  it('mid-line it is not part of a valid frame: the host refuses the line and the board must not predict', () => {
    const f = frame();
    const line = `${f.slice(0, 20)}\r${f.slice(20)}`; // the check value is the one of the frame without the \r
    expect(parseHostLine(line, 4).kind).toBe('invalid');
    const got = answer(`${line}\n`);
    expect(got.kind).toBe('error');
  });
});
