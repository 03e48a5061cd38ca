// `deploy-nn monitor` on the virtual Uno streaming the digits test rows, watched in Debian's Chromium.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { HAVE_CHROMIUM, SKIP_REASON, artifactPath, launchBrowser } from './browser.js';
import type { Browser } from './browser.js';
import { buildDigitsFixture, ensureCompiledCli } from './digits-fixture.js';
import type { DigitsFixture } from './digits-fixture.js';

const HAVE_TOOLS = ['/usr/bin/avr-gcc', '/usr/bin/socat'].every((p) => existsSync(p));
if (!HAVE_CHROMIUM) console.warn(`skipping the monitor end-to-end tests: ${SKIP_REASON}`);
if (!HAVE_TOOLS) console.warn('skipping the monitor end-to-end tests: avr-gcc or socat is missing (bash scripts/setup.sh installs them)');

interface MonitorProcess {
  readonly child: ChildProcess;
  readonly url: string;
  /** JSON lines printed on stdout so far. */
  readonly out: any[];
  readonly stderr: () => string;
  readonly exit: Promise<number | null>;
}

function startMonitorCli(cli: string, args: string[]): Promise<MonitorProcess> {
  const child = spawn(process.execPath, [cli, 'monitor', ...args, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: any[] = [];
  let err = '';
  let buf = '';
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (d) => (err += d));
    child.stdout!.on('data', (d) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const msg = JSON.parse(line);
        out.push(msg);
        if (msg.type === 'dashboard') resolve({ child, url: msg.url, out, stderr: () => err, exit });
      }
    });
    void exit.then((code) => reject(new Error(`monitor exited (${code}) before printing its URL: ${err}`)));
  });
}

const text = (page: Page, id: string) => page.locator(`[data-testid="${id}"]`).innerText();
const num = async (page: Page, id: string) => Number((await text(page, id)).replace(/,/g, ''));
/**
 * The digits rows cost the emulator some 250M cycles: seconds on a quiet machine, minutes when other suites share the
 * cores. A hang-guard, not a speed target (speed is bench:bridge's figure).
 */
const E2E_TIMEOUT_MS = 480_000;
const doneAtLeast = (page: Page, n: number, timeout = E2E_TIMEOUT_MS - 60_000) =>
  page.waitForFunction((k) => Number((document.querySelector('[data-testid="count-done"]')?.textContent ?? '0').replace(/,/g, '')) >= k, n, { timeout, polling: 100 });

async function drawnPixels(page: Page, id: string): Promise<number> {
  return page.evaluate((testid) => {
    const canvas = document.querySelector(`[data-testid="${testid}"] canvas`) as HTMLCanvasElement | null;
    if (!canvas) return 0;
    const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if ((data[i] as number) > 0) n++;
    return n;
  }, id);
}

async function exportedCsv(page: Page, name: string): Promise<string[]> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="export-csv"]')]);
  const file = artifactPath(name);
  await download.saveAs(file);
  return readFileSync(file, 'utf8').trimEnd().split('\n');
}

describe.skipIf(!HAVE_CHROMIUM || !HAVE_TOOLS)('deploy-nn monitor on the virtual Uno (digits test rows)', () => {
  let fx: DigitsFixture;
  let cli: string;
  let tmp: string;
  let browser: Browser;
  let mon: MonitorProcess | null = null;

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'deploy-nn-monitor-e2e-'));
    cli = ensureCompiledCli();
    fx = await buildDigitsFixture(tmp);
    browser = await launchBrowser();
  }, 300_000);
  afterEach(async () => {
    // Ctrl-C first so the monitor stops its virtual board (socat); SIGKILL only if it hangs.
    if (mon && mon.child.exitCode === null) {
      mon.child.kill('SIGINT');
      const timer = setTimeout(() => mon?.child.kill('SIGKILL'), 10_000);
      await mon.exit;
      clearTimeout(timer);
    }
    mon = null;
  });
  afterAll(async () => {
    await browser?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('counts every row bit-identical, draws the charts, exports one CSV line per row, and stops on Ctrl-C', async () => {
    mon = await startMonitorCli(cli, ['--port', 'sim', '--model', fx.modelPath, '--data', fx.rowsPath, '--hex', fx.hexPath]);
    expect(mon.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await browser.context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    await page.goto(mon.url);
    await page.selectOption('[data-testid="plot-window"]', '1000');
    await doneAtLeast(page, fx.rows);
    await page.waitForFunction(() => document.querySelector('[data-testid="connection-state"]')?.textContent === 'done');

    expect(await num(page, 'count-done')).toBe(fx.rows);
    expect(await num(page, 'count-answered')).toBe(fx.rows);
    expect(await num(page, 'count-bit-identical')).toBe(fx.rows);
    expect(await num(page, 'count-mismatched')).toBe(0);
    expect(await num(page, 'count-failed')).toBe(0);
    expect(await num(page, 'count-sent')).toBeGreaterThanOrEqual(fx.rows);
    expect(await text(page, 'class-agreement')).toBe('100%');
    const model = JSON.parse(readFileSync(fx.modelPath, 'utf8'));
    expect(await text(page, 'board-hash')).toContain(model.hash);
    expect(await text(page, 'hash-match')).toBe('matches model.json');
    expect(await text(page, 'latency-median')).toMatch(/ms$/);
    expect(await text(page, 'latency-p99')).toMatch(/ms$/);
    // the confusion matrix holds every labelled row
    const cells = await page.locator('[data-testid="confusion"] td').allInnerTexts();
    expect(cells.reduce((a, c) => a + Number(c || 0), 0)).toBe(fx.rows);
    expect(await page.locator('[data-testid="bad-row"]').count()).toBe(0);
    // the charts drew every row
    await page.waitForFunction((n) => document.querySelector('[data-testid="chart-inputs"]')?.getAttribute('data-points') === String(n), fx.rows);
    expect(await page.locator('[data-testid="chart-outputs"]').getAttribute('data-points')).toBe(String(fx.rows));
    expect(Number(await page.locator('[data-testid="chart-latency"]').getAttribute('data-points'))).toBe(fx.rows);
    for (const id of ['chart-inputs', 'chart-outputs', 'chart-ulp', 'chart-latency']) expect(await drawnPixels(page, id), id).toBeGreaterThan(500);
    // the console shows the serial traffic both ways: requests out, replies in (the ready line has scrolled away by now)
    const consoleText = await text(page, 'console');
    // (a 64-input request is 530 characters; the console shows its start and end around an ellipsis)
    expect(consoleText).toMatch(/^→ >[0-9a-f]+:[0-9a-f]+… [0-9a-f]+\*[0-9A-F]{4}$/m);
    expect(consoleText).toMatch(/^← =[0-9a-f]+:[0-9a-f]+:[0-9a-f]{8}\*[0-9A-F]{4}$/m);

    const csv = await exportedCsv(page, 'monitor-digits-rows.csv');
    expect(csv).toHaveLength(fx.rows + 1);
    expect(new Set(csv.slice(1).map((l) => l.split(',')[0])).size).toBe(fx.rows);
    expect(csv.slice(1).every((l) => l.split(',')[1] === 'bit-identical')).toBe(true);

    await page.evaluate(() => window.scrollTo(0, 0));
    const shot = artifactPath('monitor-digits.png');
    await page.screenshot({ path: shot, fullPage: true });
    // The README's screenshot is refreshed on request only, so a test run leaves the work tree clean.
    if (process.env['UPDATE_SCREENSHOT'] === '1') {
      mkdirSync('docs', { recursive: true });
      copyFileSync(shot, 'docs/dashboard.png');
    }
    expect(pageErrors).toEqual([]);
    await page.close();

    // the command printed the summary and keeps serving until Ctrl-C, then exits 0 (all rows bit-identical)
    const summary = mon.out.find((m) => m.type === 'summary')?.report;
    expect(summary).toMatchObject({ rows: fx.rows, bitIdentical: fx.rows, mismatched: 0, failed: 0 });
    expect(mon.child.exitCode).toBeNull();
    mon.child.kill('SIGINT');
    expect(await mon.exit).toBe(0);
  }, E2E_TIMEOUT_MS);

  it('shows a board reset in the middle and still accounts for every row; the session outlives a closed page', async () => {
    // --realtime: the virtual Uno runs no faster than a real one (a loaded machine only slows it), so the rows left
    // after the first third take many seconds and the click below lands mid-stream however fast this machine is.
    mon = await startMonitorCli(cli, ['--port', 'sim', '--model', fx.modelPath, '--data', fx.rowsPath, '--hex', fx.hexPath, '--realtime']);
    // a first page watches for a while and is closed: the session must not care
    const first = await browser.context.newPage();
    await first.goto(mon.url);
    await doneAtLeast(first, 20);
    await first.close();
    const page = await browser.context.newPage();
    await page.goto(mon.url);
    await doneAtLeast(page, Math.floor(fx.rows / 3));
    const before = await num(page, 'count-done');
    expect(before).toBeLessThan(fx.rows); // the reset lands mid-stream
    await page.click('[data-testid="reset-board"]');
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="resets"]')?.textContent) >= 1, null, { timeout: E2E_TIMEOUT_MS - 60_000 });
    expect(await text(page, 'state-log')).toMatch(/board reset/);
    await doneAtLeast(page, fx.rows);
    await page.waitForFunction(() => document.querySelector('[data-testid="connection-state"]')?.textContent === 'done');

    const done = await num(page, 'count-done');
    const ok = await num(page, 'count-bit-identical');
    const mismatched = await num(page, 'count-mismatched');
    const failed = await num(page, 'count-failed');
    expect(done).toBe(fx.rows);
    expect(ok + mismatched + failed).toBe(fx.rows);
    // a reset loses only requests in flight, which the session sends again: nothing should end mismatched or failed
    expect(ok).toBe(fx.rows);
    expect(await num(page, 'count-sent')).toBeGreaterThan(fx.rows - 1);
    expect(await num(page, 'resets')).toBe(1);
    // the reset is logged with the row count at which it happened
    const resetEntry = await page.locator('[data-testid="state-log"] li[data-state="board-reset"]').first().innerText();
    expect(resetEntry).toMatch(/after [\d,]+ rows/);
    const csv = await exportedCsv(page, 'monitor-digits-reset-rows.csv');
    expect(csv).toHaveLength(fx.rows + 1);
    expect(new Set(csv.slice(1).map((l) => l.split(',')[0])).size).toBe(fx.rows);
    await page.screenshot({ path: artifactPath('monitor-digits-reset.png'), fullPage: true });
    await page.close();
    const summary = mon.out.find((m) => m.type === 'summary')?.report;
    expect(summary).toMatchObject({ rows: fx.rows, resets: 1 });
    mon.child.kill('SIGINT');
    expect(await mon.exit).toBe(0);
  }, E2E_TIMEOUT_MS);
});
