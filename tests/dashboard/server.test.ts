// The dashboard server over real sockets: 127.0.0.1 only, its own assets only, snapshot then batches to every page, the send box.
import { afterEach, describe, expect, it, vi } from 'vitest';
import net from 'node:net';
import http from 'node:http';
import os from 'node:os';
import { readdirSync, readFileSync } from 'node:fs';
import { PAGE_MODULES, startDashboard } from '../../host/dashboard/server.js';
import type { Dashboard } from '../../host/dashboard/server.js';
import { run } from './synthetic.js';

let dash: Dashboard | null = null;
afterEach(async () => {
  await dash?.close();
  dash = null;
});

/** Send a request line exactly as written (no client-side path normalisation) and return status and body. */
function rawGet(port: number, target: string, host = `127.0.0.1:${port}`): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let data = '';
    sock.on('connect', () => sock.write(`GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`));
    sock.on('data', (d) => (data += d.toString('utf8')));
    sock.on('end', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1]);
      resolve({ status, body: data.slice(data.indexOf('\r\n\r\n') + 4) });
    });
    sock.on('error', reject);
  });
}

function request(port: number, method: string, p: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: p, headers }, (res) => {
      let data = '';
      res.on('data', (d) => (data += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Open the event stream and collect parsed messages until `until` says stop. */
function collectEvents(port: number, until: (msgs: { event: string; data: any }[]) => boolean): Promise<{ event: string; data: any }[]> {
  return new Promise((resolve, reject) => {
    const msgs: { event: string; data: any }[] = [];
    const req = http.get({ host: '127.0.0.1', port, path: '/api/events' }, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let cut: number;
        while ((cut = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, cut);
          buf = buf.slice(cut + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) msgs.push({ event, data: JSON.parse(data) });
        }
        if (until(msgs)) {
          req.destroy();
          resolve(msgs);
        }
      });
    });
    req.on('error', (e) => (msgs.length ? resolve(msgs) : reject(e)));
  });
}

describe('dashboard server: where it answers', () => {
  it('listens on 127.0.0.1 only', async () => {
    dash = await startDashboard();
    expect(dash.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const refused = (host: string) =>
      new Promise<string>((resolve) => {
        const s = net.connect(dash!.port, host);
        s.on('connect', () => {
          s.destroy();
          resolve('connected');
        });
        s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      });
    // Every other address of this machine (IPv4 and IPv6, ::1 included) must refuse.
    const others = Object.values(os.networkInterfaces()).flat().filter((a) => a && a.address !== '127.0.0.1').map((a) => a!.address.split('%')[0]!);
    for (const addr of others) expect([addr, await refused(addr)]).not.toEqual([addr, 'connected']);
    expect(await refused('127.0.0.1')).toBe('connected');
  });

  it('refuses requests whose Host is not 127.0.0.1 or localhost (DNS rebinding)', async () => {
    dash = await startDashboard();
    expect((await rawGet(dash.port, '/', 'evil.example:80')).status).toBe(403);
    expect((await rawGet(dash.port, '/', `localhost:${dash.port}`)).status).toBe(200);
  });

  it('refuses a port that is not a port, and one that is taken', async () => {
    await expect(startDashboard({ port: 70000 })).rejects.toThrow(/dashboard port 70000/);
    dash = await startDashboard();
    await expect(startDashboard({ port: dash.port })).rejects.toThrow(new RegExp(`port ${dash.port} is in use`));
  });
});

describe('dashboard server: what it serves', () => {
  it('serves the page, its script and style, and uPlot from node_modules', async () => {
    dash = await startDashboard({ title: 'my board' });
    const page = await request(dash.port, 'GET', '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toContain('src="/vendor/uPlot.iife.min.js"');
    expect(page.body).not.toMatch(/https?:\/\//); // nothing from elsewhere: works offline
    const uplot = await request(dash.port, 'GET', '/vendor/uPlot.iife.min.js');
    expect(uplot.status).toBe(200);
    expect(uplot.body).toBe(readFileSync('node_modules/uplot/dist/uPlot.iife.min.js', 'utf8'));
    // Every module of the page is served, and nothing else from its folder: the table lists exactly the .js files there.
    expect([...PAGE_MODULES].sort()).toEqual(readdirSync('host/dashboard/public').filter((f) => f.endsWith('.js')).sort());
    for (const m of PAGE_MODULES) {
      const res = await request(dash.port, 'GET', `/${m}`);
      expect(res.headers['content-type'], m).toMatch(/javascript/);
      expect(res.body).toBe(readFileSync(`host/dashboard/public/${m}`, 'utf8'));
      // each import names a module the table serves
      for (const [, imported] of res.body.matchAll(/from '\.\/([\w-]+\.js)'/g)) expect(PAGE_MODULES).toContain(imported);
    }
    expect((await request(dash.port, 'GET', '/style.css')).status).toBe(200);
    expect((await request(dash.port, 'GET', '/vendor/uPlot.min.css')).status).toBe(200);
  });

  it.each([
    '/../package.json',
    '/%2e%2e/package.json',
    '/%2E%2E/%2E%2E/package.json',
    '/..%2fpackage.json',
    '/vendor/../../package.json',
    '/vendor/..%2f..%2fpackage.json',
    '/vendor/uPlot.cjs.js',
    '/package.json',
    '/host/dashboard/server.ts',
    '/public/app.js',
    '/app.js/',
    '//etc/passwd',
    '/..\\..\\package.json',
    '/index.html%00.js',
  ])('answers 404 to %s', async (target) => {
    dash = await startDashboard();
    const res = await rawGet(dash.port, target);
    expect(res.status).toBe(404);
    expect(res.body).not.toContain('"name"');
  });

  it('answers 405 to other methods on the assets', async () => {
    dash = await startDashboard();
    expect((await request(dash.port, 'DELETE', '/')).status).toBe(405);
    expect((await request(dash.port, 'GET', '/api/send')).status).toBe(405);
  });
});

describe('dashboard server: events to pages', () => {
  it('gives a late page a snapshot of everything so far, then batches of what follows', async () => {
    dash = await startDashboard({ flushMs: 10, expectedRows: 30 });
    const events = run(30);
    const half = events.findIndex((e) => e.type === 'row' && e.row.index === 14) + 1;
    events.slice(0, half).forEach((e) => dash!.publish(e));
    const got = collectEvents(dash.port, (m) => m.some((x) => x.data.view.connection === 'done'));
    await vi.waitFor(() => expect(dash!.clients).toBe(1)); // the page is connected and has its snapshot
    events.slice(half).forEach((e) => dash!.publish(e));
    const msgs = await got;
    expect(msgs[0]?.event).toBe('snapshot');
    expect(msgs[0]?.data.recent.map((r: any) => r.index)).toEqual([...Array(15).keys()]);
    const later = msgs.slice(1).flatMap((m) => m.data.rows.map((r: any) => r.index));
    expect(later).toEqual([...Array(15).keys()].map((i) => i + 15)); // no row twice, none lost
    const last = msgs[msgs.length - 1]!.data.view;
    expect(last.counters.done).toBe(30);
    expect(last.counters.bitIdentical).toBe(30);
  });

  it('feeds two pages at once and keeps going after both close', async () => {
    dash = await startDashboard({ flushMs: 5 });
    const a = collectEvents(dash.port, (m) => m.some((x) => x.data.view?.counters.done === 5));
    const b = collectEvents(dash.port, (m) => m.some((x) => x.data.view?.counters.done === 5));
    await vi.waitFor(() => expect(dash!.clients).toBe(2));
    run(5).forEach((e) => dash!.publish(e));
    await Promise.all([a, b]);
    await vi.waitFor(() => expect(dash!.clients).toBe(0)); // both pages closed: the server notices their close events
    run(3).forEach((e) => dash!.publish(e));
    const state = JSON.parse((await request(dash.port, 'GET', '/api/state')).body);
    expect(state.counters.done).toBe(8);
  });

  it('exports the rows seen as CSV, one line per row after the header', async () => {
    dash = await startDashboard();
    run(12).forEach((e) => dash!.publish(e));
    const res = await request(dash.port, 'GET', '/api/rows.csv');
    expect(res.headers['content-type']).toMatch(/text\/csv/);
    expect(res.headers['content-disposition']).toMatch(/attachment/);
    const lines = res.body.trimEnd().split('\n');
    expect(lines).toHaveLength(13);
    expect(lines.slice(1).map((l) => Number(l.split(',')[0]))).toEqual([...Array(12).keys()]);
  });
});

describe('dashboard server: the send box', () => {
  it('passes one line on to the listeners', async () => {
    dash = await startDashboard();
    const got: string[] = [];
    dash.onSendLine((l) => got.push(l));
    const res = await request(dash.port, 'POST', '/api/send', JSON.stringify({ line: '1,2,3' }), { 'Content-Type': 'application/json' });
    expect(res.status).toBe(204);
    expect(got).toEqual(['1,2,3']);
  });

  it('answers 400 with the reason when the listener refuses the line', async () => {
    dash = await startDashboard();
    dash.onSendLine(() => {
      throw new Error('a console line of 70 characters could overrun the board');
    });
    const res = await request(dash.port, 'POST', '/api/send', JSON.stringify({ line: 'x'.repeat(70) }), { 'Content-Type': 'application/json' });
    expect(res.status).toBe(400);
    expect(res.body).toContain('could overrun');
  });

  it('refuses non-JSON, multi-line, over-long, foreign-origin sends, and sends with no board attached', async () => {
    dash = await startDashboard();
    const json = { 'Content-Type': 'application/json' };
    expect((await request(dash.port, 'POST', '/api/send', JSON.stringify({ line: 'x' }), json)).status).toBe(409);
    const got: string[] = [];
    dash.onSendLine((l) => got.push(l));
    expect((await request(dash.port, 'POST', '/api/send', 'line=1', { 'Content-Type': 'application/x-www-form-urlencoded' })).status).toBe(415);
    expect((await request(dash.port, 'POST', '/api/send', JSON.stringify({ line: 'a\nb' }), json)).status).toBe(400);
    expect((await request(dash.port, 'POST', '/api/send', JSON.stringify({ line: 'x'.repeat(1025) }), json)).status).toBe(413);
    expect((await request(dash.port, 'POST', '/api/send', JSON.stringify({ line: 'x' }), { ...json, Origin: 'http://evil.example' })).status).toBe(403);
    expect((await request(dash.port, 'POST', '/api/send', '{', json)).status).toBe(400);
    expect(got).toEqual([]);
  });
});
