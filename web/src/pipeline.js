// @ts-check
/** The pipeline page: rates, latency, lag, DLQ, archive, store and retention from /api/pipeline, and replay. */
import { ApiError, getJson } from './api.js';
import { h, formatBytes, formatCount } from './dom.js';

const POLL_MS = 3000;
const HISTORY = 40;

/**
 * @typedef {{name: string, labels: Record<string,string>, value: number|null}} Sample
 * @typedef {{time_ms: number, store_bytes: number|null, settings: any, metrics: Sample[]}} Status
 * @typedef {{partition: number, offset: number, timestamp_ms: number, error: string, stage: string,
 *   source_topic: string, source_partition: string, source_offset: string, value: string, value_cut: boolean}} DeadLetter
 * @typedef {{topic: string, pending: number, records: DeadLetter[]}} DeadLetters
 */

const DEAD_LETTERS_SHOWN = 20;

/** Sum of a metric's samples, optionally only those whose labels match. @param {Status} status @param {string} name */
function sum(status, name, match = (/** @type {Record<string,string>} */ _labels) => true) {
  return status.metrics.filter((m) => m.name === name && match(m.labels)).reduce((total, m) => total + (m.value ?? 0), 0);
}

/** Points as an SVG sparkline. @param {number[]} values */
function sparkline(values) {
  const width = 160;
  const height = 32;
  const max = Math.max(1e-9, ...values);
  const step = values.length > 1 ? width / (values.length - 1) : width;
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(height - 2 - (v / max) * (height - 4)).toFixed(1)}`).join(' ');
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('class', 'spark');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('preserveAspectRatio', 'none');
  const line = document.createElementNS('http://www.w3.org/2000/svg', 'polyline');
  line.setAttribute('points', points);
  svg.appendChild(line);
  return svg;
}

export class PipelinePage {
  constructor() {
    /** @type {Status[]} */
    this.history = [];
    /** @type {Record<string, number[]>} */
    this.series = {};
    this.cards = h('div', { class: 'cards' });
    this.lag = h('div', { class: 'lag' });
    this.settings = h('div', { class: 'settings' });
    this.status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' }, 'Loading…');
    this.replayStatus = h('div', { class: 'replay-status', role: 'status', 'aria-live': 'polite' });
    this.deadLetters = h('div', { class: 'dead-letters' });
    this.redriveStatus = h('p', { class: 'redrive-status', role: 'status', 'aria-live': 'polite' });
    this.redriveButton = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', class: 'primary', disabled: true, onclick: () => this.redrive() }, 'Re-drive into the queue'));
    const today = new Date().toISOString().slice(0, 10);
    this.replayForm = /** @type {HTMLFormElement} */ (h('form', { class: 'replay', onsubmit: (/** @type {Event} */ e) => { e.preventDefault(); this.replay(); } },
      h('label', {}, 'From ', h('input', { type: 'date', name: 'from', required: true, value: today })),
      h('label', {}, 'To ', h('input', { type: 'date', name: 'to', required: true, value: today })),
      h('label', {}, 'Service ', h('input', { type: 'text', name: 'service', placeholder: 'any' })),
      h('button', { type: 'submit', class: 'primary' }, 'Replay from the archive')));
    this.element = h('main', { class: 'pipeline' },
      h('h1', {}, 'Pipeline'), this.status, this.cards,
      h('section', { 'aria-label': 'Queue lag' }, h('h2', {}, 'Queue lag by consumer group and partition'), this.lag),
      h('section', { 'aria-label': 'Dead letters' }, h('h2', {}, 'Dead letters'),
        h('p', { class: 'muted' }, 'Events the processor could not index, newest first. Once their cause is fixed, re-drive them: each goes through the queue again under its original id (admin).'),
        this.deadLetters, h('p', {}, this.redriveButton), this.redriveStatus),
      h('section', { 'aria-label': 'Settings' }, h('h2', {}, 'Store and retention'), this.settings),
      h('section', { 'aria-label': 'Replay' }, h('h2', {}, 'Replay'),
        h('p', { class: 'muted' }, 'Reads archived objects of these days and sends their events through the queue again, under their original ids: replaying twice changes nothing.'),
        this.replayForm, this.replayStatus));
    this.timer = 0;
  }

  start() {
    this.poll();
    this.timer = setInterval(() => this.poll(), POLL_MS);
  }

  stop() { clearInterval(this.timer); }

  async poll() {
    let status;
    try {
      status = /** @type {Status} */ (await getJson('/api/pipeline'));
    } catch (error) {
      const e = /** @type {ApiError} */ (error);
      this.status.textContent = e.status === 401 ? 'A token is needed to read the pipeline status.'
        : e.status === 403 ? 'This token may not read the pipeline status (admin scope needed).'
        : `Pipeline status unavailable: ${e.message}`;
      this.status.classList.add('error-text');
      return;
    }
    this.status.classList.remove('error-text');
    this.status.textContent = `Updated ${new Date(status.time_ms).toLocaleTimeString()} · every ${POLL_MS / 1000} s`;
    const previous = this.history[this.history.length - 1];
    this.history.push(status);
    if (this.history.length > HISTORY) this.history.shift();
    this.render(status, previous);
    await this.pollDeadLetters();
  }

  async pollDeadLetters() {
    try {
      this.renderDeadLetters(/** @type {DeadLetters} */ (await getJson('/api/dlq', { limit: DEAD_LETTERS_SHOWN })));
    } catch (error) {
      this.redriveButton.disabled = true;
      this.deadLetters.replaceChildren(h('p', { class: 'error-text' }, 'Dead letters unavailable: ' + /** @type {Error} */ (error).message));
    }
  }

  /** @param {DeadLetters} letters */
  renderDeadLetters(letters) {
    this.redriveButton.disabled = letters.pending === 0;
    this.redriveButton.textContent = letters.pending ? `Re-drive ${formatCount(letters.pending)} into the queue` : 'Re-drive into the queue';
    if (!letters.records.length) {
      this.deadLetters.replaceChildren(h('p', { class: 'muted' }, `None waiting in ${letters.topic}.`));
      return;
    }
    const col = (/** @type {string} */ label) => h('th', { scope: 'col' }, label);
    this.deadLetters.replaceChildren(
      h('p', {}, `${formatCount(letters.pending)} waiting in ${letters.topic}` + (letters.pending > letters.records.length ? `; the newest ${letters.records.length}:` : ':')),
      h('table', {},
        h('thead', {}, h('tr', {}, col('Time'), col('Stage'), col('Error'), col('Source'), col('Event'))),
        h('tbody', {}, letters.records.map((r) => h('tr', { 'data-offset': String(r.offset) },
          h('td', { class: 'num' }, new Date(r.timestamp_ms).toISOString().replace('T', ' ').slice(0, 19)),
          h('td', {}, r.stage),
          h('td', { class: 'dlq-error' }, r.error),
          h('td', { class: 'num' }, `${r.source_topic}/${r.source_partition} @ ${r.source_offset}`),
          h('td', {}, h('code', { class: 'dlq-value' }, r.value.slice(0, 200) + (r.value_cut || r.value.length > 200 ? '…' : ''))))))));
  }

  async redrive() {
    this.redriveButton.disabled = true;
    this.redriveStatus.classList.remove('error-text');
    this.redriveStatus.textContent = 'Re-driving…';
    try {
      const outcome = await getJson('/api/dlq/redrive', {}, { method: 'POST' });
      this.redriveStatus.textContent = `Re-drove ${formatCount(outcome.redriven)} into the queue; ${formatCount(outcome.pending)} still waiting.`;
    } catch (error) {
      const e = /** @type {ApiError} */ (error);
      this.redriveStatus.classList.add('error-text');
      this.redriveStatus.textContent = e.status === 403 ? 'Re-driving needs an admin token.' : `Re-drive failed: ${e.message}`;
    }
    await this.pollDeadLetters();
  }

  /** @param {string} key @param {number} value */
  track(key, value) {
    const values = (this.series[key] ||= []);
    values.push(value);
    if (values.length > HISTORY) values.shift();
    return values;
  }

  /** @param {Status} now @param {Status|undefined} before */
  render(now, before) {
    const seconds = before ? Math.max(1e-3, (now.time_ms - before.time_ms) / 1000) : 0;
    const rate = (/** @type {string} */ name, match) => (before ? Math.max(0, sum(now, name, match) - sum(before, name, match)) / seconds : NaN);
    const meanDelta = (/** @type {string} */ name) => {
      if (!before) return NaN;
      const count = sum(now, name + '_count') - sum(before, name + '_count');
      return count > 0 ? (sum(now, name + '_sum') - sum(before, name + '_sum')) / count : NaN;
    };
    const processed = now.metrics.some((m) => m.name === 'ingested_events_total');
    const cards = [
      ['ingest', 'Ingest rate', rate(processed ? 'ingested_events_total' : 'logs_produced_total'), (v) => `${formatCount(v)}/s`],
      ['rejected', 'Rejected rate', rate('logs_rejected_total'), (v) => `${formatCount(v)}/s`],
      ['latency', 'End-to-end latency (mean)', meanDelta('processing_latency_seconds') * 1000, (v) => `${formatCount(v)} ms`],
      ['age', 'Newest record age', Math.max(0, ...now.metrics.filter((m) => m.name === 'consumer_record_age_seconds').map((m) => m.value ?? 0)), (v) => `${formatCount(v)} s`],
      ['dlq', 'Dead-lettered', sum(now, 'dlq_events_total'), (v) => formatCount(v)],
      ['objects', 'Archive objects', sum(now, 'archiver_batches_uploaded_total'), (v) => formatCount(v)],
      ['archived', 'Archived bytes', sum(now, 'archiver_batch_size_bytes_sum'), (v) => formatBytes(v)],
      ['store', 'Search store size', now.store_bytes ?? NaN, (v) => formatBytes(v)],
      // The embedded log store's immutable parts (merged in the background); none elsewhere.
      ['parts', 'Search store parts', now.metrics.some((m) => m.name === 'logstore_parts') ? sum(now, 'logstore_parts') : NaN, (v) => formatCount(v)],
      ['indexed', 'Indexed (total)', sum(now, 'ingested_events_total'), (v) => formatCount(v)],
      ['spool', 'Spool on disk', sum(now, 'spool_bytes'), (v) => formatBytes(v)],
    ];
    this.cards.replaceChildren(...cards.map(([key, label, value, format]) => {
      const values = this.track(/** @type {string} */ (key), Number.isFinite(value) ? /** @type {number} */ (value) : 0);
      return h('section', { class: 'card', 'data-metric': key },
        h('h3', {}, label),
        h('p', { class: 'card-value' }, Number.isFinite(value) ? /** @type {Function} */ (format)(value) : '–'),
        sparkline(values));
    }));
    const lag = now.metrics.filter((m) => m.name === 'consumer_lag_messages');
    this.lag.replaceChildren(lag.length
      ? h('table', {}, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Group'), h('th', { scope: 'col' }, 'Partition'), h('th', { scope: 'col' }, 'Lag (records)'))),
        h('tbody', {}, lag.map((m) => h('tr', {}, h('td', {}, m.labels.group ?? ''), h('td', {}, m.labels.partition ?? ''), h('td', { class: 'num' }, formatCount(m.value ?? 0))))))
      : h('p', { class: 'muted' }, 'No consumer has reported lag yet.'));
    const s = now.settings || {};
    const dlqTotal = sum(now, 'dlq_events_total');
    this.settings.replaceChildren(h('dl', {},
      h('dt', {}, 'Search store'), h('dd', {}, s.store === 'embedded' ? 'embedded log store' : 'Elasticsearch / OpenSearch'),
      h('dt', {}, 'Search retention'), h('dd', {}, `${s.search_retention_days} days`),
      h('dt', {}, 'Spool retention'), h('dd', {}, `${formatCount((s.spool_retention_ms || 0) / 3600e3)} hours`),
      h('dt', {}, 'Topics'), h('dd', {}, `${s.input_topic} · dead letters in ${s.dlq_topic}`),
      h('dt', {}, 'Dead letters'), h('dd', {}, dlqTotal ? `${formatCount(dlqTotal)} since start` : 'none since start')));
  }

  async replay() {
    const data = new FormData(this.replayForm);
    const params = { from: data.get('from'), to: data.get('to'), service: data.get('service') };
    this.replayStatus.textContent = 'Starting…';
    try {
      let status = await getJson('/api/replay', params, { method: 'POST' });
      while (status.state === 'running' || status.state === 'queued' || status.state === 'pending') {
        this.showReplay(status);
        await new Promise((resolve) => setTimeout(resolve, 1000));
        status = await getJson('/api/replay', { id: status.id });
      }
      this.showReplay(status);
    } catch (error) {
      this.replayStatus.replaceChildren(h('span', { class: 'error-text' }, 'Replay failed: ' + /** @type {Error} */ (error).message));
    }
  }

  /** @param {any} status */
  showReplay(status) {
    const fraction = status.objects_total ? status.objects_done / status.objects_total : status.state === 'done' ? 1 : 0;
    this.replayStatus.replaceChildren(h('span', {},
      h('progress', { max: 1, value: fraction, 'aria-label': 'Replay progress' }),
      ` ${status.state}: ${status.objects_done}/${status.objects_total} objects, ${status.events_queued} events queued, ${status.events_skipped} skipped`,
      status.error ? h('span', { class: 'error-text' }, ' — ' + status.error) : null));
  }
}
