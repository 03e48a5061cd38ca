// What is wrong with a serial port path, told apart before anything opens it: missing, not a serial device,
// no permission, or held by another program. Each has its own typed error with a fix line.
import { accessSync, constants, readdirSync, readFileSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { NotASerialPortError, PortBusyError, PortNotFoundError, PortPermissionError, PortVanishedError } from '../core/errors.js';
import type { DeployNnError } from '../core/errors.js';

/** A process that has a device open. */
export interface PortHolder {
  readonly pid: number;
  readonly command: string;
}

/** The file-system calls the check makes, injectable so a unit test can play a port it cannot make (e.g. EACCES as root). */
export interface PortFs {
  stat(p: string): Pick<Stats, 'isCharacterDevice' | 'isDirectory' | 'isFile'> & { readonly rdev: number };
  access(p: string, mode: number): void;
  realpath(p: string): string;
  /** Other processes that have `device` (a real path) open. */
  holders(device: string): PortHolder[];
}

/** Character-device majors that are not serial ports (mem: /dev/null, /dev/zero; misc; input; sound...). */
const NOT_SERIAL_MAJORS: ReadonlyMap<number, string> = new Map([
  [1, 'a memory device (like /dev/null)'],
  [10, 'a misc device'],
  [13, 'an input device'],
  [14, 'a sound device'],
  [29, 'a frame buffer'],
  [116, 'a sound device'],
  [226, 'a graphics device'],
]);

/** Processes (other than this one) with `device` open, from /proc/<pid>/fd (what fuser does; other users' are unreadable). */
export function procHolders(device: string): PortHolder[] {
  const out: PortHolder[] = [];
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d) && Number(d) !== process.pid);
  } catch {
    return out;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      if (target === device) {
        let command = '?';
        try {
          command = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
        } catch {
          // gone meanwhile
        }
        out.push({ pid: Number(pid), command });
        break;
      }
    }
  }
  return out;
}

export const realPortFs: PortFs = {
  stat: (p) => statSync(p),
  access: (p, mode) => accessSync(p, mode),
  realpath: (p) => realpathSync(p),
  holders: procHolders,
};

/** Text from the file system goes to the terminal only printable. */
function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?');
}

/**
 * Check that `port` is a serial device this user can open and nobody else holds; returns its real path.
 * Throws PortNotFoundError, NotASerialPortError, PortPermissionError or PortBusyError.
 */
export function checkPort(port: string, fs: PortFs = realPortFs): string {
  let st: ReturnType<PortFs['stat']>;
  try {
    st = fs.stat(port);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES') throw new PortPermissionError(port, 'its folder cannot be read');
    throw new PortNotFoundError(port);
  }
  if (st.isDirectory()) throw new NotASerialPortError(port, 'a folder');
  if (st.isFile()) throw new NotASerialPortError(port, 'a plain file');
  if (!st.isCharacterDevice()) throw new NotASerialPortError(port, 'neither a file nor a character device (a socket or a pipe?)');
  const major = Math.floor(st.rdev / 256) & 0xfff;
  const what = NOT_SERIAL_MAJORS.get(major);
  if (what) throw new NotASerialPortError(port, what);
  try {
    fs.access(port, constants.R_OK | constants.W_OK);
  } catch (err) {
    throw new PortPermissionError(port, (err as NodeJS.ErrnoException).code ?? 'access denied');
  }
  const real = fs.realpath(port);
  const holders = fs.holders(real);
  if (holders.length > 0) {
    throw new PortBusyError(port, holders.map((h) => `${printable(h.command)} (pid ${h.pid})`).join(', '));
  }
  return real;
}

/**
 * The typed error for a failed open (serialport's or avrdude's message), or undefined when it is none of the port
 * problems. `during` names what was going on, for a device that vanished.
 */
export function portErrorFromMessage(port: string, message: string, during: string): DeployNnError | undefined {
  if (/ENOENT|No such file or directory/i.test(message)) return new PortNotFoundError(port);
  if (/EACCES|Permission denied/i.test(message)) return new PortPermissionError(port, 'permission denied');
  if (/EBUSY|Device or resource busy|Cannot lock port|Resource temporarily unavailable/i.test(message)) return new PortBusyError(port, 'another program');
  if (/ENOTTY|Inappropriate ioctl for device/i.test(message)) return new NotASerialPortError(port, 'a device that takes no serial settings');
  if (/EIO|Input\/output error|ENXIO|No such device/i.test(message)) return new PortVanishedError(port, during);
  return undefined;
}
