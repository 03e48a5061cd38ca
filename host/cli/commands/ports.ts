// `deploy-nn ports`: the serial ports there are, with the Arduino board each is (by USB ids from the core's boards.txt).
import type { Command } from 'commander';
import { listPortsWithBoards } from '../../ports/auto.js';
import { listSerialPorts } from '../../ports/touch.js';
import { action } from '../run.js';
import { emit } from '../output.js';

const clean = (s: string | undefined): string => (s ?? '').replace(/[^\x20-\x7e]/g, '?');

export function registerPorts(program: Command): void {
  program
    .command('ports')
    .description('List serial ports and name the Arduino boards among them (by USB vendor/product id)')
    .option('--json', 'print one JSON document', false)
    .action(
      action(async (o: { json: boolean }) => {
        const ports = await listPortsWithBoards(listSerialPorts);
        emit(
          o,
          ports.map((p) => ({ path: p.path, vendorId: p.vendorId ?? null, productId: p.productId ?? null, manufacturer: p.manufacturer ?? null, board: p.arduino?.boardId ?? null, boardName: p.arduino?.name ?? null })),
          () => {
            if (ports.length === 0) return 'no serial ports found: plug the board in (with a data cable), then run deploy-nn ports again';
            const rows = ports.map((p) => {
              const id = p.vendorId && p.productId ? `${clean(p.vendorId)}:${clean(p.productId)}` : '-';
              const what = p.arduino ? `${clean(p.arduino.name)}${p.arduino.boardId ? `  (--board ${p.arduino.boardId})` : ''}` : clean(p.manufacturer) || 'not recognised';
              return `${clean(p.path).padEnd(22)} ${id.padEnd(10)} ${what}`;
            });
            return [`${'port'.padEnd(22)} ${'usb id'.padEnd(10)} board`, ...rows].join('\n');
          },
        );
      }),
    );
}
