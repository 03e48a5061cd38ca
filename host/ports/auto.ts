// `--port auto`: the one Arduino attached, found by USB ids; or a refusal naming the candidates.
import { PortNotFoundError, UsageError } from '../core/errors.js';
import type { BoardProfile } from '../core/boards.js';
import { identifyPort } from './arduino-ids.js';
import type { CoreBoard } from './arduino-ids.js';
import type { PortInfo, PortLister } from './touch.js';

export interface ListedPort extends PortInfo {
  /** The Arduino board it is, by USB ids (undefined: not recognised). */
  readonly arduino: CoreBoard | undefined;
}

/** Every serial port with the Arduino board it is, when recognised. */
export async function listPortsWithBoards(list: PortLister, boards?: readonly CoreBoard[]): Promise<ListedPort[]> {
  return (await list()).map((p) => ({ ...p, arduino: identifyPort(p, boards) }));
}

const describe = (p: ListedPort): string => `${p.path}${p.arduino ? ` (${p.arduino.name})` : p.manufacturer ? ` (${p.manufacturer})` : ''}`;

/**
 * The port for `--port auto`: the only recognised Arduino (preferring one that is this board). Throws
 * PortNotFoundError when there is none (naming the serial ports there are), UsageError when several could be it.
 */
export async function pickAutoPort(board: BoardProfile, list: PortLister, boards?: readonly CoreBoard[]): Promise<ListedPort> {
  const ports = await listPortsWithBoards(list, boards);
  const arduinos = ports.filter((p) => p.arduino);
  const same = arduinos.filter((p) => p.arduino?.boardId === board.id);
  const pick = same.length > 0 ? same : arduinos;
  if (pick.length === 1) return pick[0]!;
  if (pick.length === 0) {
    const others = ports.map(describe);
    throw new PortNotFoundError(
      'auto (no Arduino found)',
      `${others.length ? `serial ports seen, none with an Arduino USB id: ${others.join(', ')}; if one is your board (a clone with a CH340 or FTDI chip), give it as --port` : 'no serial ports at all: plug the board in (a data cable, not a charge-only one)'}`,
    );
  }
  throw new UsageError(`--port auto found ${pick.length} Arduino boards: ${pick.map(describe).join(', ')}`, 'give the one to use as --port PATH');
}
