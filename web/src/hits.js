// @ts-check
/**
 * The hits list: only the rows in view are in the DOM, so 10,000 loaded rows scroll smoothly.
 * Scrolling recycles the rows that leave the view for those that enter it (moved to the other
 * end, their text and position changed; no element is created or dropped), and one listener on
 * the list serves every row's click.
 */
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
    this.viewport.addEventListener('click', (event) => {
      const row = /** @type {HTMLElement|null} */ (/** @type {HTMLElement} */ (event.target).closest('.hit'));
      if (row) this.handlers.onSelect(Number(row.dataset.index));
    });
    // A new height may show more or fewer rows; their content stays.
    new ResizeObserver(() => this.schedule()).observe(this.viewport);
    this.frame = 0;
    /** Whether the rendered rows show hits that changed since. */
    this.stale = false;
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

  /** @param {boolean} [force] refill every row (the hits or the highlighting changed) */
  schedule(force = false) {
    if (force) {
      this.firstRendered = -1;
      this.stale = true;
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
    /** @type {HTMLElement[]} */
    const free = [];
    for (const [i, row] of this.rendered) {
      if (this.stale || i < first || i >= last) { free.push(row); this.rendered.delete(i); }
    }
    this.stale = false;
    // The DOM keeps the rows in list order (screen readers read it so): rows entering above the
    // kept ones go before them, the others after.
    let firstKept = Infinity;
    for (const i of this.rendered.keys()) firstKept = Math.min(firstKept, i);
    const above = document.createDocumentFragment();
    const below = document.createDocumentFragment();
    for (let i = first; i < last; i++) {
      if (this.rendered.has(i)) continue;
      const row = free.pop() ?? this.newRow();
      this.fill(row, i);
      this.rendered.set(i, row);
      (i < firstKept ? above : below).appendChild(row);
    }
    for (const row of free) row.remove();
    if (above.firstChild) this.spacer.insertBefore(above, this.spacer.firstChild);
    if (below.firstChild) this.spacer.appendChild(below);
    if (last >= this.hits.length - 50) this.handlers.onNearEnd();
  }

  newRow() {
    return h('div', { class: 'hit', role: 'listitem' },
      h('span', { class: 'c-time' }), h('span', { class: 'c-level' }), h('span', { class: 'c-service' }),
      h('span', { class: 'c-host' }), h('span', { class: 'c-message' }));
  }

  /** Shows hit `index` in `row`. @param {HTMLElement} row @param {number} index */
  fill(row, index) {
    const hit = this.hits[index];
    const level = String(hit.level || '');
    const [time, levelCell, service, host, message] = /** @type {HTMLElement[]} */ (Array.from(row.children));
    row.dataset.index = String(index);
    row.style.transform = `translateY(${index * ROW_HEIGHT}px)`;
    const selected = index === this.selected;
    row.classList.toggle('selected', selected);
    if (selected) row.setAttribute('aria-current', 'true'); else row.removeAttribute('aria-current');
    time.textContent = formatTime(hit.timestamp);
    levelCell.className = `c-level lvl-${level.toLowerCase()}`;
    levelCell.textContent = level;
    service.textContent = String(hit.service ?? '');
    host.textContent = String(hit.host ?? '');
    message.replaceChildren(...highlighted(String(hit.message ?? ''), this.pattern));
  }
}
