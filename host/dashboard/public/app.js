// The dashboard page: takes the server's snapshot and batches over server-sent events, redraws at most once per animation frame.
/* global uPlot */
'use strict';

(() => {
  const MAX_POINTS = 5000; // the widest plot window
  const MAX_BAD_SHOWN = 200;
  const CONSOLE_SHOWN = 200;
  const CONSOLE_LINE_CHARS = 160;
  const CONSOLE_MIN_INTERVAL_MS = 250;
  const CHART_MIN_INTERVAL_MS = 100; // charts redraw at most 10 times a second; counters every frame
  const CHART_BUSY_SHARE = 0.25; // and spend at most about a quarter of the main thread (wide windows, many inputs)

  const $ = (id) => document.getElementById(id);
  const fmtInt = (n) => (n === null || n === undefined ? '-' : Number(n).toLocaleString('en-US'));
  const fmtPct = (x) => (x === null || x === undefined ? '-' : `${(x * 100).toFixed(x === 1 ? 0 : 2)}%`);
  const fmtUs = (us) => (us === null || us === undefined ? '-' : us >= 1000 ? `${(us / 1000).toFixed(3)} ms` : `${us.toFixed(1)} µs`);
  const fmtNum = (v) => (v === null || v === undefined ? '' : Number.isInteger(v) ? String(v) : Number(v).toPrecision(7).replace(/\.?0+$/, ''));
  const STATE_TEXT = {
    idle: 'idle',
    opening: 'opening port',
    'waiting-ready': 'waiting for ready',
    streaming: 'streaming',
    'board-reset': 'board reset',
    done: 'done',
    disconnected: 'disconnected',
  };

  // Plot data, oldest first; x is the arrival number so it always increases.
  const plot = { x: [], inputs: [], host: [], board: [], ulp: [], seen: 0 };
  let view = null;
  let bad = []; // newest last
  let consoleLines = [];
  let paused = false;
  let windowSize = Number($('plot-window').value);
  let dirty = { view: false, plot: false, bad: false, console: false };
  let frameRequested = false;
  let nextChartDraw = 0;
  let nextConsoleDraw = 0;
  const charts = { inputs: null, outputs: null, ulp: null, latency: null };

  function palette(n, sat = 70, light = 45) {
    return Array.from({ length: n }, (_, i) => `hsl(${Math.round((i * 360) / Math.max(n, 1) + (i % 2) * 17) % 360}, ${sat}%, ${light}%)`);
  }

  function resetPlot(nIn, nOut) {
    plot.x = [];
    plot.inputs = Array.from({ length: nIn }, () => []);
    plot.host = Array.from({ length: nOut }, () => []);
    plot.board = Array.from({ length: nOut }, () => []);
    plot.ulp = [];
    plot.seen = 0;
  }

  function addRow(row) {
    if (plot.inputs.length !== row.inputs.length || plot.host.length !== row.hostOutputs.length) {
      resetPlot(row.inputs.length, row.hostOutputs.length);
      destroyCharts();
    }
    plot.x.push(plot.seen++);
    row.inputs.forEach((v, i) => plot.inputs[i].push(v));
    row.hostOutputs.forEach((v, i) => plot.host[i].push(v));
    for (let i = 0; i < plot.board.length; i++) plot.board[i].push(row.boardOutputs ? row.boardOutputs[i] : null);
    plot.ulp.push(row.maxUlp);
    if (plot.x.length > MAX_POINTS + 500) {
      const cut = plot.x.length - MAX_POINTS;
      for (const arr of [plot.x, plot.ulp, ...plot.inputs, ...plot.host, ...plot.board]) arr.splice(0, cut);
    }
    if (row.status !== 'bit-identical') {
      bad.push(row);
      if (bad.length > MAX_BAD_SHOWN * 2) bad = bad.slice(-MAX_BAD_SHOWN);
      dirty.bad = true;
    }
    dirty.plot = true;
  }

  function chartSize(el) {
    return { width: Math.max(200, el.clientWidth - 4), height: el.classList.contains('short') ? 120 : 240 };
  }

  function makeLineChart(el, series, opts = {}) {
    const size = chartSize(el);
    const data = [[], ...series.map(() => [])];
    return new uPlot(
      {
        ...size,
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

  function destroyCharts() {
    for (const k of Object.keys(charts)) {
      if (charts[k]) charts[k].destroy();
      charts[k] = null;
    }
  }

  function inputNames(n) {
    const names = (view && view.model && view.model.inputNames) || [];
    return Array.from({ length: n }, (_, i) => names[i] || `in ${i}`);
  }
  function outputNames(n) {
    const names = (view && view.model && (view.model.outputNames || view.model.labels)) || [];
    return Array.from({ length: n }, (_, i) => names[i] || `out ${i}`);
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
        scales: { y: { range: (u, min, max) => [0, Math.max(1, max || 0)] } },
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
          series: [{}, { label: 'rows', stroke: '#2c7be5', fill: 'rgba(44,123,229,0.35)', paths: uPlot.paths.bars({ size: [0.9, 60] }), points: { show: false } }],
          hooks: { draw: [drawLatencyMarkers] },
        },
        [[], []],
        el,
      );
    }
    return true;
  }

  function drawLatencyMarkers(u) {
    if (!view || !view.latency) return;
    const marks = [
      [view.latency.medianUs, '#27ae60', 'median'],
      [view.latency.p99Us, '#c0392b', 'p99'],
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

  function drawCharts() {
    if (!ensureCharts()) return;
    const n = Math.min(windowSize, plot.x.length);
    const from = plot.x.length - n;
    const tail = (arr) => arr.slice(from);
    const x = tail(plot.x);
    charts.inputs.setData([x, ...plot.inputs.map(tail)]);
    charts.outputs.setData([x, ...plot.host.map(tail), ...plot.board.map(tail)]);
    charts.ulp.setData([x, tail(plot.ulp)]);
    for (const id of ['chart-inputs', 'chart-outputs', 'chart-ulp']) $(id).dataset.points = String(x.length);
    const bins = view && view.latency && view.latency.bins;
    if (bins) {
      const xs = bins.counts.map((_, i) => bins.startUs + (i + 0.5) * bins.widthUs);
      charts.latency.setData([xs, bins.counts]);
      $('chart-latency').dataset.points = String(bins.counts.reduce((a, b) => a + b, 0));
    }
  }

  function renderView() {
    const v = view;
    const c = v.counters;
    document.title = v.title;
    setText('title', v.title + (v.model && v.model.name ? ` · ${v.model.name}` : ''));
    const st = $('connection-state');
    setText('connection-state', STATE_TEXT[v.connection] || v.connection);
    if (st.dataset.state !== v.connection) {
      st.className = `badge state-${v.connection}`;
      st.dataset.state = v.connection;
    }
    setText('connection-detail', v.connectionDetail || '');
    setText('resets', fmtInt(c.resets));
    setText('board-hash', v.ready ? `${v.ready.model} (${v.ready.board}, ${v.ready.inputs} in, ${v.ready.outputs} out)` : '-');
    const hm = $('hash-match');
    setText('hash-match', v.hashMatches === null ? '' : v.hashMatches ? 'matches model.json' : `differs from model.json (${v.model.hash})`);
    hm.className = v.hashMatches === false ? 'bad-text' : 'good-text';
    setText('count-done', fmtInt(c.done));
    setText('count-expected', v.expectedRows !== null ? `of ${fmtInt(v.expectedRows)}` : '');
    setText('count-sent', fmtInt(c.sent));
    setText('count-retries', c.retries ? `${fmtInt(c.retries)} retries` : '');
    setText('count-answered', fmtInt(c.answered));
    setText('count-bit-identical', fmtInt(c.bitIdentical));
    setText('count-mismatched', fmtInt(c.mismatched));
    setText('max-ulp', c.maxUlp ? `max ${fmtInt(c.maxUlp)} ulp` : '');
    setText('count-failed', fmtInt(c.failed));
    setText('rows-per-second', v.rowsPerSecond.toFixed(0));
    setText('class-agreement', fmtPct(v.classAgreement));
    setText('board-accuracy', v.boardAccuracy === null ? '' : `board vs labels ${fmtPct(v.boardAccuracy)}`);
    $('progress-bar').style.width = v.expectedRows ? `${Math.min(100, (100 * c.done) / v.expectedRows)}%` : '0';
    setText('latency-median', fmtUs(v.latency.medianUs));
    setText('latency-p99', fmtUs(v.latency.p99Us));
    setText('export-note', `${fmtInt(v.exportRows)} rows${v.exportDropped ? ` (the oldest ${fmtInt(v.exportDropped)} are no longer kept)` : ''}`);
    $('send-button').disabled = !v.canSend;
    $('send-line').placeholder = v.canSend ? 'a line for the board, e.g. 5.1,3.5,1.4,0.2 or ?' : 'no board attached';
    $('reset-board').hidden = !v.canReset;
    // Rebuild the matrix and the log only when they changed: a rebuilt table is a relayout and a repaint.
    const confusionKey = JSON.stringify([v.classes, v.confusion]);
    if (confusionKey !== lastConfusionKey) {
      lastConfusionKey = confusionKey;
      renderConfusion(v);
    }
    const logKey = JSON.stringify(v.stateLog);
    if (logKey !== lastLogKey) {
      lastLogKey = logKey;
      renderStateLog(v);
    }
  }
  let lastConfusionKey = '';
  let lastLogKey = '';
  /** Set text only when it differs, so unchanged counters cause no style or layout work. */
  function setText(id, value) {
    const el = $(id);
    if (el.textContent !== value) el.textContent = value;
  }

  function renderConfusion(v) {
    const t = $('confusion');
    const k = v.classes.length;
    if (k === 0) {
      t.innerHTML = '';
      $('confusion-note').textContent = 'no labelled classifier rows yet';
      return;
    }
    let max = 0;
    for (const r of v.confusion) for (const n of r) if (n > max) max = n;
    const esc = (s) => String(s).replace(/[&<>"]/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[ch]);
    let html = '<thead><tr><th></th>' + v.classes.map((c) => `<th>${esc(c)}</th>`).join('') + '</tr></thead><tbody>';
    v.confusion.forEach((r, i) => {
      html += `<tr><th>${esc(v.classes[i])}</th>`;
      r.forEach((n, j) => {
        const a = max ? n / max : 0;
        const hue = i === j ? '140, 60%' : '0, 70%';
        html += `<td data-cell="${i},${j}" style="background: hsla(${hue}, 45%, ${n ? 0.12 + 0.75 * a : 0})">${n || ''}</td>`;
      });
      html += '</tr>';
    });
    t.innerHTML = html + '</tbody>';
    let off = 0;
    let total = 0;
    v.confusion.forEach((r, i) => r.forEach((n, j) => ((total += n), i !== j && (off += n))));
    $('confusion-note').textContent = `${fmtInt(total)} labelled rows, ${fmtInt(off)} off the diagonal`;
  }

  function renderStateLog(v) {
    const ol = $('state-log');
    const items = v.stateLog.map((s) => {
      const li = document.createElement('li');
      li.dataset.state = s.state;
      li.textContent = `${new Date(s.time).toLocaleTimeString()} · ${STATE_TEXT[s.state] || s.state}${s.detail ? ` (${s.detail})` : ''} · after ${fmtInt(s.rowsDone)} rows`;
      return li;
    });
    ol.replaceChildren(...items);
  }

  function cell(text, cls) {
    const td = document.createElement('td');
    td.textContent = text;
    if (cls) td.className = cls;
    return td;
  }
  function listCell(values) {
    if (!values) return cell('-');
    const td = document.createElement('td');
    const short = values.slice(0, 6).map(fmtNum).join(' ') + (values.length > 6 ? ` … (${values.length})` : '');
    td.textContent = short;
    td.title = values.map(fmtNum).join(' ');
    td.className = 'nums';
    return td;
  }

  function renderBad() {
    const tbody = $('bad-rows');
    const shown = bad.slice(-MAX_BAD_SHOWN).reverse();
    $('bad-count').textContent = view ? `(${fmtInt(view.counters.mismatched + view.counters.failed)})` : '';
    if (shown.length === 0) {
      tbody.innerHTML = '<tr class="empty"><td colspan="10">none yet</td></tr>';
      return;
    }
    const rows = shown.map((r) => {
      const tr = document.createElement('tr');
      tr.setAttribute('data-testid', 'bad-row');
      tr.className = r.status;
      tr.append(
        cell(String(r.index)),
        cell(r.status),
        cell(r.maxUlp === null ? '-' : fmtInt(r.maxUlp)),
        cell(r.label ?? ''),
        cell(r.hostPrediction ?? ''),
        cell(r.boardPrediction ?? ''),
        listCell(r.inputs),
        listCell(r.hostOutputs),
        listCell(r.boardOutputs),
        cell(r.error ?? ''),
      );
      return tr;
    });
    tbody.replaceChildren(...rows);
  }

  function renderConsole() {
    const showFrames = $('show-frames').checked;
    const pre = $('console');
    const lines = (showFrames ? consoleLines : consoleLines.filter((l) => !/^[>=!#]/.test(l.text))).slice(-CONSOLE_SHOWN);
    // Long frames (a 64-input request is 530 characters) are cut for display: laying out megabytes of text each update is what chokes a page.
    const shown = (t) => (t.length > CONSOLE_LINE_CHARS ? `${t.slice(0, CONSOLE_LINE_CHARS - 14)}… ${t.slice(-12)}` : t);
    pre.textContent = lines.map((l) => `${l.direction === 'tx' ? '→' : l.direction === 'rx' ? '←' : '·'} ${shown(l.text)}`).join('\n');
    if ($('follow').checked) pre.scrollTop = pre.scrollHeight;
  }

  function frame(t) {
    frameRequested = false;
    if (dirty.view && view) renderView();
    if (dirty.bad) renderBad();
    if (dirty.console && t >= nextConsoleDraw) {
      renderConsole();
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
        drawCharts();
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

  function onView(v) {
    view = v;
    dirty.view = true;
    dirty.latency = true;
  }

  function onSnapshot(msg) {
    resetPlot(0, 0);
    destroyCharts();
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
    es.addEventListener('snapshot', (e) => onSnapshot(JSON.parse(e.data)));
    es.addEventListener('batch', (e) => onBatch(JSON.parse(e.data)));
  }

  /** "all", "" or a list of indices and ranges ("0-7,12") -> the set of inputs to draw, or null for all. */
  function parseSelection(text, n) {
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
  function applyInputSelection() {
    const el = $('input-select');
    const u = charts.inputs;
    if (!u) return;
    const keep = parseSelection(el.value, plot.inputs.length);
    el.classList.toggle('invalid', keep === undefined);
    if (keep === undefined) return;
    u.batch(() => plot.inputs.forEach((_, i) => u.setSeries(i + 1, { show: keep === null || keep.has(i) })));
  }
  $('input-select').addEventListener('change', applyInputSelection);
  $('plot-window').addEventListener('change', (e) => {
    windowSize = Number(e.target.value);
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
  $('show-frames').addEventListener('change', () => {
    dirty.console = true;
    requestFrame();
  });
  $('send-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const input = $('send-line');
    const status = $('send-status');
    const line = input.value;
    if (line === '') return;
    try {
      const res = await fetch('/api/send', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ line }) });
      if (res.ok) {
        status.textContent = `sent: ${line}`;
        input.value = '';
      } else {
        status.textContent = `not sent: ${(await res.text()).trim()}`;
      }
    } catch (err) {
      status.textContent = `not sent: ${err}`;
    }
  });
  $('reset-board').addEventListener('click', async () => {
    const status = $('send-status');
    try {
      const res = await fetch('/api/reset', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
      status.textContent = res.ok ? 'board reset requested' : `not reset: ${(await res.text()).trim()}`;
    } catch (err) {
      status.textContent = `not reset: ${err}`;
    }
  });
  window.addEventListener('resize', () => {
    for (const [k, el] of [['inputs', 'chart-inputs'], ['outputs', 'chart-outputs'], ['ulp', 'chart-ulp'], ['latency', 'chart-latency']]) {
      if (charts[k]) charts[k].setSize(chartSize($(el)));
    }
  });

  // For tests and the curious: the live charts.
  window.deployNnDashboard = { charts, plot, get view() { return view; } };
  connect();
})();
