// The upload speed that answered on a port, remembered (per port and board) so the next upload tries it first.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cacheDir } from '../build/builtin.js';

/** $XDG_CACHE_HOME/deploy-nn/upload-speeds.json (or ~/.cache/...). */
export function speedCachePath(): string {
  return path.join(cacheDir(), 'upload-speeds.json');
}

type Entries = Record<string, number>;

function read(file: string): Entries {
  try {
    const data = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (data && typeof data === 'object' && !Array.isArray(data)) {
      const out: Entries = {};
      for (const [k, v] of Object.entries(data)) if (typeof v === 'number' && Number.isInteger(v) && v > 0) out[k] = v;
      return out;
    }
  } catch {
    // none yet, or unreadable: start afresh
  }
  return {};
}

const key = (port: string, boardId: string): string => `${boardId} ${port}`;

/** The remembered speed for this port and board, if any. */
export function rememberedSpeed(port: string, boardId: string, file = speedCachePath()): number | undefined {
  return read(file)[key(port, boardId)];
}

/** Remember the speed that answered (best effort: a read-only cache folder is not an upload failure). */
export function rememberSpeed(port: string, boardId: string, baud: number, file = speedCachePath()): void {
  try {
    const entries: Entries = {};
    // Ports that no longer exist (an unplugged board, a stopped virtual one) are dropped, so the file stays small.
    for (const [k, v] of Object.entries(read(file))) if (existsSync(k.slice(k.indexOf(' ') + 1))) entries[k] = v;
    entries[key(port, boardId)] = baud;
    mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(entries, null, 2)}\n`);
    renameSync(tmp, file);
  } catch {
    // not remembered; the next upload probes again
  }
}

/** Speeds in the order to try: the remembered one first, then the board's list. */
export function speedOrder(speeds: readonly number[], remembered: number | undefined): number[] {
  if (remembered === undefined || !speeds.includes(remembered)) return [...speeds];
  return [remembered, ...speeds.filter((s) => s !== remembered)];
}
