// Intel HEX to a flash image: data, EOF and extended-address records, every line checked, errors naming file and line.
import { SimError } from '../core/errors.js';

/**
 * Parse Intel HEX text into a flash image of `flashSize` bytes (unwritten bytes stay 0xFF, as in erased flash).
 * `source` names the file in error messages. Throws SimError naming `source:line` for a malformed record, a bad
 * checksum, data beyond the flash, or a file with no data or no end-of-file record.
 */
export function parseIntelHex(text: string, flashSize: number, source = '<hex>'): Uint8Array {
  const flash = new Uint8Array(flashSize).fill(0xff);
  const lines = text.split(/\r?\n/);
  let base = 0;
  let sawData = false;
  let sawEof = false;
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    const where = `${source}:${i + 1}`;
    if (line === '') continue;
    if (sawEof) throw new SimError(`${where}: data after the end-of-file record`, 'rebuild the sketch');
    if (!/^:([0-9A-Fa-f]{2})+$/.test(line) || line.length < 11) {
      throw new SimError(`${where}: not an Intel HEX record: "${line.slice(0, 40)}"`, 'give the .hex written by the build');
    }
    const bytes = Buffer.from(line.slice(1), 'hex');
    const count = bytes[0]!;
    if (bytes.length !== count + 5) {
      throw new SimError(`${where}: record says ${count} data bytes but holds ${bytes.length - 5}`, 'the file is truncated or corrupt: rebuild the sketch');
    }
    let sum = 0;
    for (const b of bytes) sum = (sum + b) & 0xff;
    if (sum !== 0) throw new SimError(`${where}: checksum mismatch`, 'the file is corrupt: rebuild the sketch');
    const address = (bytes[1]! << 8) | bytes[2]!;
    const type = bytes[3]!;
    const data = bytes.subarray(4, 4 + count);
    switch (type) {
      case 0x00: {
        const at = base + address;
        if (at + count > flashSize) {
          throw new SimError(`${where}: data at 0x${at.toString(16)} lies beyond the ${flashSize}-byte flash`, 'build for this board');
        }
        flash.set(data, at);
        sawData = true;
        break;
      }
      case 0x01:
        sawEof = true;
        break;
      case 0x02:
        base = ((data[0]! << 8) | data[1]!) << 4;
        break;
      case 0x04:
        base = ((data[0]! << 8) | data[1]!) << 16;
        break;
      case 0x03:
      case 0x05:
        break; // start address: the AVR always starts at 0
      default:
        throw new SimError(`${where}: unknown record type 0x${type.toString(16).padStart(2, '0')}`, 'allowed: 00-05');
    }
  }
  if (!sawData) throw new SimError(`${source}: no data records (empty or not a hex file)`, 'give the .hex written by the build');
  if (!sawEof) throw new SimError(`${source}: no end-of-file record (truncated?)`, 'rebuild the sketch');
  return flash;
}
