// @ts-check
/** The explorer: query bar, time range, histogram, hits, fields, event detail, context, live tail. */
import { ApiError, getJson } from './api.js';
import { h, formatTime, formatCount, jsonNodes, copyText, highlighted } from './dom.js';
import { FacetPanel, topValues } from './facets.js';
import { Histogram } from './histogram.js';
import { HitsList } from './hits.js';
import { QueryBar } from './querybar.js';
import { LiveTail } from './tail.js';
import { RANGES, apiFilters, errorPosition, highlightPattern, niceInterval, durationText } from './view.js';

const FIRST_PAGE = 200;
const NEXT_PAGE = 1000;

/** Whether the server takes interval=auto (null: not asked yet). */
let autoInterval = /** @type {boolean|null} */ (null);

/** @param {Date|number} time local "YYYY-MM-DDTHH:MM:SS" for datetime-local inputs */
function localInput(time) {
  const date = new Date(time);
  return new Date(date.getTime() - date.getTimezoneOffset() * 60e3).toISOString().slice(0, 19);
}

export class Explorer {
  /**
   * @param {{view: import('./view.js').View, navigate: (view: import('./view.js').View, push: boolean) => void}} app
   */
  constructor(app) {
    this.app = app;
    /** @type {any[]} */
    this.hits = [];
    this.cursor = /** @type {string|null} */ (null);
    this.loadingMore = false;
    /** @type {AbortController|null} */
    this.controller = null;
    /** Ranges before each drag-zoom, for the way back. @type {{range: string, from: string, to: string}[]} */
    this.zoomStack = [];
    this.paused = false;
    /** @type {any[]} */
    this.pending = [];
    this.cap = 1000;
    this.lastHistogram = /** @type {any} */ (null);

    this.query = new QueryBar({ onRun: () => this.runQuery(), values: (field) => this.valuesOf(field) });
    this.rangeSelect = /** @type {HTMLSelectElement} */ (h('select', { 'aria-label': 'Time range', class: 'range-select', onchange: () => this.rangeChanged() },
      RANGES.map(([key, label]) => h('option', { value: key }, label))));
    this.fromInput = /** @type {HTMLInputElement} */ (h('input', { type: 'datetime-local', step: '1', 'aria-label': 'From' }));
    this.toInput = /** @type {HTMLInputElement} */ (h('input', { type: 'datetime-local', step: '1', 'aria-label': 'To' }));
    this.absolute = h('span', { class: 'absolute', hidden: true }, this.fromInput, '→', this.toInput,
      h('button', { type: 'button', onclick: () => this.applyAbsolute() }, 'Apply'));
    this.refreshSelect = /** @type {HTMLSelectElement} */ (h('select', { 'aria-label': 'Auto-refresh', onchange: () => this.update({ refresh: Number(this.refreshSelect.value) }, false) },
      [[0, 'Refresh off'], [5, 'Every 5 s'], [10, 'Every 10 s'], [30, 'Every 30 s'], [60, 'Every minute']].map(([v, l]) => h('option', { value: v }, l))));
    // Phones have no room for the fields panel beside the hits: it opens over them.
    this.fieldsButton = h('button', { type: 'button', class: 'fields-toggle', 'aria-expanded': 'false', onclick: () => this.toggleFields() }, 'Fields');
    this.liveButton = h('button', { type: 'button', class: 'live-toggle', 'aria-pressed': 'false', onclick: () => this.update({ live: !this.app.view.live, sel: '' }, true) }, '● Live');
    this.toolbar = h('form', { class: 'toolbar', role: 'search', onsubmit: (/** @type {Event} */ e) => { e.preventDefault(); this.runQuery(); } },
      this.query.element, h('button', { type: 'submit', class: 'primary' }, 'Search'), this.rangeSelect, this.absolute, this.refreshSelect, this.liveButton, this.fieldsButton);
    this.chips = h('div', { class: 'chips', 'aria-label': 'Filters' });
    this.status = h('div', { class: 'status', role: 'status', 'aria-live': 'polite' });
    this.zoomBack = h('button', { type: 'button', class: 'zoom-back', hidden: true, onclick: () => this.unzoom() }, '⟲ Zoom out');
    this.histogram = new Histogram((from, to) => this.zoom(from, to));
    this.facets = new FacetPanel((field, value, exclude) => this.pick(field, value, exclude));
    this.list = new HitsList({ onSelect: (index) => this.select(index, true), onNearEnd: () => this.loadMore() });
    this.header = h('div', { class: 'hits-header', 'aria-hidden': 'true' },
      h('span', { class: 'c-time' }, 'Time'), h('span', { class: 'c-level' }, 'Level'), h('span', { class: 'c-service' }, 'Service'),
      h('span', { class: 'c-host' }, 'Host'), h('span', { class: 'c-message' }, 'Message'));
    this.liveBar = h('div', { class: 'live-bar', hidden: true });
    this.empty = h('div', { class: 'empty', hidden: true });
    this.detail = h('aside', { class: 'detail', hidden: true, 'aria-label': 'Event' });
    this.element = h('main', { class: 'explorer' },
      this.toolbar, this.chips,
      h('div', { class: 'hist-row' }, this.status, this.zoomBack), this.histogram.element,
      h('div', { class: 'panes' }, this.facets.element,
        h('section', { class: 'hits', 'aria-label': 'Hits' }, this.liveBar, this.header, this.empty, this.list.element),
        this.detail));
    this.tail = new LiveTail({
      onEvents: (events) => this.tailEvents(events),
      onStatus: (text, error) => { this.tailStatus = text; this.tailError = !!error; this.renderLiveBar(); },
    });
    this.tailStatus = '';
    this.tailError = false;
    /** @type {HTMLElement|undefined} */
    this.pauseButton = undefined;
    this.rateTimer = setInterval(() => this.app.view.live && this.renderLiveBar(), 1000);
    this.refreshTimer = 0;
  }

  /** @param {Partial<import('./view.js').View>} change @param {boolean} push */
  update(change, push) {
    this.app.navigate({ ...this.app.view, ...change }, push);
  }

  /** Applies the view (first load, a navigation, back/forward). */
  show() {
    const view = this.app.view;
    if (document.activeElement !== this.query.input || this.query.value !== view.q) this.query.value = view.q;
    this.query.clearError();
    this.rangeSelect.value = view.range;
    this.absolute.hidden = view.range !== 'abs';
    if (view.range === 'abs') {
      this.fromInput.value = view.from ? localInput(Date.parse(view.from)) : '';
      this.toInput.value = view.to ? localInput(Date.parse(view.to)) : '';
    }
    this.refreshSelect.value = String(view.refresh);
    this.liveButton.setAttribute('aria-pressed', String(view.live));
    this.zoomBack.hidden = this.zoomStack.length === 0;
    this.chips.replaceChildren(...view.filters.map((f, i) => h('span', { class: 'chip ' + (f.sign === '-' ? 'chip-ex' : 'chip-in') },
      `${f.sign === '-' ? 'NOT ' : ''}${f.field}: ${f.value}`,
      h('button', { type: 'button', 'aria-label': `Remove filter ${f.field} ${f.value}`, onclick: () => this.update({ filters: view.filters.filter((_, j) => j !== i) }, true) }, '×'))));
    clearInterval(this.refreshTimer);
    if (view.refresh && !view.live) this.refreshTimer = setInterval(() => this.load(false), view.refresh * 1000);
    this.load(true);
  }

  /** @param {boolean} [open] */
  toggleFields(open = !this.element.classList.contains('show-facets')) {
    this.element.classList.toggle('show-facets', open);
    this.fieldsButton.setAttribute('aria-expanded', String(open));
  }

  runQuery() {
    this.update({ q: this.query.value, sel: '' }, true);
  }

  rangeChanged() {
    const range = this.rangeSelect.value;
    if (range === 'abs') {
      // Start from what is on screen: the newest hit back to the oldest loaded one.
      const newest = this.hits.length ? Date.parse(this.hits[0].timestamp) : Date.now();
      const oldest = this.hits.length ? Date.parse(this.hits[this.hits.length - 1].timestamp) : newest - 3600e3;
      this.update({ range, from: new Date(oldest).toISOString(), to: new Date(newest + 1).toISOString() }, true);
    } else {
      this.update({ range, from: '', to: '' }, true);
    }
  }

  applyAbsolute() {
    const from = Date.parse(this.fromInput.value);
    const to = Date.parse(this.toInput.value);
    if (Number.isNaN(from) || Number.isNaN(to) || to <= from) {
      this.setStatus('The range needs a start before its end.', true);
      return;
    }
    this.update({ range: 'abs', from: new Date(from).toISOString(), to: new Date(to).toISOString() }, true);
  }

  /** @param {number} from @param {number} to */
  zoom(from, to) {
    const view = this.app.view;
    this.zoomStack.push({ range: view.range, from: view.from, to: view.to });
    this.update({ range: 'abs', from: new Date(from).toISOString(), to: new Date(to).toISOString(), sel: '' }, true);
  }

  unzoom() {
    const previous = this.zoomStack.pop();
    if (previous) this.update(previous, true);
  }

  /** @param {string} field @param {string} value @param {boolean} exclude */
  pick(field, value, exclude) {
    const sign = exclude ? '-' : '+';
    const filters = this.app.view.filters.filter((f) => !(f.field === field && f.value === value));
    const existing = this.app.view.filters.find((f) => f.field === field && f.value === value);
    // Clicking an active filter again removes it.
    if (!existing || existing.sign !== sign) filters.push({ sign, field, value });
    this.toggleFields(false);
    this.update({ filters, sel: '' }, true);
  }

  /** @param {string} field */
  async valuesOf(field) {
    const { params } = apiFilters(this.app.view);
    const result = await topValues(field, params, this.hits, 10);
    return result.values.map((v) => v.value);
  }

  /** @param {string} text @param {boolean} [error] */
  setStatus(text, error = false) {
    this.status.textContent = text;
    this.status.classList.toggle('error-text', error);
  }

  /** @param {string} [message] */
  showEmpty(message) {
    this.empty.hidden = !message;
    this.empty.replaceChildren(...(message ? [message] : []));
  }

  /** Runs the view's query: hits, histogram and fields. @param {boolean} full */
  async load(full) {
    const view = this.app.view;
    if (this.controller) this.controller.abort();
    const controller = new AbortController();
    this.controller = controller;
    const { params, offset, span } = apiFilters(view);
    this.pattern = highlightPattern(view.q);
    if (view.live) {
      this.startLive(params);
      return;
    }
    this.tail.stop();
    this.liveBar.hidden = true;
    if (full) this.setStatus('Loading…');
    this.element.setAttribute('aria-busy', 'true');
    const histogram = span ? this.loadHistogram(params, span, controller) : null;
    let page;
    try {
      page = await getJson('/api/search', { ...params, limit: FIRST_PAGE }, { signal: controller.signal });
    } catch (error) {
      if (controller.signal.aborted) return;
      this.element.removeAttribute('aria-busy');
      this.failed(/** @type {any} */ (error), offset);
      return;
    }
    if (controller.signal.aborted) return;
    this.element.removeAttribute('aria-busy');
    this.hits = page.hits;
    this.cursor = page.cursor;
    this.total = page.total;
    this.totalRelation = page.total_relation || 'eq';
    this.list.setHits(this.hits, this.pattern);
    this.renderCount();
    this.showEmpty(this.hits.length ? '' : view.range
      ? 'No events match in this time range. Try a wider range or "Newest (any age)".'
      : (view.q || view.filters.length ? 'No events match this query.' : 'No events yet: POST some to /logs.'));
    this.restoreSelection();
    if (!span) this.loadHistogram(params, null, controller);
    else await histogram;
    this.facets.load(params, this.hits, view.filters, controller.signal).catch(() => {});
  }

  renderCount() {
    const total = this.total ?? this.hits.length;
    const more = this.totalRelation === 'gte' ? '≥ ' : '';
    this.setStatus(`${more}${formatCount(total)} hits` + (this.hits.length < total ? ` · ${formatCount(this.hits.length)} loaded` : ''));
  }

  /** @param {any} error @param {number} offset */
  failed(error, offset) {
    this.hits = [];
    this.list.setHits([], null);
    if (error instanceof ApiError && error.status === 400) {
      const position = errorPosition(error.body, error.message);
      this.query.showError(error.message, position === null ? null : Math.max(0, position - offset));
      this.setStatus('The query has an error.', true);
      this.showEmpty('Fix the query to see hits.');
    } else if (error instanceof ApiError && error.status === 401) {
      this.setStatus('A token is needed to search this logpipe.', true);
      this.showEmpty('Enter the token to see the events.');
    } else if (error instanceof ApiError && error.status === 403) {
      this.setStatus('This token may not search: ' + error.message, true);
      this.showEmpty('The token has no query scope.');
    } else {
      this.setStatus(error.status ? `Search failed (${error.status}): ${error.message}` : error.message, true);
      this.showEmpty('The search store could not answer; the page retries on the next search or refresh.');
    }
  }

  /**
   * @param {Record<string,string>} params @param {[number, number]|null} span
   * @param {AbortController} controller
   */
  async loadHistogram(params, span, controller) {
    let interval;
    let bounds = span;
    let note = '';
    if (span) {
      interval = durationText(niceInterval(span[1] - span[0]));
    } else if (autoInterval !== false) {
      interval = 'auto';
    } else {
      // No time range and no interval=auto on this server: chart the loaded hits' span.
      if (!this.hits.length) { this.histogram.render({ interval_ms: 60e3, buckets: [] }, null); return; }
      const newest = Date.parse(this.hits[0].timestamp);
      const oldest = Date.parse(this.hits[this.hits.length - 1].timestamp);
      bounds = [oldest, Math.max(newest + 1, oldest + 60e3)];
      interval = durationText(niceInterval(bounds[1] - bounds[0]));
      params = { ...params, from: new Date(bounds[0]).toISOString() };
      if (this.hits.length < (this.total ?? 0)) note = 'The chart covers the loaded hits’ time span.';
    }
    try {
      const data = await getJson('/api/histogram', { ...params, interval, by: 'level' }, { signal: controller.signal });
      if (interval === 'auto') autoInterval = true;
      if (controller.signal.aborted) return;
      this.lastHistogram = { data, bounds };
      this.histogram.setNote(note);
      this.histogram.render(data, bounds);
    } catch (error) {
      if (controller.signal.aborted) return;
      if (interval === 'auto' && error instanceof ApiError && error.status === 400) {
        autoInterval = false;
        return this.loadHistogram(params, span, controller);
      }
      this.histogram.setNote('Histogram unavailable: ' + /** @type {Error} */ (error).message);
    }
  }

  rerenderHistogram() {
    if (this.lastHistogram) this.histogram.render(this.lastHistogram.data, this.lastHistogram.bounds);
  }

  async loadMore() {
    if (!this.cursor || this.loadingMore || this.app.view.live) return;
    this.loadingMore = true;
    const controller = this.controller;
    const { params } = apiFilters(this.app.view);
    try {
      const page = await getJson('/api/search', { ...params, limit: NEXT_PAGE, cursor: this.cursor }, { signal: controller?.signal });
      if (controller !== this.controller) return;
      this.hits.push(...page.hits);
      this.cursor = page.cursor;
      this.list.appended();
      this.renderCount();
    } catch (error) {
      if (controller === this.controller) this.setStatus('Loading more failed: ' + /** @type {Error} */ (error).message, true);
    } finally {
      this.loadingMore = false;
    }
  }

  restoreSelection() {
    const id = this.app.view.sel;
    const index = id ? this.hits.findIndex((hit) => hit._id === id) : -1;
    this.list.select(index);
    if (index >= 0) this.renderDetail(this.hits[index]);
    else if (id) this.loadSelected(id);
    else this.closeDetail(false);
  }

  /** The URL names an event that is not among the loaded hits: ask for it by id. @param {string} id */
  async loadSelected(id) {
    try {
      const answer = await getJson('/api/context', { id, before: 0, after: 0 });
      if (this.app.view.sel === id) this.renderDetail(answer.event);
    } catch {
      if (this.app.view.sel === id) this.renderDetail(null);
    }
  }

  /** @param {number} index @param {boolean} fromClick */
  select(index, fromClick) {
    if (index < 0 || index >= this.hits.length) return;
    this.list.select(index);
    const hit = this.hits[index];
    this.renderDetail(hit);
    this.app.navigate({ ...this.app.view, sel: hit._id || '' }, false);
    if (fromClick) this.detail.querySelector('h2')?.focus();
  }

  /** @param {number} step */
  move(step) {
    const next = this.list.selected < 0 ? 0 : this.list.selected + step;
    this.select(Math.min(Math.max(next, 0), this.hits.length - 1), false);
  }

  /** @param {boolean} navigate */
  closeDetail(navigate = true) {
    this.detail.hidden = true;
    this.element.classList.remove('with-detail');
    this.list.select(-1);
    if (navigate && this.app.view.sel) this.app.navigate({ ...this.app.view, sel: '' }, false);
  }

  /** @param {any} event */
  renderDetail(event) {
    this.detail.hidden = false;
    this.element.classList.add('with-detail');
    if (!event) {
      this.detail.replaceChildren(h('div', { class: 'detail-head' }, h('h2', { tabindex: '-1' }, 'Event'),
        h('button', { type: 'button', onclick: () => this.closeDetail(), 'aria-label': 'Close' }, '×')),
      h('p', { class: 'muted' }, `The selected event (${this.app.view.sel}) is not among the loaded hits.`));
      return;
    }
    const json = JSON.stringify(event, null, 2);
    const body = h('div', { class: 'detail-body' });
    const documentTab = h('button', { type: 'button', role: 'tab', 'aria-selected': 'true', onclick: () => showDocument() }, 'Document');
    const contextTab = h('button', { type: 'button', role: 'tab', 'aria-selected': 'false', onclick: () => this.showContext(event, body, documentTab, contextTab) }, 'Context');
    const showDocument = () => {
      documentTab.setAttribute('aria-selected', 'true');
      contextTab.setAttribute('aria-selected', 'false');
      body.replaceChildren(
        h('p', { class: 'detail-message' }, highlighted(String(event.message ?? ''), this.pattern || null)),
        h('pre', { class: 'json', tabindex: '0', 'aria-label': 'Event JSON' }, jsonNodes(event)));
    };
    this.detail.replaceChildren(
      h('div', { class: 'detail-head' },
        h('h2', { tabindex: '-1' }, `${formatTime(event.timestamp)} · ${event.level ?? ''} · ${event.service ?? ''}`),
        h('button', { type: 'button', onclick: () => this.closeDetail(), 'aria-label': 'Close event' }, '×')),
      h('div', { class: 'detail-actions' },
        h('div', { role: 'tablist', 'aria-label': 'Event views', class: 'tabs' }, documentTab, contextTab),
        h('button', { type: 'button', onclick: (/** @type {Event} */ e) => this.copied(e, json) }, 'Copy JSON'),
        h('button', { type: 'button', onclick: (/** @type {Event} */ e) => this.copied(e, String(event.message ?? '')) }, 'Copy message'),
        event._id ? h('button', { type: 'button', onclick: (/** @type {Event} */ e) => this.copied(e, event._id) }, 'Copy id') : null),
      body);
    showDocument();
  }

  /** @param {Event} e @param {string} text */
  async copied(e, text) {
    const button = /** @type {HTMLButtonElement} */ (e.currentTarget);
    await copyText(text);
    const label = button.textContent;
    button.textContent = 'Copied ✓';
    setTimeout(() => { button.textContent = label; }, 1200);
  }

  /**
   * The events before and after this one from the same service and host.
   * @param {any} event @param {HTMLElement} body @param {HTMLElement} documentTab @param {HTMLElement} contextTab
   */
  async showContext(event, body, documentTab, contextTab) {
    documentTab.setAttribute('aria-selected', 'false');
    contextTab.setAttribute('aria-selected', 'true');
    body.replaceChildren(h('p', { class: 'muted' }, 'Loading context…'));
    try {
      const answer = await getJson('/api/context', { id: event._id, before: 10, after: 10 });
      const row = (/** @type {any} */ e, /** @type {boolean} */ self) => h('li', { class: 'ctx-row' + (self ? ' ctx-self' : ''), 'aria-current': self ? 'true' : undefined },
        h('span', { class: 'c-time' }, formatTime(e.timestamp)), h('span', { class: `c-level lvl-${String(e.level).toLowerCase()}` }, e.level),
        h('span', { class: 'c-message' }, String(e.message ?? '')));
      body.replaceChildren(
        h('p', { class: 'muted' }, `${answer.before.length} before and ${answer.after.length} after, same service and host`),
        h('ol', { class: 'context' }, answer.before.map((e) => row(e, false)), row(answer.event, true), answer.after.map((e) => row(e, false))));
    } catch (error) {
      const status = error instanceof ApiError ? error.status : 0;
      body.replaceChildren(h('p', { class: 'error-text' }, status === 404 && /no such path/.test(/** @type {Error} */ (error).message)
        ? 'This logpipe has no /api/context yet, so neighbours cannot be shown.'
        : 'Context failed: ' + /** @type {Error} */ (error).message));
    }
  }

  /** @param {Record<string,string>} params */
  startLive(params) {
    this.liveBar.hidden = false;
    this.hits = [];
    this.pending = [];
    this.paused = false;
    this.list.setHits(this.hits, this.pattern);
    this.showEmpty('Waiting for new events…');
    this.setStatus('Live tail');
    this.histogram.setNote('');
    const { from, to, ...filters } = params;
    this.tail.start(filters);
    this.renderLiveBar();
  }

  /** @param {any[]} events newest last */
  tailEvents(events) {
    if (this.paused) {
      this.pending.push(...events);
      if (this.pending.length > this.cap) this.pending.splice(0, this.pending.length - this.cap);
    } else {
      this.hits.unshift(...events.slice().reverse());
      if (this.hits.length > this.cap) this.hits.length = this.cap;
      this.list.setHits(this.hits, this.pattern);
      this.showEmpty('');
    }
    this.renderLiveBar();
  }

  /** The live bar's controls are made once, so a select keeps its focus while the rate ticks. */
  liveControls() {
    if (this.pauseButton) return;
    this.pauseButton = h('button', { type: 'button', class: 'pause', onclick: () => {
      this.paused = !this.paused;
      if (!this.paused && this.pending.length) { const pending = this.pending; this.pending = []; this.tailEvents(pending); }
      this.renderLiveBar();
    } });
    const cap = /** @type {HTMLSelectElement} */ (h('select', { 'aria-label': 'Rows kept', onchange: () => {
      this.cap = Number(cap.value);
      if (this.hits.length > this.cap) { this.hits.length = this.cap; this.list.setHits(this.hits, this.pattern); }
      this.renderLiveBar();
    } }, [500, 1000, 5000, 10000].map((n) => h('option', { value: n, selected: n === this.cap }, `keep ${n}`))));
    this.liveState = h('span', { class: 'live-dot' });
    this.liveRate = h('span', { class: 'live-rate' });
    this.liveRows = h('span', { class: 'live-rows' });
    this.liveMessage = h('span', {});
    this.liveBar.replaceChildren(this.liveState, this.liveRate, this.liveRows, this.liveMessage, this.pauseButton, cap);
  }

  renderLiveBar() {
    if (!this.app.view.live) return;
    this.liveControls();
    const pause = /** @type {HTMLElement} */ (this.pauseButton);
    pause.textContent = this.paused ? '▶ Resume' : '⏸ Pause';
    pause.setAttribute('aria-pressed', String(this.paused));
    /** @type {HTMLElement} */ (this.liveState).textContent = this.paused ? 'Paused' : 'Live';
    /** @type {HTMLElement} */ (this.liveState).classList.toggle('paused', this.paused);
    /** @type {HTMLElement} */ (this.liveRate).textContent = `${this.tail.rate().toFixed(1)} events/s`;
    /** @type {HTMLElement} */ (this.liveRows).textContent = `${this.hits.length} rows` + (this.pending.length ? ` · ${this.pending.length} new while paused` : '');
    /** @type {HTMLElement} */ (this.liveMessage).textContent = this.tailStatus;
    /** @type {HTMLElement} */ (this.liveMessage).className = this.tailError ? 'error-text' : 'muted';
  }

  /** Leaving the page: stop timers and streams. */
  stop() {
    this.tail.stop();
    clearInterval(this.refreshTimer);
    clearInterval(this.rateTimer);
    if (this.controller) this.controller.abort();
  }
}
