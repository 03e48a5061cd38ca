// The page in headless Chromium against synthetic events: counters, charts, matrix, bad rows, console box, export, reload and two pages.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { startDashboard } from '../../host/dashboard/server.js';
import type { Dashboard } from '../../host/dashboard/server.js';
import { HAVE_CHROMIUM, SKIP_REASON, artifactPath, launchBrowser } from './browser.js';
import type { Browser } from './browser.js';
import type { Page } from 'playwright-core';
import { run } from './synthetic.js';

if (!HAVE_CHROMIUM) console.warn(`skipping the dashboard page tests: ${SKIP_REASON}`);

const text = (page: Page, id: string) => page.locator(`[data-testid="${id}"]`).innerText();
const num = async (page: Page, id: string) => Number((await text(page, id)).replace(/,/g, ''));

/** Whether a canvas inside the element has pixels in some colour other than the background (something was drawn). */
async function drawnPixels(page: Page, id: string): Promise<number> {
  return page.evaluate((testid) => {
    const canvas = document.querySelector(`[data-testid="${testid}"] canvas`) as HTMLCanvasElement | null;
    if (!canvas) return 0;
    const ctx = canvas.getContext('2d')!;
    const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if ((data[i] as number) > 0) n++;
    return n;
  }, id);
}

describe.skipIf(!HAVE_CHROMIUM)('dashboard page (synthetic events)', () => {
  let browser: Browser;
  let dash: Dashboard;
  const sent: string[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
    dash = await startDashboard({
      title: 'page test',
      expectedRows: 400,
      model: { name: 'demo', hash: '0123456789abcdef', labels: ['a', 'b'], task: 'classification', inputNames: ['x', 'y', 'z'], outputNames: ['a', 'b'] },
    });
    dash.onSendLine((l) => sent.push(l));
  });
  afterAll(async () => {
    await browser?.close();
    await dash?.close();
  });

  it('shows counters, charts, the confusion matrix, bad rows and the reset as events stream in', async () => {
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(dash.url);
    const events = run(400, {
      resetAfter: 200,
      bad: (i) => (i === 7 ? { status: 'mismatched', maxUlp: 3, boardOutputs: [0.25, 0.7500001] } : i === 9 ? { status: 'failed', boardOutputs: null, maxUlp: null, boardPrediction: undefined, latencyUs: null, cycles: null, error: 'timeout after 3 attempts', attempts: 3 } : undefined),
    });
    // stream at about 1000 events/s in slices, as a session would
    for (let i = 0; i < events.length; i += 40) {
      events.slice(i, i + 40).forEach((e) => dash.publish(e));
      await new Promise((r) => setTimeout(r, 10));
    }
    await page.waitForFunction(() => document.querySelector('[data-testid="count-done"]')?.textContent === '400', null, { timeout: 10_000 });
    expect(await num(page, 'count-sent')).toBe(400);
    expect(await num(page, 'count-bit-identical')).toBe(398);
    expect(await num(page, 'count-mismatched')).toBe(1);
    expect(await num(page, 'count-failed')).toBe(1);
    expect(await text(page, 'count-expected')).toBe('of 400');
    expect(await text(page, 'connection-state')).toBe('done');
    expect(await num(page, 'resets')).toBe(1);
    expect(await text(page, 'state-log')).toMatch(/board reset.*after 200 rows/);
    expect(await text(page, 'board-hash')).toContain('0123456789abcdef');
    expect(await text(page, 'hash-match')).toBe('matches model.json');
    expect(await text(page, 'latency-median')).toBe('1.000 ms');
    // the console box: human-mode line to the listener
    await page.fill('[data-testid="send-line"]', '1.5,2,3');
    await page.click('[data-testid="send-button"]');
    await page.waitForFunction(() => document.querySelector('[data-testid="send-status"]')?.textContent?.startsWith('sent'));
    expect(sent).toEqual(['1.5,2,3']);
    // confusion matrix: labels alternate a/b, the board says b except the failed row (no prediction)
    expect(await page.locator('[data-testid="confusion"] td[data-cell="0,1"]').innerText()).toBe('200');
    expect(await page.locator('[data-testid="confusion"] td[data-cell="1,1"]').innerText()).toBe('199');
    const bad = page.locator('[data-testid="bad-row"]');
    expect(await bad.count()).toBe(2);
    expect(await bad.nth(0).innerText()).toContain('timeout after 3 attempts');
    // charts: the default window holds the last 500 rows, so all 400
    await page.waitForFunction(() => document.querySelector('[data-testid="chart-inputs"]')?.getAttribute('data-points') === '400');
    for (const id of ['chart-inputs', 'chart-outputs', 'chart-ulp', 'chart-latency']) expect(await drawnPixels(page, id), id).toBeGreaterThan(200);
    // a narrower window
    await page.selectOption('[data-testid="plot-window"]', '100');
    await page.waitForFunction(() => document.querySelector('[data-testid="chart-inputs"]')?.getAttribute('data-points') === '100');
    // fewer inputs drawn, then all again
    const shown = () => page.evaluate(() => (window as any).deployNnDashboard.charts.inputs.series.slice(1).map((x: { show: boolean }) => x.show));
    await page.fill('[data-testid="input-select"]', '0,2');
    await page.press('[data-testid="input-select"]', 'Enter');
    expect(await shown()).toEqual([true, false, true]);
    await page.fill('[data-testid="input-select"]', '1-1');
    await page.press('[data-testid="input-select"]', 'Enter');
    expect(await shown()).toEqual([false, true, false]);
    await page.fill('[data-testid="input-select"]', 'all');
    await page.press('[data-testid="input-select"]', 'Enter');
    expect(await shown()).toEqual([true, true, true]);
    // pause holds the chart while rows keep coming; resume catches up
    const lastX = () => page.evaluate(() => (window as any).deployNnDashboard.charts.inputs.data[0].at(-1) as number);
    const before = await lastX();
    await page.click('[data-testid="pause"]');
    expect(await page.locator('[data-testid="pause"]').innerText()).toBe('Resume');
    run(5).filter((e) => e.type === 'row').forEach((e) => dash.publish(e));
    await page.waitForFunction(() => document.querySelector('[data-testid="count-done"]')?.textContent === '405');
    // Let the page run animation frames past the charts' redraw interval: an unpaused chart would have redrawn.
    await page.evaluate(() => new Promise<void>((resolve) => {
      const t0 = performance.now();
      const frame = () => (performance.now() - t0 > 250 ? resolve() : requestAnimationFrame(frame));
      requestAnimationFrame(frame);
    }));
    expect(await lastX()).toBe(before);
    await page.click('[data-testid="pause"]');
    await page.waitForFunction((b) => (window as any).deployNnDashboard.charts.inputs.data[0].at(-1) === b + 5, before);
    await page.screenshot({ path: artifactPath('synthetic.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('exports a CSV with one line per row', async () => {
    const page = await browser.context.newPage();
    await page.goto(dash.url);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="export-csv"]')]);
    const file = artifactPath('synthetic-rows.csv');
    await download.saveAs(file);
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toMatch(/^index,status,max_ulp,label/);
    expect(lines).toHaveLength(406); // 400 rows, then 5 while paused
    await page.close();
  });

  it('replays the state to a reloaded page and to a second one, then keeps both live', async () => {
    const a = await browser.context.newPage();
    const b = await browser.context.newPage();
    await a.goto(dash.url);
    await b.goto(dash.url);
    await a.reload();
    for (const p of [a, b]) await p.waitForFunction(() => document.querySelector('[data-testid="count-done"]')?.textContent === '405');
    await a.waitForFunction(() => document.querySelector('[data-testid="chart-inputs"]')?.getAttribute('data-points') === '405');
    // more rows arrive: both pages see them
    run(5).filter((e) => e.type === 'row').forEach((e) => dash.publish(e));
    for (const p of [a, b]) await p.waitForFunction(() => document.querySelector('[data-testid="count-done"]')?.textContent === '410');
    await a.close();
    await b.close();
    // the server keeps going with no page open
    run(1).filter((e) => e.type === 'row').forEach((e) => dash.publish(e));
    const c = await browser.context.newPage();
    await c.goto(dash.url);
    await c.waitForFunction(() => document.querySelector('[data-testid="count-done"]')?.textContent === '411');
    await c.close();
  });
});
