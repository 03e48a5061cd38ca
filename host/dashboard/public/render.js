// @ts-check
// Rendering the view, the confusion matrix, the state log, the bad rows and the console into the page.
import { $, $input, escapeHtml, fmtInt, fmtNum, fmtPct, fmtUs, stateText } from './format.js';

/** @typedef {import('../../bridge/events.js').RowResult} RowResult */
/** @typedef {import('../state.js').ConsoleLine} ConsoleLine */
/** @typedef {import('../server.js').PageView} PageView */

export const MAX_BAD_SHOWN = 200;
export const CONSOLE_SHOWN = 200;
const CONSOLE_LINE_CHARS = 160;

/** Set text only when it differs, so unchanged counters cause no style or layout work. */
/** @param {string} id @param {string} value */
function setText(id, value) {
  const el = $(id);
  if (el.textContent !== value) el.textContent = value;
}

/** @param {PageView} v */
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
  let html = '<thead><tr><th></th>' + v.classes.map((c) => `<th>${escapeHtml(c)}</th>`).join('') + '</tr></thead><tbody>';
  v.confusion.forEach((r, i) => {
    html += `<tr><th>${escapeHtml(v.classes[i])}</th>`;
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

/** @param {PageView} v */
function renderStateLog(v) {
  const items = v.stateLog.map((s) => {
    const li = document.createElement('li');
    li.dataset.state = s.state;
    li.textContent = `${new Date(s.time).toLocaleTimeString()} · ${stateText(s.state)}${s.detail ? ` (${s.detail})` : ''} · after ${fmtInt(s.rowsDone)} rows`;
    return li;
  });
  $('state-log').replaceChildren(...items);
}

/** Renders views, rebuilding the matrix and the log only when they changed (a rebuilt table is a relayout and a repaint). */
export function createViewRenderer() {
  let lastConfusionKey = '';
  let lastLogKey = '';
  /** @param {PageView} v */
  return function renderView(v) {
    const c = v.counters;
    document.title = v.title;
    setText('title', v.title + (v.model && v.model.name ? ` · ${v.model.name}` : ''));
    const st = $('connection-state');
    setText('connection-state', stateText(v.connection));
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
    /** @type {HTMLButtonElement} */ ($('send-button')).disabled = !v.canSend;
    $input('send-line').placeholder = v.canSend ? 'a line for the board, e.g. 5.1,3.5,1.4,0.2 or ?' : 'no board attached';
    $('reset-board').hidden = !v.canReset;
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
  };
}

/** @param {string} text @param {string} [cls] */
function cell(text, cls) {
  const td = document.createElement('td');
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}
/** @param {readonly number[] | null} values */
function listCell(values) {
  if (!values) return cell('-');
  const td = document.createElement('td');
  const short = values.slice(0, 6).map(fmtNum).join(' ') + (values.length > 6 ? ` … (${values.length})` : '');
  td.textContent = short;
  td.title = values.map(fmtNum).join(' ');
  td.className = 'nums';
  return td;
}

/** The newest bad rows first. @param {readonly RowResult[]} bad @param {PageView | null} view */
export function renderBad(bad, view) {
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

/** @param {readonly ConsoleLine[]} consoleLines */
export function renderConsole(consoleLines) {
  const showFrames = $input('show-frames').checked;
  const pre = $('console');
  const lines = (showFrames ? consoleLines : consoleLines.filter((l) => !/^[>=!#]/.test(l.text))).slice(-CONSOLE_SHOWN);
  // Long frames (a 64-input request is 530 characters) are cut for display: laying out megabytes of text each update is what chokes a page.
  /** @param {string} t */
  const shown = (t) => (t.length > CONSOLE_LINE_CHARS ? `${t.slice(0, CONSOLE_LINE_CHARS - 14)}… ${t.slice(-12)}` : t);
  pre.textContent = lines.map((l) => `${l.direction === 'tx' ? '→' : l.direction === 'rx' ? '←' : '·'} ${shown(l.text)}`).join('\n');
  if ($input('follow').checked) pre.scrollTop = pre.scrollHeight;
}
