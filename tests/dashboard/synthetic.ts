// Synthetic session events for the dashboard's unit and page tests (no board involved).
import type { RowResult, SessionEvent } from '../../host/bridge/events.js';
import type { ReadyInfo } from '../../host/bridge/protocol.js';

export const READY: ReadyInfo = { proto: 1, model: '0123456789abcdef', board: 'uno', inputs: 3, outputs: 2, window: 2 };

/** A row; defaults describe a bit-identical 3-in, 2-out classifier row. */
export function row(index: number, over: Partial<RowResult> = {}): RowResult {
  return {
    index,
    seq: index + 1,
    inputs: [index, index * 0.5, -index],
    label: index % 2 === 0 ? 'a' : 'b',
    hostOutputs: [0.25, 0.75],
    boardOutputs: [0.25, 0.75],
    status: 'bit-identical',
    maxUlp: 0,
    hostPrediction: 'b',
    boardPrediction: 'b',
    cycles: 16_000,
    latencyUs: 1000,
    attempts: 1,
    error: undefined,
    ...over,
  };
}

/** A full run of `n` rows: states, ready, a request and a reply line per row, rows; a reset after `resetAfter` rows if given. */
export function run(n: number, opts: { resetAfter?: number; bad?: (i: number) => Partial<RowResult> | undefined } = {}): SessionEvent[] {
  const ev: SessionEvent[] = [
    { type: 'state', state: 'opening' },
    { type: 'state', state: 'waiting-ready' },
    { type: 'line', direction: 'rx', text: '#READY proto=1 model=0123456789abcdef board=uno in=3 out=2 window=2*0000', time: 0 },
    { type: 'ready', info: READY },
    { type: 'state', state: 'streaming' },
  ];
  for (let i = 0; i < n; i++) {
    if (i === opts.resetAfter) {
      ev.push({ type: 'state', state: 'board-reset', detail: 'new ready line' });
      ev.push({ type: 'ready', info: READY });
      ev.push({ type: 'state', state: 'streaming' });
    }
    ev.push({ type: 'line', direction: 'tx', text: `>${(i + 1).toString(16)}:00000000*0000`, time: i });
    ev.push({ type: 'line', direction: 'rx', text: `=${(i + 1).toString(16)}:3e8000003f400000:00003e80*0000`, time: i });
    ev.push({ type: 'row', row: row(i, opts.bad?.(i) ?? {}) });
  }
  ev.push({ type: 'state', state: 'done' });
  return ev;
}
