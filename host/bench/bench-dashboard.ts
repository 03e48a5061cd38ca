// bench:dashboard: digits-shaped rows (${nIn} in, 10 out) pushed at a fixed rate into the dashboard, watched by Debian's Chromium; prints page and server load.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RowResult, SessionEvent } from '../bridge/events.js';
import { startDashboard } from '../dashboard/server.js';
import { argValue } from './args.js';

const CHROMIUM = '/usr/bin/chromium';

function arg(name: string, fallback: number): number {
  const v = process.argv.includes(`--${name}`) ? Number(argValue(`--${name}`)) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} needs a positive number`);
  return v;
}

/** CPU seconds (user + system) of every descendant of this process: the browser and its renderers. Linux /proc. */
function childrenCpuSeconds(): number {
  const procs = new Map<number, { ppid: number; ticks: number }>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      procs.set(Number(name), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) });
    } catch {
      // gone meanwhile
    }
  }
  const mine = new Set([process.pid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, p] of procs) if (!mine.has(pid) && mine.has(p.ppid)) (mine.add(pid), (grew = true));
  }
  let ticks = 0;
  for (const pid of mine) if (pid !== process.pid) ticks += procs.get(pid)?.ticks ?? 0;
  return ticks / 100; // USER_HZ
}

/** A deterministic digits-like row: 64 pixel counts 0..16, 10 softmax-ish outputs, bit-identical. */
function makeRow(i: number, nIn: number): RowResult {
  const inputs = Array.from({ length: nIn }, (_, k) => ((i * 7 + k * 13) % 17));
  const cls = i % 10;
  const outputs = Array.from({ length: 10 }, (_, k) => Math.fround(k === cls ? 0.9 : 0.1 / 9));
  return {
    index: i, seq: i + 1, inputs, label: String(cls), hostOutputs: outputs, boardOutputs: outputs, status: 'bit-identical', maxUlp: 0,
    hostPrediction: String(cls), boardPrediction: String(cls), cycles: 488_000 + (i % 50) * 100, latencyUs: 30_500 + (i % 50) * 6.25,
    attempts: 1, error: undefined,
  };
}

async function main(): Promise<void> {
  const rate = arg('rate', 450);
  const seconds = arg('seconds', 10);
  const windowRows = arg('window', 5000);
  const nIn = arg('inputs', 64);
  if (!existsSync(CHROMIUM)) {
    console.log(`bench:dashboard needs ${CHROMIUM} (apt-get install -y chromium); skipped`);
    return;
  }
  const { chromium } = await import('playwright-core');
  const dash = await startDashboard({
    title: 'bench',
    model: { name: 'digits', labels: Array.from({ length: 10 }, (_, k) => String(k)), task: 'classification' },
    expectedRows: Math.round(rate * seconds),
  });
  const profile = mkdtempSync(path.join(os.tmpdir(), 'deploy-nn-bench-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 1500 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await context.newPage();
    await page.goto(dash.url);
    await page.selectOption('[data-testid="plot-window"]', String(windowRows));
    await page.evaluate(() => {
      const w = window as unknown as { benchFrames: number; benchLong: number[] };
      w.benchFrames = 0;
      w.benchLong = [];
      const tick = (): void => {
        w.benchFrames++;
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
      new PerformanceObserver((list) => list.getEntries().forEach((e) => w.benchLong.push(e.duration))).observe({ type: 'longtask', buffered: false });
    });
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    const metric = async (): Promise<Record<string, number>> => {
      const { metrics } = (await cdp.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] };
      return Object.fromEntries(metrics.map((m) => [m.name, m.value]));
    };
    const m0 = await metric();
    const cpu0 = process.cpuUsage();
    const browserCpu0 = childrenCpuSeconds();
    const t0 = performance.now();
    const total = Math.round(rate * seconds);
    let sent = 0;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate));
        for (; sent < due; sent++) {
          const row = makeRow(sent, nIn);
          const events: SessionEvent[] = [
            { type: 'line', direction: 'tx', text: `>${(sent + 1).toString(16)}:${'41000000'.repeat(nIn)}*ABCD`, time: Date.now() },
            { type: 'line', direction: 'rx', text: `=${(sent + 1).toString(16)}:${'3f666666'.repeat(10)}:00077240*ABCD`, time: Date.now() },
            { type: 'row', row },
          ];
          for (const e of events) dash.publish(e);
        }
        if (sent >= total) {
          clearInterval(timer);
          resolve();
        }
      }, 5);
    });
    const tPublished = performance.now();
    await page.waitForFunction((n) => document.querySelector('[data-testid="count-done"]')?.textContent === n.toLocaleString('en-US'), total, { timeout: 60_000, polling: 20 });
    await page.waitForFunction((n) => document.querySelector('[data-testid="chart-inputs"]')?.getAttribute('data-points') === String(n), Math.min(total, windowRows), { timeout: 60_000, polling: 20 });
    const tShown = performance.now();
    const cpu = process.cpuUsage(cpu0);
    const browserCpu = childrenCpuSeconds() - browserCpu0;
    const m1 = await metric();
    const page1 = (await page.evaluate(() => {
      const w = window as unknown as { benchFrames: number; benchLong: number[] };
      const mem = (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory;
      return { frames: w.benchFrames, long: w.benchLong, heap: mem?.usedJSHeapSize ?? 0 };
    })) as { frames: number; long: number[]; heap: number };
    const wall = (tShown - t0) / 1000;
    const longTotal = page1.long.reduce((a, b) => a + b, 0);
    const taskS = (m1['TaskDuration'] ?? 0) - (m0['TaskDuration'] ?? 0);
    const scriptS = (m1['ScriptDuration'] ?? 0) - (m0['ScriptDuration'] ?? 0);
    console.log(`bench:dashboard: ${total} rows (${nIn} in, 10 out) at ${rate} rows/s for ${seconds} s, plus a tx and an rx line per row; plot window ${windowRows}`);
    console.log(`  page caught up          ${((tShown - tPublished) * 1).toFixed(0)} ms after the last row was published`);
    console.log(`  page frames             ${(page1.frames / wall).toFixed(1)} per second (requestAnimationFrame, headless)`);
    console.log(`  page main thread busy   ${((100 * taskS) / wall).toFixed(1)}% (script ${((100 * scriptS) / wall).toFixed(1)}%)`);
    console.log(`  long tasks (>50 ms)     ${page1.long.length}, ${longTotal.toFixed(0)} ms in all, longest ${Math.max(0, ...page1.long).toFixed(0)} ms`);
    const share = (k: string): string => `${((100 * ((m1[k] ?? 0) - (m0[k] ?? 0))) / wall).toFixed(1)}%`;
    console.log(`  of which                layout ${share('LayoutDuration')}, style ${share('RecalcStyleDuration')}, layouts ${(m1['LayoutCount'] ?? 0) - (m0['LayoutCount'] ?? 0)}, style recalcs ${(m1['RecalcStyleCount'] ?? 0) - (m0['RecalcStyleCount'] ?? 0)}`);
    console.log(`  browser CPU             ${browserCpu.toFixed(1)} s over ${wall.toFixed(1)} s: ${((100 * browserCpu) / wall).toFixed(1)}% of a core (all Chromium processes, software raster)`);
    console.log(`  page JS heap            ${(page1.heap / 2 ** 20).toFixed(1)} MiB`);
    console.log(`  server CPU              ${(((cpu.user + cpu.system) / 1e6 / wall) * 100).toFixed(1)}% of a core (reducer, JSON, SSE; this process also paces the rows)`);
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
    await dash.close();
  }
}

await main();
