// Opening a real serial port for the probe and the 1200-baud touch (serialport), with port errors typed.
import type { ProbeLink } from './probe.js';
import { portErrorFromMessage } from './check.js';
import { PortNotFoundError } from '../core/errors.js';

/** Open `path` at `baud` with serialport; a failed open becomes the matching typed port error. */
export async function openSerialLink(path: string, baud: number): Promise<ProbeLink> {
  const { SerialPort } = await import('serialport');
  const port = new SerialPort({ path, baudRate: baud, autoOpen: false });
  await new Promise<void>((resolve, reject) => {
    port.open((err) => {
      if (!err) return resolve();
      reject(portErrorFromMessage(path, err.message, 'opening') ?? new PortNotFoundError(path, `could not open it: ${err.message}`));
    });
  });
  port.on('error', () => undefined); // a vanished board: the probe sees no answer and says so
  return {
    write: (bytes) => {
      if (port.isOpen) port.write(Buffer.from(bytes));
    },
    onData: (cb) => port.on('data', (d: Buffer) => cb(d)),
    close: () =>
      new Promise<void>((resolve) => {
        if (!port.isOpen) return resolve();
        port.close(() => resolve());
      }),
  };
}
