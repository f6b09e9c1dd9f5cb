// @ts-check
/** The hits list: only the rows in view are in the DOM, so 10,000 loaded rows scroll smoothly. */
import { h, formatTime, highlighted } from './dom.js';

export const ROW_HEIGHT = 28;
const OVERSCAN = 8;

export class HitsList {
  /**
   * @param {{onSelect: (index: number) => void, onNearEnd: () => void}} handlers
   */
  constructor(handlers) {
    this.handlers = handlers;
    /** @type {any[]} */
    this.hits = [];
    this.selected = -1;
    /** @type {RegExp|null} */
    this.pattern = null;
    this.spacer = h('div', { class: 'hits-spacer' });
    this.viewport = h('div', { class: 'hits-viewport', tabindex: '0', role: 'list', 'aria-label': 'Hits, newest first' }, this.spacer);
    this.element = this.viewport;
    this.firstRendered = -1;
    this.lastRendered = -1;
    /** The rows in the DOM by index: scrolling adds and removes only the rows that enter or leave. @type {Map<number, HTMLElement>} */
    this.rendered = new Map();
    this.viewport.addEventListener('scroll', () => this.schedule(), { passive: true });
    new ResizeObserver(() => this.schedule(true)).observe(this.viewport);
    this.frame = 0;
  }

  /** @param {any[]} hits @param {RegExp|null} pattern */
  setHits(hits, pattern) {
    this.hits = hits;
    this.pattern = pattern;
    this.spacer.style.height = hits.length * ROW_HEIGHT + 'px';
    this.schedule(true);
  }

  /** Rows were added at the end (next page); the rows in view stay. */
  appended() {
    this.spacer.style.height = this.hits.length * ROW_HEIGHT + 'px';
    this.firstRendered = -1;
    this.schedule();
  }

  /** @param {number} index */
  select(index) {
    for (const i of [this.selected, index]) {
      const row = this.rendered.get(i);
      if (!row) continue;
      row.classList.toggle('selected', i === index);
      if (i === index) row.setAttribute('aria-current', 'true'); else row.removeAttribute('aria-current');
    }
    this.selected = index;
    if (index >= 0) {
      const top = index * ROW_HEIGHT;
      const view = this.viewport;
      if (top < view.scrollTop) view.scrollTop = top;
      else if (top + ROW_HEIGHT > view.scrollTop + view.clientHeight) view.scrollTop = top + ROW_HEIGHT - view.clientHeight;
    }
    this.schedule();
  }

  /** @param {boolean} [force] re-create every row (the hits or the highlighting changed) */
  schedule(force = false) {
    if (force) {
      this.firstRendered = -1;
      this.rendered.forEach((row) => row.remove());
      this.rendered.clear();
    }
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => { this.frame = 0; this.render(); });
  }

  render() {
    const view = this.viewport;
    const first = Math.max(0, Math.floor(view.scrollTop / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(this.hits.length, Math.ceil((view.scrollTop + view.clientHeight) / ROW_HEIGHT) + OVERSCAN);
    if (first === this.firstRendered && last === this.lastRendered) return;
    this.firstRendered = first;
    this.lastRendered = last;
    for (const [i, row] of this.rendered) {
      if (i < first || i >= last) { row.remove(); this.rendered.delete(i); }
    }
    const added = document.createDocumentFragment();
    for (let i = first; i < last; i++) {
      if (this.rendered.has(i)) continue;
      const row = this.row(i);
      this.rendered.set(i, row);
      added.appendChild(row);
    }
    this.spacer.appendChild(added);
    if (last >= this.hits.length - 50) this.handlers.onNearEnd();
  }

  /** @param {number} index */
  row(index) {
    const hit = this.hits[index];
    const level = String(hit.level || '');
    return h('div', {
      class: 'hit' + (index === this.selected ? ' selected' : ''),
      role: 'listitem',
      'data-index': index,
      'aria-current': index === this.selected ? 'true' : undefined,
      style: `transform:translateY(${index * ROW_HEIGHT}px)`,
      onclick: () => this.handlers.onSelect(index),
    },
    h('span', { class: 'c-time' }, formatTime(hit.timestamp)),
    h('span', { class: `c-level lvl-${level.toLowerCase()}` }, level),
    h('span', { class: 'c-service' }, String(hit.service ?? '')),
    h('span', { class: 'c-host' }, String(hit.host ?? '')),
    h('span', { class: 'c-message' }, highlighted(String(hit.message ?? ''), this.pattern)));
  }
}
