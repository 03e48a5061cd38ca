// Serial ports as the OS lists them, and the Leonardo's way into its bootloader: open at 1200 baud and close (the
// "1200-baud touch"), then wait for the bootloader's USB port, a new device, as the Arduino IDE does.
import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { UploadFailedError } from '../core/errors.js';
import type { ProbeOpener } from './probe.js';

/** One port from the OS list (serialport's list() fields that matter here). */
export interface PortInfo {
  readonly path: string;
  readonly vendorId?: string | undefined;
  readonly productId?: string | undefined;
  readonly manufacturer?: string | undefined;
  readonly serialNumber?: string | undefined;
}

export type PortLister = () => Promise<PortInfo[]>;

export const listSerialPorts: PortLister = async () => {
  const { SerialPort } = await import('serialport');
  try {
    const ports = await SerialPort.list();
    return ports.map((p) => ({ path: p.path, vendorId: p.vendorId, productId: p.productId, manufacturer: p.manufacturer, serialNumber: p.serialNumber }));
  } catch {
    return listFromSysfs(); // serialport asks udevadm, which minimal systems and containers lack
  }
};

/** Serial ports from /sys/class/tty (those with a device behind them), USB ids from the nearest USB device above. */
export function listFromSysfs(root = '/sys/class/tty'): PortInfo[] {
  const out: PortInfo[] = [];
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return out;
  }
  for (const name of names.sort()) {
    let dir: string;
    try {
      dir = realpathSync(path.join(root, name, 'device'));
    } catch {
      continue; // virtual consoles and ptys have no device
    }
    if (/serial8250/.test(dir)) continue; // legacy UARTs the kernel always lists
    const info: { path: string; vendorId?: string; productId?: string; manufacturer?: string; serialNumber?: string } = { path: `/dev/${name}` };
    for (let d = dir; d !== '/' && d.startsWith('/sys'); d = path.dirname(d)) {
      const read = (f: string): string | undefined => {
        try {
          return readFileSync(path.join(d, f), 'utf8').trim();
        } catch {
          return undefined;
        }
      };
      const vid = read('idVendor');
      if (vid !== undefined) {
        info.vendorId = vid;
        info.productId = read('idProduct');
        info.manufacturer = read('manufacturer');
        info.serialNumber = read('serial');
        break;
      }
    }
    out.push(info);
  }
  return out;
}

export interface TouchOptions {
  /** How long to wait for the bootloader's port, ms (default 10000; Caterina stays 8 s in its bootloader). */
  readonly timeoutMs?: number;
  /** Between two listings, ms (default 250). */
  readonly pollMs?: number;
}

/**
 * Open `port` at 1200 baud and close it: a Leonardo's sketch then resets into its bootloader, which enumerates as a
 * new USB serial port. Returns that port (a path not in the list before the touch; or the same path if it went away
 * and came back). Throws UploadFailedError when none appears in time.
 */
export async function touchForBootloader(open: ProbeOpener, list: PortLister, port: string, opts: TouchOptions = {}): Promise<string> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const pollMs = opts.pollMs ?? 250;
  const before = new Set((await list()).map((p) => p.path));
  const link = await open(port, 1200);
  await link.close();
  const deadline = Date.now() + timeoutMs;
  let sawGone = false;
  for (;;) {
    const now = (await list()).map((p) => p.path);
    const fresh = now.find((p) => !before.has(p));
    if (fresh) return fresh;
    if (!now.includes(port)) sawGone = true;
    else if (sawGone) return port; // it went away and came back under the same name
    if (Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, pollMs));
  }
  throw new UploadFailedError(
    `no bootloader port appeared within ${Math.round(timeoutMs / 1000)} s after the 1200-baud touch on ${port}`,
    'press the reset button twice quickly (the bootloader then waits 8 s) and upload again; check that the board is a Leonardo (--board)',
  );
}
