// attachDashboard beside a real session on the TypeScript mock board: the page's state agrees with the session's report.
import { describe, expect, it } from 'vitest';
import http from 'node:http';
import { createSession } from '../../host/bridge/session.js';
import { MockBoard } from '../../host/bridge/mock-board.js';
import { attachDashboard } from '../../host/dashboard/attach.js';
import { makeModel, makeRows, uno } from '../bridge/fixtures.js';

function req(url: string, method = 'GET', body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const r = http.request(url, { method, headers: body ? { 'Content-Type': 'application/json' } : {} }, (res) => {
      let data = '';
      res.on('data', (d) => (data += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
    });
    r.on('error', reject);
    r.end(body);
  });
}

describe('attachDashboard', () => {
  it('shows what the session reports, a mid-stream reset and a wrong output included; the console box reaches the board', async () => {
    const model = makeModel([4, 6, 3], 7);
    const rows = makeRows(model, 60, 8);
    const board = new MockBoard({ model, board: uno, faults: { wrongOutput: (n) => n === 5, resetOn: (n) => n === 30 } });
    const resets: number[] = [];
    const seen: string[] = [];
    const d = await attachDashboard(
      { model, rows, board: uno, transport: board, retries: 3, onEvent: (e) => seen.push(e.type) },
      { resetBoard: () => resets.push(1) },
    );
    try {
      const session = createSession(d.sessionOptions);
      d.bind(session);
      const report = await session.done;
      expect(seen).toContain('row'); // the caller's own onEvent still runs
      const view = JSON.parse((await req(`${d.url}api/state`)).body);
      expect(view.expectedRows).toBe(60);
      expect(view.counters).toMatchObject({
        done: report.rows,
        answered: report.answered,
        bitIdentical: report.bitIdentical,
        mismatched: report.mismatched,
        failed: report.failed,
        resets: report.resets,
        sent: report.sent,
      });
      expect(report.mismatched).toBe(1);
      expect(report.resets).toBe(1);
      expect(view.stateLog.map((s: { state: string }) => s.state)).toContain('board-reset');
      expect(view.ready.model).toBe(model.hash);
      expect(view.hashMatches).toBe(true);
      expect(view.canReset).toBe(true);
      expect((await req(`${d.url}api/reset`, 'POST', '{}')).status).toBe(204);
      expect(resets).toEqual([1]);
      // the CSV holds every row once
      const csv = (await req(`${d.url}api/rows.csv`)).body.trimEnd().split('\n');
      expect(csv.slice(1).map((l) => Number(l.split(',')[0])).sort((a, b) => a - b)).toEqual([...Array(60).keys()]);
      d.unbind();
      expect((await req(`${d.url}api/send`, 'POST', JSON.stringify({ line: '?' }))).status).toBe(409);
      expect(JSON.parse((await req(`${d.url}api/state`)).body).canSend).toBe(false);
    } finally {
      await d.close();
    }
  });

  it('passes a console line to the running session', async () => {
    const model = makeModel([4, 6, 3], 7);
    const board = new MockBoard({ model, board: uno, computeMs: 5 });
    const d = await attachDashboard({ model, rows: makeRows(model, 40, 3), board: uno, transport: board });
    try {
      const session = createSession(d.sessionOptions);
      d.bind(session);
      expect((await req(`${d.url}api/send`, 'POST', JSON.stringify({ line: '1,2,3,4' }))).status).toBe(204);
      await session.done;
      expect(board.hostLines).toContain('1,2,3,4');
    } finally {
      await d.close();
    }
  });
});
