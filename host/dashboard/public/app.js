// @ts-check
// The dashboard page: takes the server's snapshot and batches over server-sent events, redraws at most once per animation
// frame. Its parts: format.js (formatting), charts.js (plot data and uPlot charts), render.js (the rest of the page).
// The message types are the server's (host/dashboard/server.ts), checked by tsc (host/dashboard/tsconfig.page.json).
import { $, $input } from './format.js';
import { createCharts } from './charts.js';
import { CONSOLE_SHOWN, MAX_BAD_SHOWN, createViewRenderer, renderBad, renderConsole } from './render.js';

/** @typedef {import('../../bridge/events.js').RowResult} RowResult */
/** @typedef {import('../state.js').ConsoleLine} ConsoleLine */
/** @typedef {import('../server.js').PageView} PageView */
/** @typedef {import('../server.js').SnapshotMessage} SnapshotMessage */
/** @typedef {import('../server.js').BatchMessage} BatchMessage */

const CONSOLE_MIN_INTERVAL_MS = 250;
const CHART_MIN_INTERVAL_MS = 100; // charts redraw at most 10 times a second; counters every frame
const CHART_BUSY_SHARE = 0.25; // and spend at most about a quarter of the main thread (wide windows, many inputs)

/** @type {PageView | null} */
let view = null;
/** @type {RowResult[]} newest last */
let bad = [];
/** @type {ConsoleLine[]} */
let consoleLines = [];
let paused = false;
let windowSize = Number($input('plot-window').value);
const dirty = { view: false, plot: false, latency: false, bad: false, console: false };
let frameRequested = false;
let nextChartDraw = 0;
let nextConsoleDraw = 0;
const chart = createCharts(() => view);
const renderView = createViewRenderer();

/** @param {RowResult} row */
function addRow(row) {
  chart.addRow(row);
  if (row.status !== 'bit-identical') {
    bad.push(row);
    if (bad.length > MAX_BAD_SHOWN * 2) bad = bad.slice(-MAX_BAD_SHOWN);
    dirty.bad = true;
  }
  dirty.plot = true;
}

/** @param {number} t */
function frame(t) {
  frameRequested = false;
  if (dirty.view && view) renderView(view);
  if (dirty.bad) renderBad(bad, view);
  if (dirty.console && t >= nextConsoleDraw) {
    renderConsole(consoleLines);
    nextConsoleDraw = t + CONSOLE_MIN_INTERVAL_MS;
    dirty.console = false;
  } else if (dirty.console) {
    requestFrame();
  }
  dirty.view = dirty.bad = false;
  if ((dirty.plot || dirty.latency) && !paused) {
    if (t >= nextChartDraw) {
      const start = performance.now();
      nextChartDraw = start + CHART_MIN_INTERVAL_MS;
      chart.drawCharts(windowSize);
      // uPlot paints in a microtask queued by setData: this one runs after it, so the cost includes the paint
      queueMicrotask(() => {
        const cost = performance.now() - start;
        nextChartDraw = start + Math.max(CHART_MIN_INTERVAL_MS, cost / CHART_BUSY_SHARE);
      });
      dirty.plot = dirty.latency = false;
    } else {
      requestFrame();
    }
  }
}
function requestFrame() {
  if (!frameRequested) {
    frameRequested = true;
    requestAnimationFrame(frame);
  }
}

/** @param {PageView} v */
function onView(v) {
  view = v;
  dirty.view = true;
  dirty.latency = true;
}

/** @param {SnapshotMessage} msg */
function onSnapshot(msg) {
  chart.resetPlot(0, 0);
  chart.destroyCharts();
  bad = msg.bad.slice();
  consoleLines = msg.console.slice();
  onView(msg.view);
  for (const r of msg.recent) {
    const wasBad = r.status !== 'bit-identical';
    addRow(r);
    if (wasBad) bad.pop(); // already in msg.bad
  }
  dirty.bad = dirty.console = dirty.plot = true;
  requestFrame();
}

/** @param {BatchMessage} msg */
function onBatch(msg) {
  for (const r of msg.rows) addRow(r);
  if (msg.console.length) {
    consoleLines.push(...msg.console);
    if (consoleLines.length > CONSOLE_SHOWN * 3) consoleLines = consoleLines.slice(-CONSOLE_SHOWN * 2);
    dirty.console = true;
  }
  onView(msg.view);
  requestFrame();
}

function connect() {
  const link = $('server-link');
  const es = new EventSource('/api/events');
  es.addEventListener('open', () => {
    link.textContent = 'live';
    link.className = 'badge state-streaming';
  });
  es.addEventListener('error', () => {
    link.textContent = 'server unreachable, retrying';
    link.className = 'badge state-disconnected';
  });
  es.addEventListener('snapshot', (e) => onSnapshot(/** @type {SnapshotMessage} */ (JSON.parse(e.data))));
  es.addEventListener('batch', (e) => onBatch(/** @type {BatchMessage} */ (JSON.parse(e.data))));
}

/** POST a JSON body; the status line to show. @param {string} url @param {unknown} body @param {string} ok @param {string} refused */
async function post(url, body, ok, refused) {
  try {
    const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    return { sent: res.ok, status: res.ok ? ok : `${refused}: ${(await res.text()).trim()}` };
  } catch (err) {
    return { sent: false, status: `${refused}: ${err}` };
  }
}

$input('input-select').addEventListener('change', chart.applyInputSelection);
$input('plot-window').addEventListener('change', (e) => {
  windowSize = Number(/** @type {HTMLSelectElement} */ (e.target).value);
  dirty.plot = true;
  requestFrame();
});
$('pause').addEventListener('click', () => {
  paused = !paused;
  $('pause').textContent = paused ? 'Resume' : 'Pause';
  $('pause').dataset.paused = String(paused);
  dirty.plot = true;
  requestFrame();
});
$input('show-frames').addEventListener('change', () => {
  dirty.console = true;
  requestFrame();
});
$('send-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const input = $input('send-line');
  const line = input.value;
  if (line === '') return;
  const r = await post('/api/send', { line }, `sent: ${line}`, 'not sent');
  $('send-status').textContent = r.status;
  if (r.sent) input.value = '';
});
$('reset-board').addEventListener('click', async () => {
  $('send-status').textContent = (await post('/api/reset', {}, 'board reset requested', 'not reset')).status;
});
window.addEventListener('resize', chart.resize);

// For tests and the curious: the live charts.
/** @type {any} */ (window).deployNnDashboard = { charts: chart.charts, plot: chart.plot, get view() { return view; } };
connect();
