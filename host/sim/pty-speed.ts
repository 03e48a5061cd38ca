// The line speed a host set on a pty (termios), read with stty: a pty ignores it, so the virtual board checks it.
import { execFileSync } from 'node:child_process';

/** The host's termios speed on `pts` (e.g. /dev/pts/3) in baud, or undefined when stty cannot tell. */
export function readPtySpeed(pts: string): number | undefined {
  try {
    const out = execFileSync('stty', ['-F', pts, 'speed'], { encoding: 'utf8', timeout: 2000, stdio: ['ignore', 'pipe', 'ignore'] });
    const baud = Number(out.trim());
    return Number.isFinite(baud) && baud > 0 ? baud : undefined;
  } catch {
    return undefined;
  }
}
