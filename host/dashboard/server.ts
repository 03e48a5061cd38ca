// The dashboard's web server: node:http on 127.0.0.1, its own assets only, session events to the page as server-sent events.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { SessionEvent, RowResult } from '../bridge/events.js';
import { UsageError } from '../core/errors.js';
import { PACKAGE_ROOT } from '../core/paths.js';
import { createDashboardState, exportCsv, foldEvent, viewOf } from './state.js';
import type { ConsoleLine, DashboardModelInfo, DashboardStateOptions, DashboardView } from './state.js';

export interface DashboardOptions {
  /** TCP port on 127.0.0.1 (default 0: a free one). */
  readonly port?: number;
  /** Page title (default "deploy-nn monitor"). */
  readonly title?: string;
  /** The model, so the page can name inputs, outputs and classes and check the board's hash before the summary (default: none). */
  readonly model?: DashboardModelInfo;
  /** Rows the session will stream, for progress (default: unknown until the summary). */
  readonly expectedRows?: number;
  /** How often new events go out to the pages, ms (default 50). */
  readonly flushMs?: number;
  /** History sizes (defaults in DashboardStateOptions). */
  readonly history?: Omit<DashboardStateOptions, 'model' | 'expectedRows'>;
  /** Clock, ms (default Date.now); tests inject one. */
  readonly now?: () => number;
}

export interface Dashboard {
  /** http://127.0.0.1:<port>/ */
  readonly url: string;
  readonly port: number;
  /** Fold an event into the state and pass it on to every open page. */
  publish(e: SessionEvent): void;
  /** Called with each line a page's console box sends (no newline; the caller writes it to the board). Returns an unsubscribe. */
  onSendLine(cb: (line: string) => void): () => void;
  /** Called when a page asks to reset the board (the page offers the button only while a listener is set). Returns an unsubscribe. */
  onResetBoard(cb: () => void): () => void;
  /** Pages currently connected. */
  readonly clients: number;
  close(): Promise<void>;
}

/** What one server-sent message carries; the first one a page gets is a snapshot, then batches. */
/** The view plus what the page may do right now. */
export interface PageView extends DashboardView {
  /** A board is attached to take console lines. */
  readonly canSend: boolean;
  /** The board can be reset from the page (the virtual board). */
  readonly canReset: boolean;
}

export interface SnapshotMessage {
  readonly view: PageView;
  readonly recent: readonly RowResult[];
  readonly bad: readonly RowResult[];
  readonly console: readonly ConsoleLine[];
}
export interface BatchMessage {
  readonly view: PageView;
  readonly rows: readonly RowResult[];
  readonly console: readonly ConsoleLine[];
}

/** Longest line the console box may send (the board's own limit is far lower; this only bounds the request). */
export const MAX_SEND_LINE = 1024;
/** A page whose socket has this much unsent data is dropped; its EventSource reconnects and gets a fresh snapshot. */
const MAX_CLIENT_BACKLOG = 8 * 1024 * 1024;

interface Asset {
  readonly file: string;
  readonly type: string;
}

/** The page's JavaScript modules in host/dashboard/public (checked by tsc with host/dashboard/tsconfig.page.json). */
export const PAGE_MODULES = ['app.js', 'format.js', 'charts.js', 'render.js'] as const;

/** The only paths the server answers with files: an exact-match table, so no request path can reach anything else. */
export function dashboardAssets(root = PACKAGE_ROOT): ReadonlyMap<string, Asset> {
  const pub = path.join(root, 'host', 'dashboard', 'public');
  const uplotDist = path.dirname(createRequire(path.join(root, 'package.json')).resolve('uplot'));
  const html = 'text/html; charset=utf-8';
  const js = 'text/javascript; charset=utf-8';
  const css = 'text/css; charset=utf-8';
  return new Map<string, Asset>([
    ['/', { file: path.join(pub, 'index.html'), type: html }],
    ['/index.html', { file: path.join(pub, 'index.html'), type: html }],
    // The page's modules (app.js imports the others).
    ...PAGE_MODULES.map((f): [string, Asset] => [`/${f}`, { file: path.join(pub, f), type: js }]),
    ['/style.css', { file: path.join(pub, 'style.css'), type: css }],
    ['/vendor/uPlot.iife.min.js', { file: path.join(uplotDist, 'uPlot.iife.min.js'), type: js }],
    ['/vendor/uPlot.min.css', { file: path.join(uplotDist, 'uPlot.min.css'), type: css }],
  ]);
}

const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-store',
  'Content-Security-Policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
};

function plain(res: http.ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', ...extra });
  res.end(`${text}\n`);
}

/** Start the dashboard server on 127.0.0.1. Resolves once it listens. */
export async function startDashboard(opts: DashboardOptions = {}): Promise<Dashboard> {
  const port = opts.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`dashboard port ${String(port)} is not a TCP port`, 'give an integer from 1 to 65535, or 0 for a free one');
  }
  const title = opts.title ?? 'deploy-nn monitor';
  const now = opts.now ?? Date.now;
  const flushMs = opts.flushMs ?? 50;
  const assets = dashboardAssets();
  const state = createDashboardState({ ...opts.history, ...(opts.model ? { model: opts.model } : {}), ...(opts.expectedRows !== undefined ? { expectedRows: opts.expectedRows } : {}) });
  const clients = new Set<http.ServerResponse>();
  const sendListeners = new Set<(line: string) => void>();
  const resetListeners = new Set<() => void>();
  const pageView = (): PageView => ({ ...viewOf(state, title, now()), canSend: sendListeners.size > 0, canReset: resetListeners.size > 0 });
  let pendingRows: RowResult[] = [];
  let pendingConsole: ConsoleLine[] = [];
  let pendingOther = false;
  let flushTimer: NodeJS.Timeout | null = null;
  let closed = false;
  let actualPort = port;

  const write = (res: http.ServerResponse, event: string, data: unknown): void => {
    if (res.writableLength > MAX_CLIENT_BACKLOG) {
      clients.delete(res);
      res.destroy();
      return;
    }
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };

  const flush = (): void => {
    if (flushTimer) clearTimeout(flushTimer);
    flushTimer = null;
    if (pendingRows.length === 0 && pendingConsole.length === 0 && !pendingOther) return;
    const msg: BatchMessage = { view: pageView(), rows: pendingRows, console: pendingConsole };
    pendingRows = [];
    pendingConsole = [];
    pendingOther = false;
    for (const res of clients) write(res, 'batch', msg);
  };

  const scheduleFlush = (): void => {
    if (!flushTimer && !closed) flushTimer = setTimeout(flush, flushMs);
  };

  // A slow refresh of the view keeps the rate and idle pages current between events.
  const tick = setInterval(() => {
    if (clients.size === 0) return;
    pendingOther = true;
    flush();
    for (const res of clients) res.write(': keep-alive\n\n');
  }, 1000);
  tick.unref();

  const allowedHost = (host: string | undefined): boolean =>
    host === `127.0.0.1:${actualPort}` || host === `localhost:${actualPort}`;

  const serveEvents = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    flush(); // pages already open get everything up to now, so the new page's snapshot and later batches do not overlap
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive' });
    res.write('retry: 1000\n\n');
    const snap: SnapshotMessage = {
      view: pageView(),
      recent: state.recent.toArray(),
      bad: state.bad.toArray(),
      console: state.console.toArray(),
    };
    write(res, 'snapshot', snap);
    clients.add(res);
    const drop = (): void => {
      clients.delete(res);
    };
    req.on('close', drop);
    res.on('error', drop);
  };

  const readBody = (req: http.IncomingMessage, limit: number): Promise<string | null> =>
    new Promise((resolve, reject) => {
      let size = 0;
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > limit) {
          resolve(null);
          req.resume();
          return;
        }
        chunks.push(c);
      });
      req.on('end', () => resolve(size > limit ? null : Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });

  /** A JSON body forces a CORS preflight on any other origin, which this server never grants; an Origin must be ours. */
  const refuseForeign = (req: http.IncomingMessage, res: http.ServerResponse): boolean => {
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
      plain(res, 415, 'send a JSON body');
      return true;
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedHost(origin.replace(/^http:\/\//, ''))) {
      plain(res, 403, 'other origins may not control the board');
      return true;
    }
    return false;
  };

  const serveReset = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    if (refuseForeign(req, res)) return;
    req.resume();
    if (resetListeners.size === 0) return plain(res, 409, 'this board cannot be reset from here');
    for (const cb of resetListeners) cb();
    res.writeHead(204, SECURITY_HEADERS);
    res.end();
  };

  const serveSend = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    if (refuseForeign(req, res)) return;
    const body = await readBody(req, 4 * MAX_SEND_LINE + 64);
    if (body === null) return plain(res, 413, `a line is at most ${MAX_SEND_LINE} characters`);
    let line: unknown;
    try {
      line = (JSON.parse(body) as { line?: unknown }).line;
    } catch {
      return plain(res, 400, 'body is not JSON');
    }
    if (typeof line !== 'string') return plain(res, 400, 'body needs a string "line"');
    if (line.length > MAX_SEND_LINE) return plain(res, 413, `a line is at most ${MAX_SEND_LINE} characters, this one has ${line.length}`);
    if (/[\r\n]/.test(line)) return plain(res, 400, 'one line only: no \\r or \\n');
    if (sendListeners.size === 0) return plain(res, 409, 'no board is attached to send to');
    try {
      for (const cb of sendListeners) cb(line);
    } catch (err) {
      // The session refuses lines that could overrun the board's receive buffer: tell the page why.
      return plain(res, 400, (err as Error).message ?? String(err));
    }
    res.writeHead(204, SECURITY_HEADERS);
    res.end();
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    if (!allowedHost(req.headers.host)) return plain(res, 403, 'this server answers only as 127.0.0.1 or localhost');
    const rawPath = (req.url ?? '/').split('?')[0] ?? '/';
    const method = req.method ?? 'GET';
    if (rawPath === '/api/send') {
      if (method !== 'POST') return plain(res, 405, 'POST only', { Allow: 'POST' });
      return serveSend(req, res);
    }
    if (rawPath === '/api/reset') {
      if (method !== 'POST') return plain(res, 405, 'POST only', { Allow: 'POST' });
      return serveReset(req, res);
    }
    if (method !== 'GET' && method !== 'HEAD') return plain(res, 405, 'GET only', { Allow: 'GET, HEAD' });
    if (rawPath === '/api/events') return serveEvents(req, res);
    if (rawPath === '/api/state') {
      res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(pageView()));
      return;
    }
    if (rawPath === '/api/rows.csv') {
      res.writeHead(200, {
        ...SECURITY_HEADERS,
        'Content-Type': 'text/csv; charset=utf-8',
        'Content-Disposition': 'attachment; filename="deploy-nn-rows.csv"',
      });
      res.end(method === 'HEAD' ? undefined : exportCsv(state));
      return;
    }
    const asset = assets.get(rawPath);
    if (!asset) return plain(res, 404, 'not found');
    let body: Buffer;
    try {
      body = await readFile(asset.file);
    } catch {
      return plain(res, 500, `asset missing: ${path.basename(asset.file)}`);
    }
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': asset.type, 'Content-Length': body.length });
    res.end(method === 'HEAD' ? undefined : body);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) plain(res, 500, String((err as Error)?.message ?? err));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'EADDRINUSE' ? new UsageError(`dashboard port ${port} is in use`, 'give another --dashboard-port, or 0 for a free one') : err);
    });
    server.listen({ port, host: '127.0.0.1' }, () => resolve());
  });
  actualPort = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${actualPort}/`,
    port: actualPort,
    get clients() {
      return clients.size;
    },
    publish(e: SessionEvent): void {
      if (closed) return;
      const t = now();
      foldEvent(state, e, t);
      if (e.type === 'row') pendingRows.push(e.row);
      else if (e.type === 'line') pendingConsole.push({ direction: e.direction, text: e.text, time: e.time });
      else pendingOther = true;
      // State changes and the summary go out at once; rows and lines ride the next batch.
      if (e.type === 'row' || e.type === 'line') scheduleFlush();
      else flush();
    },
    onSendLine(cb) {
      sendListeners.add(cb);
      pendingOther = true;
      scheduleFlush();
      return () => {
        sendListeners.delete(cb);
        pendingOther = true;
        scheduleFlush();
      };
    },
    onResetBoard(cb) {
      resetListeners.add(cb);
      pendingOther = true;
      scheduleFlush();
      return () => {
        resetListeners.delete(cb);
        pendingOther = true;
        scheduleFlush();
      };
    },
    async close(): Promise<void> {
      if (closed) return;
      flush();
      closed = true;
      clearInterval(tick);
      if (flushTimer) clearTimeout(flushTimer);
      for (const res of clients) res.end();
      clients.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
