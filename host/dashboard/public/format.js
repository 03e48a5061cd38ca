// @ts-check
// Formatting for the dashboard page (pure): numbers, durations, state names, HTML escapes.

/** @typedef {import('../server.js').PageView} PageView */

/** @param {number | null | undefined} n */
export const fmtInt = (n) => (n === null || n === undefined ? '-' : Number(n).toLocaleString('en-US'));
/** @param {number | null | undefined} x a share, 0..1 */
export const fmtPct = (x) => (x === null || x === undefined ? '-' : `${(x * 100).toFixed(x === 1 ? 0 : 2)}%`);
/** @param {number | null | undefined} us */
export const fmtUs = (us) => (us === null || us === undefined ? '-' : us >= 1000 ? `${(us / 1000).toFixed(3)} ms` : `${us.toFixed(1)} µs`);
/** @param {number | null | undefined} v */
export const fmtNum = (v) => (v === null || v === undefined ? '' : Number.isInteger(v) ? String(v) : Number(v).toPrecision(7).replace(/\.?0+$/, ''));

/** @type {Record<PageView['connection'], string>} */
export const STATE_TEXT = {
  idle: 'idle',
  opening: 'opening port',
  'waiting-ready': 'waiting for ready',
  streaming: 'streaming',
  'board-reset': 'board reset',
  done: 'done',
  disconnected: 'disconnected',
};

/** @param {string} state */
export const stateText = (state) => STATE_TEXT[/** @type {PageView['connection']} */ (state)] ?? state;

/** @type {Record<string, string>} */
const ENTITIES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };
/** @param {unknown} s */
export const escapeHtml = (s) => String(s).replace(/[&<>"]/g, (ch) => ENTITIES[ch] ?? ch);

/** @param {string} id */
export const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
/** @param {string} id */
export const $input = (id) => /** @type {HTMLInputElement} */ (document.getElementById(id));
