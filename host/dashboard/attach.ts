// Put a dashboard beside a verification session: its events go to the page, the page's console box goes to the board.
import type { SessionEvent } from '../bridge/events.js';
import type { ModelFile } from '../core/model.js';
import { startDashboard } from './server.js';
import type { Dashboard } from './server.js';
import type { DashboardModelInfo } from './state.js';

/** The parts of the bridge's SessionOptions the dashboard reads or wraps (structural, so any SessionOptions fits). */
export interface DashboardableSessionOptions {
  readonly model: ModelFile;
  readonly rows: unknown;
  readonly onEvent?: (event: SessionEvent) => void;
}

export interface AttachOptions {
  /** Dashboard port on 127.0.0.1 (default 0: a free one). */
  readonly port?: number;
  /** Page title (default "deploy-nn · <model name>"). */
  readonly title?: string;
  /** Rows the session will stream (default: the length of `rows` when it is an array, else unknown). */
  readonly expectedRows?: number;
  /** Offered on the page as a "reset board" button when given (the virtual board's reset()). */
  readonly resetBoard?: () => void;
}

export interface AttachedDashboard<O> {
  readonly url: string;
  readonly dashboard: Dashboard;
  /** The session options to use: the same, with onEvent also feeding the page. */
  readonly sessionOptions: O;
  /** Connect the page's console box to the session, once it is created. */
  bind(session: { sendRaw(line: string): void }): void;
  /** Detach the console box and the reset button (once the session has ended the board is gone); the page stays up. */
  unbind(): void;
  close(): Promise<void>;
}

export function modelInfo(model: ModelFile): DashboardModelInfo {
  return {
    name: model.name,
    hash: model.hash,
    task: model.task,
    inputNames: model.inputNames,
    outputNames: model.outputNames,
    labels: model.task === 'regression' ? [] : model.labels,
  };
}

/** A dashboard plus the two hooks a session runner takes (the one-shot pipeline's onEvent and onSession). */
export interface SessionDashboard {
  readonly url: string;
  readonly dashboard: Dashboard;
  /** Feed it every session event. */
  onEvent(e: SessionEvent): void;
  /** Give it the running session: the page's console box then writes to the board. */
  onSession(session: { sendRaw(line: string): void }): void;
  /** Detach the console box and the reset button (once the session has ended the board is gone); the page stays up. */
  unbind(): void;
  close(): Promise<void>;
}

/**
 * Start a dashboard for a model's session. For the one-shot pipeline:
 * `const d = await openSessionDashboard(model, { port }); deploy({ ..., onEvent: d.onEvent, onSession: d.onSession })`.
 */
export async function openSessionDashboard(model: ModelFile, opts: AttachOptions = {}): Promise<SessionDashboard> {
  const dashboard = await startDashboard({
    ...(opts.port !== undefined ? { port: opts.port } : {}),
    title: opts.title ?? `deploy-nn · ${model.name}`,
    model: modelInfo(model),
    ...(opts.expectedRows !== undefined ? { expectedRows: opts.expectedRows } : {}),
  });
  let unreset = opts.resetBoard ? dashboard.onResetBoard(opts.resetBoard) : null;
  let unsend: (() => void) | null = null;
  const unbind = (): void => {
    unsend?.();
    unreset?.();
    unsend = unreset = null;
  };
  return {
    url: dashboard.url,
    dashboard,
    onEvent: (e) => dashboard.publish(e),
    onSession(session) {
      unsend?.();
      unsend = dashboard.onSendLine((line) => session.sendRaw(line));
    },
    unbind,
    async close() {
      unbind();
      await dashboard.close();
    },
  };
}

/**
 * Start a dashboard for a session about to run. Usage:
 * `const d = await attachDashboard(opts); const s = createSession(d.sessionOptions); d.bind(s); note(d.url); await s.done;`
 * The session never waits on the page: closing or reloading it changes nothing for the session.
 */
export async function attachDashboard<O extends DashboardableSessionOptions>(sessionOptions: O, opts: AttachOptions = {}): Promise<AttachedDashboard<O>> {
  const expectedRows = opts.expectedRows ?? (Array.isArray(sessionOptions.rows) ? sessionOptions.rows.length : undefined);
  const d = await openSessionDashboard(sessionOptions.model, { ...opts, ...(expectedRows !== undefined ? { expectedRows } : {}) });
  const inner = sessionOptions.onEvent;
  const wrapped: O = {
    ...sessionOptions,
    onEvent: (e: SessionEvent) => {
      d.onEvent(e);
      inner?.(e);
    },
  };
  return {
    url: d.url,
    dashboard: d.dashboard,
    sessionOptions: wrapped,
    bind: (session) => d.onSession(session),
    unbind: () => d.unbind(),
    close: () => d.close(),
  };
}
