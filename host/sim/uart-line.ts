// The serial line between two UARTs set to different speeds: what the receiver makes of the sender's bits.
// A pty carries bytes, not bits, and ignores the baud rate; the virtual board uses this so a host at the wrong speed
// gets garbage, as on a real board, instead of a link that works for the wrong reason.

/** Relative speed difference below which both ends still sample every bit correctly (a real UART tolerates ~4%). */
export const UART_TOLERANCE = 0.03;

/** Whether two line speeds are close enough for 8N1 frames to arrive intact. */
export function speedsMatch(a: number, b: number): boolean {
  return Math.abs(a - b) / Math.max(a, b) <= UART_TOLERANCE;
}

/**
 * The bytes a receiver at `receiverBaud` reads from `bytes` sent back to back at `senderBaud` (8N1, idle high before
 * and after). Pure. It waits for a falling edge (start bit), samples the 8 data bits at the middle of its own bit
 * times, and looks for the next start bit from the middle of its stop bit, as a UART does; a byte whose stop bit
 * reads 0 (a framing error) is kept, since the AVR delivers it too. Equal speeds return the bytes unchanged.
 */
export function resampleUart(bytes: Uint8Array, senderBaud: number, receiverBaud: number): Uint8Array {
  if (senderBaud === receiverBaud) return Uint8Array.from(bytes);
  const bits = bytes.length * 10;
  // Line level during sender bit k: start 0, data LSB first, stop 1; idle 1 outside the frames.
  const level = (k: number): number => {
    if (k < 0 || k >= bits) return 1;
    const b = k % 10;
    if (b === 0) return 0;
    if (b === 9) return 1;
    return (bytes[(k - b) / 10]! >> (b - 1)) & 1;
  };
  const r = senderBaud / receiverBaud; // one receiver bit, in sender bit times
  const out: number[] = [];
  let t = 0;
  for (;;) {
    let edge = -1;
    for (let k = Math.ceil(t); k < bits; k++) {
      if (level(k) === 0 && level(k - 1) === 1) {
        edge = k;
        break;
      }
    }
    if (edge < 0) break;
    const sample = (j: number): number => level(Math.floor(edge + (j + 0.5) * r));
    if (sample(0) !== 0) {
      t = edge + 1; // a glitch, not a start bit
      continue;
    }
    let byte = 0;
    for (let j = 1; j <= 8; j++) byte |= sample(j) << (j - 1);
    out.push(byte);
    t = edge + 9.5 * r;
  }
  return Uint8Array.from(out);
}
