// Property: under any mix of faults, every row ends in exactly one status, the report sums them, and the host keeps its window.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MockBoard } from '../../host/bridge/mock-board.js';
import { runSession } from '../../host/bridge/session.js';
import type { RowResult } from '../../host/bridge/events.js';
import { makeModel, makeRows, uno } from './fixtures.js';
import { ManualClock } from './manual-clock.js';

const model = makeModel([5, 7, 4], 3);
const rows = makeRows(model, 25, 4);

/** A fault schedule: which request ordinals (1-based) get which fault. */
const schedule = fc.record({
  drop: fc.uniqueArray(fc.integer({ min: 1, max: 60 }), { maxLength: 4 }),
  badCrc: fc.uniqueArray(fc.integer({ min: 1, max: 60 }), { maxLength: 4 }),
  error: fc.uniqueArray(fc.integer({ min: 1, max: 60 }), { maxLength: 4 }),
  reset: fc.uniqueArray(fc.integer({ min: 1, max: 60 }), { maxLength: 2 }),
  garbageToHost: fc.uniqueArray(fc.integer({ min: 1, max: 60 }), { maxLength: 4 }),
  garbageToBoard: fc.uniqueArray(fc.integer({ min: 1, max: 60 }), { maxLength: 4 }),
  delay: fc.uniqueArray(fc.integer({ min: 1, max: 60 }), { maxLength: 2 }),
  noise: fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 30 }),
  window: fc.integer({ min: 1, max: 3 }),
});

describe('session under random faults', () => {
  it('accounts for every row exactly once and never breaks the pacing', async () => {
    await fc.assert(
      fc.asyncProperty(schedule, async (s) => {
        const has = (list: number[]) => (n: number) => list.includes(n);
        const clock = new ManualClock();
        const mock = new MockBoard({
          clock,
          model,
          board: uno,
          window: s.window,
          faults: {
            dropReply: has(s.drop),
            badCrc: has(s.badCrc),
            errorReply: (n) => (s.error.includes(n) ? 'crc' : undefined),
            resetOn: has(s.reset),
            garbageToHost: (n) => (s.garbageToHost.includes(n) ? s.noise : undefined),
            garbageToBoard: (n) => (s.garbageToBoard.includes(n) ? s.noise : undefined),
            delayReplyMs: (n) => (s.delay.includes(n) ? 350 : 0),
          },
        });
        const results: RowResult[] = [];
        const report = await clock.run(runSession({
          clock,
          model,
          rows,
          board: uno,
          transport: mock,
          // Simulated time: a delayed reply (350 ms) outlasts it, as it must to test late answers.
          timeoutMs: 250,
          onEvent: (e) => {
            if (e.type === 'row') results.push(e.row);
          },
        }));
        expect(results.map((r) => r.index).sort((a, b) => a - b)).toEqual(rows.map((_r, i) => i));
        expect(report.bitIdentical + report.mismatched + report.failed).toBe(rows.length);
        expect(report.mismatched).toBe(0); // faults lose or garble lines; none may turn into a wrong answer
        expect(report.sent).toBe(results.reduce((n, r) => n + r.attempts, 0));
        for (const r of results) if (r.status === 'failed') expect(r.attempts).toBe(4);
        expect(mock.stats.violations).toEqual([]);
      }),
      { numRuns: 40 },
    );
  });
});
