// @ts-check
/** Live tail: new matching events as they become searchable, with pause, a cap and a rate. */
import { ApiError, getJson, readEventStream } from './api.js';

export class LiveTail {
  /**
   * @param {{onEvents: (events: any[]) => void, onStatus: (text: string, error?: boolean) => void}} handlers
   */
  constructor(handlers) {
    this.handlers = handlers;
    /** @type {AbortController|null} */
    this.controller = null;
    /** Arrival times (ms) of the last 10 s, for the rate. @type {number[]} */
    this.arrivals = [];
    /** The stream's last `id:`, sent back as Last-Event-ID when it reconnects. */
    this.lastId = '';
  }

  /** Events per second over the last 10 s. */
  rate(now = Date.now()) {
    while (this.arrivals.length && this.arrivals[0] < now - 10e3) this.arrivals.shift();
    return this.arrivals.length / 10;
  }

  /** @param {any[]} events */
  deliver(events) {
    const now = Date.now();
    for (let i = 0; i < events.length; i++) this.arrivals.push(now);
    if (events.length) this.handlers.onEvents(events);
  }

  /**
   * @param {Record<string,string>} params the view's filters without the time range
   * @param {boolean} [resume] a reconnection: continue after the last event read
   */
  start(params, resume = false) {
    this.stop();
    if (!resume) this.lastId = '';
    const controller = new AbortController();
    this.controller = controller;
    this.handlers.onStatus('connecting…');
    readEventStream('/api/tail', params, (data, id) => {
      if (id) this.lastId = id;
      try { this.deliver([JSON.parse(data)]); } catch { /* a malformed line is skipped */ }
    }, controller.signal, () => this.handlers.onStatus('streaming'), this.lastId).then(() => {
      if (controller.signal.aborted) return;
      this.handlers.onStatus('the stream ended; reconnecting…', true);
      setTimeout(() => this.controller === controller && this.start(params, true), 2000);
    }, (error) => {
      if (controller.signal.aborted) return;
      if (error instanceof ApiError && (error.status === 404 || error.status === 405)) {
        // This server has no /api/tail yet: poll the search for ids not seen before.
        this.poll(params, controller);
      } else if (!(error instanceof ApiError)) {
        // The connection broke mid-stream: resume after the last event read.
        this.handlers.onStatus(`${error.message}; reconnecting…`, true);
        setTimeout(() => this.controller === controller && this.start(params, true), 2000);
      } else {
        this.handlers.onStatus(error.message, true);
      }
    });
  }

  /** @param {Record<string,string>} params @param {AbortController} controller */
  async poll(params, controller) {
    /** @type {Set<string>|null} */
    let seen = null;
    while (!controller.signal.aborted) {
      try {
        const page = await getJson('/api/search', { ...params, limit: 500 }, { signal: controller.signal });
        const fresh = [];
        const ids = new Set();
        for (const hit of page.hits) {
          ids.add(hit._id);
          if (seen && !seen.has(hit._id)) fresh.push(hit);
        }
        seen = seen ? new Set([...seen, ...ids]) : ids;
        if (seen.size > 20000) seen = ids;
        this.deliver(fresh);
        this.handlers.onStatus('polling (the server has no /api/tail)');
      } catch (error) {
        if (controller.signal.aborted) return;
        this.handlers.onStatus(/** @type {Error} */ (error).message, true);
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }

  stop() {
    if (this.controller) this.controller.abort();
    this.controller = null;
    this.arrivals = [];
  }
}
