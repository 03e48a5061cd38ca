// Which Arduino board a USB serial port is, by its vendor/product id, from the Arduino core's boards.txt.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BOARDS } from '../core/boards.js';
import { arduinoAvrDir } from '../build/builtin.js';
import type { PortInfo } from './touch.js';

/** A board of boards.txt with the USB ids it enumerates with (sketch and bootloader). */
export interface CoreBoard {
  /** Its key in boards.txt (uno, mega, leonardo, ...). */
  readonly coreId: string;
  readonly name: string;
  /** Our board id when deploy-nn supports it (host/core/boards.ts coreBoardId). */
  readonly boardId: string | undefined;
  readonly usb: readonly { readonly vid: number; readonly pid: number }[];
}

/** Parse boards.txt text (pure): `<id>.name=`, `<id>.vid.N=` and `<id>.pid.N=` lines. */
export function parseBoardsTxt(text: string): CoreBoard[] {
  const names = new Map<string, string>();
  const ids = new Map<string, Map<string, { vid?: number; pid?: number }>>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#')) continue;
    let m = /^([A-Za-z0-9_-]+)\.name=(.*)$/.exec(line);
    if (m) {
      names.set(m[1]!, m[2]!.trim());
      continue;
    }
    m = /^([A-Za-z0-9_-]+)\.(vid|pid)\.(\d+)=0[xX]([0-9A-Fa-f]{1,4})$/.exec(line);
    if (m) {
      const board = ids.get(m[1]!) ?? new Map<string, { vid?: number; pid?: number }>();
      ids.set(m[1]!, board);
      const pair = board.get(m[3]!) ?? {};
      pair[m[2] as 'vid' | 'pid'] = parseInt(m[4]!, 16);
      board.set(m[3]!, pair);
    }
  }
  const out: CoreBoard[] = [];
  for (const [coreId, pairs] of ids) {
    const usb = [...pairs.values()].filter((p): p is { vid: number; pid: number } => p.vid !== undefined && p.pid !== undefined);
    if (usb.length === 0) continue;
    out.push({ coreId, name: names.get(coreId) ?? coreId, boardId: BOARDS.find((b) => b.upload.coreBoardId === coreId)?.id, usb });
  }
  return out;
}

let cached: CoreBoard[] | undefined;

/** The core's boards with USB ids (read once; none when the core is not installed). */
export function coreBoards(): CoreBoard[] {
  if (!cached) {
    try {
      cached = parseBoardsTxt(readFileSync(path.join(arduinoAvrDir(), 'boards.txt'), 'utf8'));
    } catch {
      cached = [];
    }
  }
  return cached;
}

/** The board a port is, by its USB ids (undefined: not an Arduino the core knows, e.g. a CH340 clone's adapter). */
export function identifyPort(port: PortInfo, boards: readonly CoreBoard[] = coreBoards()): CoreBoard | undefined {
  if (!port.vendorId || !port.productId) return undefined;
  const vid = parseInt(port.vendorId, 16);
  const pid = parseInt(port.productId, 16);
  return boards.find((b) => b.usb.some((u) => u.vid === vid && u.pid === pid));
}
