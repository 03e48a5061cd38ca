// @ts-check
// The dashboard's charts: the plot data (newest rows, bounded) and the uPlot charts drawn from it.
import { $, $input } from './format.js';

/** @typedef {import('../../bridge/events.js').RowResult} RowResult */
/** @typedef {import('../server.js').PageView} PageView */
/** @typedef {{ inputs: uPlot | null, outputs: uPlot | null, ulp: uPlot | null, latency: uPlot | null }} Charts */
/** @typedef {{ x: number[], inputs: number[][], host: number[][], board: (number | null)[][], ulp: (number | null)[], seen: number }} PlotData */

const MAX_POINTS = 5000; // the widest plot window

/**
 * @param {number} n
 * @returns {string[]}
 */
function palette(n, sat = 70, light = 45) {
  return Array.from({ length: n }, (_, i) => `hsl(${Math.round((i * 360) / Math.max(n, 1) + (i % 2) * 17) % 360}, ${sat}%, ${light}%)`);
}

/** @param {HTMLElement} el */
export function chartSize(el) {
  return { width: Math.max(200, el.clientWidth - 4), height: el.classList.contains('short') ? 120 : 240 };
}

/** "all", "" or a list of indices and ranges ("0-7,12") -> the set of inputs to draw, null for all, undefined if invalid. */
/**
 * @param {string} text
 * @param {number} n
 * @returns {Set<number> | null | undefined}
 */
export function parseSelection(text, n) {
  const t = text.trim();
  if (t === '' || t === 'all') return null;
  const keep = new Set();
  for (const part of t.split(/[\s,]+/)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) return undefined;
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    for (let i = Math.min(a, b); i <= Math.max(a, b) && i < n; i++) keep.add(i);
  }
  return keep;
}

/**
 * @param {HTMLElement} el
 * @param {uPlot.Series[]} series
 * @param {{ legend?: boolean, scales?: uPlot.Scales }} [opts]
 */
function makeLineChart(el, series, opts = {}) {
  const data = /** @type {uPlot.AlignedData} */ ([[], ...series.map(() => [])]);
  return new uPlot(
    {
      ...chartSize(el),
      legend: { show: opts.legend ?? series.length <= 12 },
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: false }, ...(opts.scales || {}) },
      axes: [{ label: 'row' }, { size: 60 }],
      series: [{ label: 'row' }, ...series],
    },
    data,
    el,
  );
}

/**
 * The plot data and its charts; `getView` gives the latest view (names, latency).
 * @param {() => PageView | null} getView
 */
export function createCharts(getView) {
  /** @type {PlotData} */
  const plot = { x: [], inputs: [], host: [], board: [], ulp: [], seen: 0 };
  /** @type {Charts} */
  const charts = { inputs: null, outputs: null, ulp: null, latency: null };

  /** @param {number} nIn @param {number} nOut */
  function resetPlot(nIn, nOut) {
    plot.x = [];
    plot.inputs = Array.from({ length: nIn }, () => []);
    plot.host = Array.from({ length: nOut }, () => []);
    plot.board = Array.from({ length: nOut }, () => []);
    plot.ulp = [];
    plot.seen = 0;
  }

  function destroyCharts() {
    for (const k of /** @type {(keyof Charts)[]} */ (Object.keys(charts))) {
      charts[k]?.destroy();
      charts[k] = null;
    }
  }

  /** @param {RowResult} row */
  function addRow(row) {
    if (plot.inputs.length !== row.inputs.length || plot.host.length !== row.hostOutputs.length) {
      resetPlot(row.inputs.length, row.hostOutputs.length);
      destroyCharts();
    }
    plot.x.push(plot.seen++);
    row.inputs.forEach((v, i) => plot.inputs[i]?.push(v));
    row.hostOutputs.forEach((v, i) => plot.host[i]?.push(v));
    for (let i = 0; i < plot.board.length; i++) plot.board[i]?.push(row.boardOutputs ? (row.boardOutputs[i] ?? null) : null);
    plot.ulp.push(row.maxUlp);
    if (plot.x.length > MAX_POINTS + 500) {
      const cut = plot.x.length - MAX_POINTS;
      for (const arr of [plot.x, plot.ulp, ...plot.inputs, ...plot.host, ...plot.board]) arr.splice(0, cut);
    }
  }

  /** @param {number} n */
  function inputNames(n) {
    const names = getView()?.model?.inputNames ?? [];
    return Array.from({ length: n }, (_, i) => names[i] || `in ${i}`);
  }
  /** @param {number} n */
  function outputNames(n) {
    const model = getView()?.model;
    const names = model?.outputNames ?? model?.labels ?? [];
    return Array.from({ length: n }, (_, i) => names[i] || `out ${i}`);
  }

  /** @param {uPlot} u */
  function drawLatencyMarkers(u) {
    const latency = getView()?.latency;
    if (!latency) return;
    /** @type {[number | null, string, string][]} */
    const marks = [
      [latency.medianUs, '#27ae60', 'median'],
      [latency.p99Us, '#c0392b', 'p99'],
    ];
    const ctx = u.ctx;
    ctx.save();
    for (const [us, color, name] of marks) {
      if (us === null) continue;
      const x = u.valToPos(us, 'x', true);
      ctx.strokeStyle = color;
      ctx.fillStyle = color;
      ctx.lineWidth = 2 * devicePixelRatio;
      ctx.beginPath();
      ctx.moveTo(x, u.bbox.top);
      ctx.lineTo(x, u.bbox.top + u.bbox.height);
      ctx.stroke();
      ctx.font = `${11 * devicePixelRatio}px sans-serif`;
      ctx.fillText(name, x + 4, u.bbox.top + 12 * devicePixelRatio * (name === 'p99' ? 2 : 1));
    }
    ctx.restore();
  }

  function applyInputSelection() {
    const el = $input('input-select');
    const u = charts.inputs;
    if (!u) return;
    const keep = parseSelection(el.value, plot.inputs.length);
    el.classList.toggle('invalid', keep === undefined);
    if (keep === undefined) return;
    u.batch(() => plot.inputs.forEach((_, i) => u.setSeries(i + 1, { show: keep === null || keep.has(i) })));
  }

  function ensureCharts() {
    const nIn = plot.inputs.length;
    const nOut = plot.host.length;
    if (nIn === 0) return false;
    if (!charts.inputs) {
      const colors = palette(nIn);
      charts.inputs = makeLineChart(
        $('chart-inputs'),
        inputNames(nIn).map((label, i) => ({ label, stroke: colors[i], width: 1, spanGaps: false })),
      );
      setTimeout(applyInputSelection, 0);
      $('inputs-note').textContent = `${nIn} input${nIn === 1 ? '' : 's'}${nIn > 12 ? ' (legend hidden; hover a line for values)' : ''}`;
    }
    if (!charts.outputs) {
      const colors = palette(nOut, 75, 40);
      const names = outputNames(nOut);
      /** @type {uPlot.Series[]} */
      const series = [];
      names.forEach((label, i) => series.push({ label: `host ${label}`, stroke: colors[i], width: 1.5 }));
      names.forEach((label, i) =>
        // dashed over the host's solid line: where they agree the dashes sit exactly on it; dots only when sparse
        series.push({ label: `board ${label}`, stroke: colors[i], width: 2, dash: [3, 5], points: { size: 5, space: 8, stroke: colors[i], fill: colors[i] } }),
      );
      charts.outputs = makeLineChart($('chart-outputs'), series);
    }
    if (!charts.ulp) {
      charts.ulp = makeLineChart($('chart-ulp'), [{ label: 'max ulp', stroke: '#c0392b', width: 1.5, points: { size: 4, space: 6 } }], {
        legend: false,
        scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max || 0)] } },
      });
    }
    if (!charts.latency) {
      const el = $('chart-latency');
      charts.latency = new uPlot(
        {
          ...chartSize(el),
          legend: { show: false },
          scales: { x: { time: false } },
          axes: [{ label: 'µs' }, { label: 'rows', size: 50 }],
          series: [{}, { label: 'rows', stroke: '#2c7be5', fill: 'rgba(44,123,229,0.35)', paths: uPlot.paths.bars?.({ size: [0.9, 60] }), points: { show: false } }],
          hooks: { draw: [drawLatencyMarkers] },
        },
        [[], []],
        el,
      );
    }
    return true;
  }

  /** Draw the newest `windowSize` rows and the latency histogram. */
  /** @param {number} windowSize */
  function drawCharts(windowSize) {
    if (!ensureCharts()) return;
    const n = Math.min(windowSize, plot.x.length);
    const from = plot.x.length - n;
    /** @template T @param {T[]} arr */
    const tail = (arr) => arr.slice(from);
    const x = tail(plot.x);
    charts.inputs?.setData(/** @type {uPlot.AlignedData} */ ([x, ...plot.inputs.map(tail)]));
    charts.outputs?.setData(/** @type {uPlot.AlignedData} */ ([x, ...plot.host.map(tail), ...plot.board.map(tail)]));
    charts.ulp?.setData(/** @type {uPlot.AlignedData} */ ([x, tail(plot.ulp)]));
    for (const id of ['chart-inputs', 'chart-outputs', 'chart-ulp']) $(id).dataset.points = String(x.length);
    const bins = getView()?.latency.bins;
    if (bins) {
      const xs = bins.counts.map((_, i) => bins.startUs + (i + 0.5) * bins.widthUs);
      charts.latency?.setData([xs, bins.counts]);
      $('chart-latency').dataset.points = String(bins.counts.reduce((a, b) => a + b, 0));
    }
  }

  function resize() {
    /** @type {[keyof Charts, string][]} */
    const ids = [['inputs', 'chart-inputs'], ['outputs', 'chart-outputs'], ['ulp', 'chart-ulp'], ['latency', 'chart-latency']];
    for (const [k, el] of ids) charts[k]?.setSize(chartSize($(el)));
  }

  return { plot, charts, resetPlot, destroyCharts, addRow, drawCharts, applyInputSelection, resize };
}
