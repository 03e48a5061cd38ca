// `deploy-nn monitor` as a command: refusals with exit 2 and a message naming the bad value; console-only mode driven from the page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HAVE_CHROMIUM, SKIP_REASON, launchBrowser } from './browser.js';
import { ensureCompiledCli } from './digits-fixture.js';
import { makeModel } from '../bridge/fixtures.js';
import { serializeModel } from '../../host/model/model-file.js';
import { writeFileSync } from 'node:fs';
import { getBoard } from '../../host/core/boards.js';
import { generateSketch } from '../../host/codegen/generate.js';
import { buildSketch } from '../../host/build/build.js';

const HAVE_TOOLS = ['/usr/bin/avr-gcc', '/usr/bin/socat'].every((p) => existsSync(p));

let cli: string;
let tmp: string;
let modelPath: string;
beforeAll(() => {
  cli = ensureCompiledCli();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'deploy-nn-monitor-cli-'));
  modelPath = path.join(tmp, 'model.json');
  writeFileSync(modelPath, serializeModel(makeModel([4, 6, 3], 11)));
}, 300_000);
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

function runCli(args: string[]): { status: number | null; stderr: string; stdout: string } {
  const r = spawnSync(process.execPath, [cli, 'monitor', ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

describe('deploy-nn monitor refuses bad input', () => {
  it('names a missing model file', () => {
    const r = runCli(['--port', 'sim', '--model', path.join(tmp, 'nope.json')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/cannot read the model .*nope\.json: ENOENT, the model file does not exist/);
  });
  it('names a missing data file', () => {
    const r = runCli(['--port', 'sim', '--model', modelPath, '--data', path.join(tmp, 'none.csv')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/data file .*none\.csv does not exist/);
  });
  it('says where it looked for firmware, and how to get some', () => {
    const r = runCli(['--port', 'sim', '--model', modelPath, '--hex', path.join(tmp, 'missing.hex')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no firmware at .*missing\.hex: the file does not exist/);
    expect(r.stderr).toMatch(/fix: .*--hex FILE/);
  });
  it('refuses a dashboard port that is not a port, and an unknown board', () => {
    const r = runCli(['--port', 'sim', '--model', modelPath, '--dashboard-port', '99999']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--dashboard-port 99999 is not a TCP port/);
    const b = runCli(['--port', 'sim', '--model', modelPath, '--board', 'esp32']);
    expect(b.status).toBe(2);
    expect(b.stderr).toMatch(/unknown board "esp32"/);
  });
  it('names a serial port that does not exist', () => {
    const r = runCli(['--port', path.join(tmp, 'ttyNONE'), '--model', modelPath]);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/ttyNONE/);
  });
});

describe.skipIf(!HAVE_CHROMIUM || !HAVE_TOOLS)('deploy-nn monitor without --data: console and board state only', () => {
  if (!HAVE_CHROMIUM) console.warn(`skipping: ${SKIP_REASON}`);
  it('shows the board ready, sends a typed line to it from the page, and exits 0 on Ctrl-C', async () => {
    const uno = getBoard('uno');
    const model = makeModel([4, 6, 3], 11);
    const sketch = await generateSketch(model, uno, { outDir: path.join(tmp, 'cli_sketch') });
    const build = await buildSketch(sketch, uno, { toolchain: 'builtin' });
    const child = spawn(process.execPath, [cli, 'monitor', '--port', 'sim', '--model', modelPath, '--hex', build.hexPath, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exit = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    const browser = await launchBrowser();
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let buf = '';
        child.stdout.on('data', (d) => {
          buf += d;
          const m = /"url":"([^"]+)"/.exec(buf);
          if (m) resolve(m[1] as string);
        });
        void exit.then((c) => reject(new Error(`monitor exited ${c}`)));
      });
      const page = await browser.context.newPage();
      await page.goto(url);
      await page.waitForFunction(() => document.querySelector('[data-testid="connection-state"]')?.textContent === 'streaming', null, { timeout: 60_000 });
      expect(await page.locator('[data-testid="board-hash"]').innerText()).toContain(model.hash);
      expect(await page.locator('[data-testid="count-done"]').innerText()).toBe('0');
      // human mode: a line of decimals gets the predicted label back as text
      await page.fill('[data-testid="send-line"]', '0.5,-1,2,0.25');
      await page.click('[data-testid="send-button"]');
      await page.waitForFunction(() => /^← class\d/m.test(document.querySelector('[data-testid="console"]')?.textContent ?? ''), null, { timeout: 30_000 });
      expect(await page.locator('[data-testid="console"]').innerText()).toMatch(/^→ 0\.5,-1,2,0\.25$/m);
      // a line too long for the board's receive buffer is refused with the reason
      await page.fill('[data-testid="send-line"]', '1,'.repeat(40));
      await page.click('[data-testid="send-button"]');
      await page.waitForFunction(() => document.querySelector('[data-testid="send-status"]')?.textContent?.startsWith('not sent'));
      expect(await page.locator('[data-testid="send-status"]').innerText()).toMatch(/receive buffer/);
      await page.close();
      child.kill('SIGINT');
      expect(await exit).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await browser.close();
    }
  });
});
