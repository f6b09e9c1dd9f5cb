// @ts-check
/** The view as the URL holds it (query, range, filters, selected event), and the API filters it means. */

/**
 * @typedef {{sign: '+'|'-', field: string, value: string}} Filter
 * @typedef {{page: 'explorer'|'pipeline', q: string, range: string, from: string, to: string,
 *   refresh: number, filters: Filter[], sel: string, live: boolean}} View
 */

/** Relative ranges the picker offers, in milliseconds. "" is the default: the newest events, any age. */
export const RANGES = /** @type {const} */ ([
  ['', 'Newest (any age)', 0], ['5m', 'Last 5 minutes', 5 * 60e3], ['15m', 'Last 15 minutes', 15 * 60e3],
  ['1h', 'Last hour', 3600e3], ['6h', 'Last 6 hours', 6 * 3600e3], ['24h', 'Last 24 hours', 24 * 3600e3],
  ['7d', 'Last 7 days', 7 * 24 * 3600e3], ['abs', 'Custom range…', 0],
]);

/** Fields the side panel breaks down (labels.* ones are added from the hits). */
export const FACET_FIELDS = ['service', 'level', 'host', 'geo.country_iso_code'];

/** @param {URLSearchParams} search @returns {View} */
export function readView(search = new URLSearchParams(location.search)) {
  const range = search.get('range') || '';
  return {
    page: search.get('page') === 'pipeline' ? 'pipeline' : 'explorer',
    q: search.get('q') || '',
    range: RANGES.some(([key]) => key === range) ? range : '',
    from: search.get('from') || '',
    to: search.get('to') || '',
    refresh: Number(search.get('refresh')) || 0,
    filters: search.getAll('f').map(parseFilter).filter((f) => f !== null),
    sel: search.get('sel') || '',
    live: search.get('live') === '1',
  };
}

/** @param {string} text @returns {Filter|null} */
function parseFilter(text) {
  const sign = text[0] === '-' ? '-' : '+';
  const body = text[0] === '-' || text[0] === '+' ? text.slice(1) : text;
  const colon = body.indexOf(':');
  if (colon <= 0) return null;
  return { sign, field: body.slice(0, colon), value: body.slice(colon + 1) };
}

/** @param {View} view */
export function viewUrl(view) {
  const search = new URLSearchParams();
  if (view.page === 'pipeline') search.set('page', 'pipeline');
  else {
    if (view.q) search.set('q', view.q);
    if (view.range) search.set('range', view.range);
    if (view.range === 'abs') { search.set('from', view.from); search.set('to', view.to); }
    if (view.refresh) search.set('refresh', String(view.refresh));
    for (const f of view.filters) search.append('f', `${f.sign === '-' ? '-' : ''}${f.field}:${f.value}`);
    if (view.sel) search.set('sel', view.sel);
    if (view.live) search.set('live', '1');
  }
  const text = search.toString();
  return location.pathname + (text ? '?' + text : '');
}

/** @param {string} value */
function quoted(value) { return '"' + value.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"'; }

/**
 * The API filters of a view: service= and level= for a single include of those (every store
 * knows them), the other filters as query clauses. `offset` is where the user's text starts in
 * the sent q, so an error position can be mapped back onto the query bar.
 * @param {View} view
 * @param {number} now
 * @returns {{params: Record<string,string>, offset: number, span: [number, number]|null}}
 */
export function apiFilters(view, now = Date.now()) {
  /** @type {Record<string,string>} */
  const params = {};
  const clauses = [];
  for (const f of view.filters) {
    const single = view.filters.filter((g) => g.field === f.field && g.sign === '+').length === 1;
    if (f.sign === '+' && single && (f.field === 'service' || f.field === 'level')) {
      params[f.field] = f.value;
    } else {
      clauses.push(`${f.sign === '-' ? '-' : ''}${f.field}:${quoted(f.value)}`);
    }
  }
  let q = view.q.trim();
  let offset = view.q.length - view.q.trimStart().length;
  if (clauses.length) {
    if (q) { q = `(${q}) `; offset -= 1; }
    q += clauses.join(' ');
  }
  if (q) params.q = q;
  /** @type {[number, number]|null} */
  let span = null;
  const relative = RANGES.find(([key]) => key === view.range);
  if (view.range === 'abs' && view.from && view.to) {
    span = [Date.parse(view.from), Date.parse(view.to)];
    params.from = new Date(span[0]).toISOString();
    params.to = new Date(span[1]).toISOString();
  } else if (relative && relative[2]) {
    span = [now - relative[2], now];
    params.from = new Date(span[0]).toISOString();
  }
  return { params, offset, span };
}

/**
 * The 0-based position of a query syntax error in a 400 answer: a numeric `position` (or
 * `offset`, `column`) member, or one named in the message: "position 7" and "offset 7" count
 * from 0, "character 8" from 1 (as the embedded store's parser words it).
 * @param {any} body @param {string} message
 * @returns {number|null}
 */
export function errorPosition(body, message) {
  for (const key of ['position', 'offset', 'column']) {
    if (body && Number.isInteger(body[key])) return body[key];
  }
  const zeroBased = /\b(?:position|offset|column)\s*:?\s*(\d+)/i.exec(message || '');
  if (zeroBased) return Number(zeroBased[1]);
  const oneBased = /\bchar(?:acter)?\s*:?\s*(\d+)/i.exec(message || '');
  return oneBased ? Math.max(0, Number(oneBased[1]) - 1) : null;
}

/**
 * The words of a query worth highlighting in messages: free words and phrases, not operators or
 * field clauses. @param {string} q @returns {RegExp|null}
 */
export function highlightPattern(q) {
  const words = [];
  const tokens = q.match(/-?"(?:[^"\\]|\\.)*"|[^\s()]+/g) || [];
  for (let token of tokens) {
    if (token.startsWith('-') || /^(AND|OR|NOT)$/.test(token)) continue;
    if (/^[\w.@-]+:/.test(token) || /[<>=[\]]/.test(token)) continue;
    token = token.replace(/^"|"$/g, '').replace(/\*$/, '');
    if (token.length > 1) words.push(token.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  }
  return words.length ? new RegExp(words.join('|'), 'gi') : null;
}

/** A bucket width giving about `buckets` bars over `spanMs`, rounded to a readable step. */
export function niceInterval(spanMs, buckets = 60) {
  const steps = [1e3, 5e3, 10e3, 30e3, 60e3, 5 * 60e3, 10 * 60e3, 30 * 60e3, 3600e3, 3 * 3600e3,
    6 * 3600e3, 12 * 3600e3, 86400e3, 7 * 86400e3, 30 * 86400e3];
  const raw = spanMs / buckets;
  return steps.find((step) => step >= raw) || steps[steps.length - 1];
}

/** 60000 -> "1m" (the API's duration syntax). @param {number} ms */
export function durationText(ms) {
  if (ms % 86400e3 === 0) return ms / 86400e3 * 24 + 'h';
  if (ms % 3600e3 === 0) return ms / 3600e3 + 'h';
  if (ms % 60e3 === 0) return ms / 60e3 + 'm';
  return Math.max(1, Math.round(ms / 1e3)) + 's';
}
