// @ts-check
/** The side panel: top values of a few fields for the current query, click to include or exclude. */
import { getJson, ApiError } from './api.js';
import { h, formatCount } from './dom.js';
import { FACET_FIELDS } from './view.js';

/** null until the server was asked; false when it has no /api/facets (then the loaded hits are counted). */
let serverFacets = /** @type {boolean|null} */ (null);

/**
 * Top values of a field: from /api/facets, or counted over the loaded hits when the server has
 * no such endpoint.
 * A request is given up when `signal` aborts (the server then stops the query too).
 * @param {string} field @param {Record<string,string>} params @param {any[]} hits
 * @param {number} [size] @param {AbortSignal} [signal]
 * @returns {Promise<{values: {value: string, count: number}[], other: number, approximate: boolean}>}
 */
export async function topValues(field, params, hits, size = 8, signal = undefined) {
  if (serverFacets !== false) {
    try {
      const answer = await getJson('/api/facets', { ...params, field, size }, { signal });
      serverFacets = true;
      return { values: answer.values || [], other: answer.other || 0, approximate: answer.total_relation === 'gte' };
    } catch (error) {
      if (!(error instanceof ApiError) || (error.status !== 404 && error.status !== 405)) throw error;
      serverFacets = false;
    }
  }
  /** @type {Map<string, number>} */
  const counts = new Map();
  for (const hit of hits) {
    const value = field.split('.').reduce((object, key) => (object == null ? undefined : object[key]), hit);
    if (value === undefined || value === null || typeof value === 'object') continue;
    counts.set(String(value), (counts.get(String(value)) || 0) + 1);
  }
  const sorted = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const values = sorted.slice(0, size).map(([value, count]) => ({ value, count }));
  return { values, other: sorted.slice(size).reduce((sum, [, count]) => sum + count, 0), approximate: true };
}

export function facetsFromServer() { return serverFacets === true; }

export class FacetPanel {
  /** @param {(field: string, value: string, exclude: boolean) => void} onPick */
  constructor(onPick) {
    this.onPick = onPick;
    this.body = h('div', { class: 'facet-body' });
    this.element = h('aside', { class: 'facets', 'aria-label': 'Fields' }, h('h2', {}, 'Fields'), this.body);
    this.generation = 0;
  }

  /** Fields to break down: the fixed ones and the labels.* seen in the hits. @param {any[]} hits */
  static fields(hits) {
    const labels = new Set();
    for (const hit of hits.slice(0, 500)) {
      if (hit.labels && typeof hit.labels === 'object') Object.keys(hit.labels).forEach((k) => labels.add('labels.' + k));
    }
    return [...FACET_FIELDS, ...[...labels].sort().slice(0, 6)];
  }

  /**
   * A newer query aborts `signal`: its fields' requests are given up, not left to hold the
   * server's query threads.
   * @param {Record<string,string>} params @param {any[]} hits
   * @param {{sign: string, field: string, value: string}[]} filters
   * @param {AbortSignal} [signal]
   */
  async load(params, hits, filters, signal = undefined) {
    const generation = ++this.generation;
    const fields = FacetPanel.fields(hits);
    const results = await Promise.all(fields.map((field) =>
      topValues(field, params, hits, 8, signal).then((r) => ({ field, ...r }), (error) => ({ field, error }))));
    if (generation !== this.generation) return;
    const sections = [];
    for (const result of results) {
      if ('error' in result) {
        sections.push(h('section', { class: 'facet' }, h('h3', {}, result.field), h('p', { class: 'error-text' }, String(result.error.message))));
        continue;
      }
      if (!result.values.length) continue;
      const max = Math.max(...result.values.map((v) => v.count));
      sections.push(h('section', { class: 'facet', 'data-field': result.field },
        h('h3', {}, result.field, result.approximate && !facetsFromServer() ? h('small', { title: 'counted over the loaded hits' }, ' (loaded hits)') : null),
        h('ul', {}, result.values.map((v) => {
          const active = filters.find((f) => f.field === result.field && f.value === v.value);
          return h('li', { class: 'facet-value' + (active ? ' active-' + (active.sign === '-' ? 'ex' : 'in') : '') },
            h('button', {
              class: 'facet-include', type: 'button', title: 'Include (Alt-click or right-click to exclude)',
              onclick: (/** @type {MouseEvent} */ e) => this.onPick(result.field, v.value, e.altKey),
              oncontextmenu: (/** @type {MouseEvent} */ e) => { e.preventDefault(); this.onPick(result.field, v.value, true); },
            },
            h('span', { class: 'facet-bar', style: `width:${(100 * v.count / max).toFixed(1)}%` }),
            h('span', { class: 'facet-label' }, v.value === '' ? '(empty)' : v.value),
            h('span', { class: 'facet-count' }, formatCount(v.count))),
            h('button', { class: 'facet-exclude', type: 'button', 'aria-label': `Exclude ${result.field} ${v.value}`, title: 'Exclude',
              onclick: () => this.onPick(result.field, v.value, true) }, '−'));
        }))));
    }
    this.body.replaceChildren(...(sections.length ? sections : [h('p', { class: 'muted' }, 'No field values.')]));
  }
}
