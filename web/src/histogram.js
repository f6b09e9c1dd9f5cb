// @ts-check
/** Hits over time, stacked by level, with drag-to-zoom (uPlot). */
import uPlot from 'uplot';
import { h, formatCount } from './dom.js';

/** Levels bottom to top of the stack, with their CSS color variables. */
const LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];

/** A theme color (canvas cannot read CSS variables itself). @param {string} name */
function cssColor(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

/** @param {string} level */
function levelColor(level) { return cssColor(`--level-${level.toLowerCase()}`); }

export class Histogram {
  /** @param {(fromMs: number, toMs: number) => void} onZoom */
  constructor(onZoom) {
    this.onZoom = onZoom;
    this.plotBox = h('div', { class: 'hist-plot', role: 'img', 'aria-label': 'Hits over time by level' });
    this.legend = h('div', { class: 'hist-legend' });
    this.note = h('div', { class: 'hist-note' });
    this.element = h('section', { class: 'histogram', 'aria-label': 'Histogram' }, this.plotBox, this.legend, this.note);
    /** @type {uPlot|null} */
    this.plot = null;
    new ResizeObserver(() => this.resize()).observe(this.plotBox);
  }

  resize() {
    if (this.plot) this.plot.setSize({ width: this.plotBox.clientWidth, height: 120 });
  }

  /** @param {string} text */
  setNote(text) { this.note.textContent = text; }

  /**
   * @param {{interval_ms: number, buckets: {start: string, level?: string, value?: string, count: number}[]}} data
   * @param {[number, number]|null} span the time range shown, or null to fit the buckets
   */
  render(data, span) {
    const interval = data.interval_ms;
    /** @type {Map<number, Record<string, number>>} */
    const byStart = new Map();
    const seen = new Set();
    for (const bucket of data.buckets) {
      const start = Date.parse(bucket.start);
      const level = (bucket.level || bucket.value || 'INFO').toUpperCase();
      seen.add(level);
      const counts = byStart.get(start) || {};
      counts[level] = (counts[level] || 0) + bucket.count;
      byStart.set(start, counts);
    }
    const levels = [...LEVELS.filter((l) => seen.has(l)), ...[...seen].filter((l) => !LEVELS.includes(l)).sort()];
    const starts = [...byStart.keys()].sort((a, b) => a - b);
    const xs = starts.map((s) => s / 1000);
    // Cumulative sums, drawn top of the stack first so each lower level paints over the rest.
    const cumulative = [];
    let running = starts.map(() => 0);
    for (const level of levels) {
      running = running.map((sum, i) => sum + (byStart.get(starts[i])[level] || 0));
      cumulative.push(running);
    }
    const totals = Object.fromEntries(levels.map((l) => [l, starts.reduce((sum, s) => sum + (byStart.get(s)[l] || 0), 0)]));
    this.legend.replaceChildren(...levels.map((l) =>
      h('span', { class: 'legend-item' }, h('i', { style: `background:${levelColor(l)}` }), `${l} ${formatCount(totals[l])}`)));
    const order = levels.map((_, i) => i).reverse();
    const bars = uPlot.paths.bars ? uPlot.paths.bars({ size: [0.9, 64], align: 1 }) : undefined;
    const xRange = span ? [span[0] / 1000, span[1] / 1000]
      : xs.length ? [xs[0], xs[xs.length - 1] + interval / 1000] : null;
    /** @type {uPlot.AlignedData} */
    const aligned = [xs, ...order.map((i) => cumulative[i])];
    const options = {
      width: this.plotBox.clientWidth || 600,
      height: 120,
      legend: { show: false },
      cursor: { drag: { x: true, y: false, setScale: false }, points: { show: false } },
      select: { show: true, left: 0, top: 0, width: 0, height: 0 },
      scales: { x: { time: true, ...(xRange ? { range: () => /** @type {[number, number]} */ (xRange) } : {}) },
        y: { range: (/** @type {any} */ _u, /** @type {number} */ _min, /** @type {number} */ max) => [0, Math.max(1, max)] } },
      axes: [
        { stroke: cssColor('--muted'), grid: { show: false }, ticks: { stroke: cssColor('--border') } },
        { stroke: cssColor('--muted'), size: 44, grid: { stroke: 'rgba(128,128,128,0.15)' }, ticks: { show: false },
          values: (/** @type {any} */ _u, /** @type {number[]} */ ticks) => ticks.map(formatCount) },
      ],
      series: [{}, ...order.map((i) => ({
        label: levels[i], fill: levelColor(levels[i]), stroke: levelColor(levels[i]), width: 0, paths: bars, points: { show: false },
      }))],
      hooks: {
        setSelect: [(/** @type {uPlot} */ u) => {
          if (u.select.width < 3) return;
          const from = u.posToVal(u.select.left, 'x') * 1000;
          const to = u.posToVal(u.select.left + u.select.width, 'x') * 1000;
          u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          this.onZoom(Math.round(from), Math.round(to));
        }],
      },
    };
    if (this.plot) this.plot.destroy();
    // Some stacks have no buckets at all; uPlot still needs one x value per series.
    this.plot = new uPlot(/** @type {any} */ (options), xs.length ? aligned : [[], ...order.map(() => [])], this.plotBox);
  }
}
