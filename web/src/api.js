// @ts-check
/** Calls to logpipe's HTTP API with the token the user gave (DESIGN §3). */

const TOKEN_KEY = 'logpipe.token';

export class ApiError extends Error {
  /** @param {number} status @param {string} message @param {any} body */
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

export function token() { return sessionStorage.getItem(TOKEN_KEY) || ''; }
/** @param {string} value */
export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value); else sessionStorage.removeItem(TOKEN_KEY);
}

/** @type {Set<(error: ApiError) => void>} */
const unauthorizedListeners = new Set();
/** Called with each 401, so the page can ask for a token. @param {(error: ApiError) => void} listener */
export function onUnauthorized(listener) { unauthorizedListeners.add(listener); }

/** @param {Record<string, any>} params */
export function queryString(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.append(name, String(value));
  }
  const text = search.toString();
  return text ? '?' + text : '';
}

/** @returns {Record<string, string>} */
export function authHeaders() {
  const value = token();
  return value ? { Authorization: 'Bearer ' + value } : {};
}

/**
 * Fetches JSON. Non-2xx answers throw ApiError with the server's `error` message; an unreachable
 * server throws ApiError with status 0.
 * @param {string} path
 * @param {Record<string, any>} [params]
 * @param {{method?: string, signal?: AbortSignal}} [options]
 */
export async function getJson(path, params = {}, options = {}) {
  let response;
  try {
    response = await fetch(path + queryString(params), {
      method: options.method || 'GET',
      headers: { Accept: 'application/json', ...authHeaders() },
      signal: options.signal,
    });
  } catch (error) {
    if (/** @type {any} */ (error).name === 'AbortError') throw error;
    throw new ApiError(0, 'logpipe is unreachable: ' + /** @type {any} */ (error).message, null);
  }
  const text = await response.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch { body = null; }
  if (!response.ok) {
    const message = (body && body.error) || text.slice(0, 300) || response.statusText;
    const error = new ApiError(response.status, message, body);
    if (response.status === 401) unauthorizedListeners.forEach((listener) => listener(error));
    throw error;
  }
  return body;
}

/**
 * Reads a text/event-stream with fetch (so the token header goes along, which EventSource
 * cannot do) and calls onEvent with each `data:` payload. Resolves when the stream ends.
 * @param {string} path
 * @param {Record<string, any>} params
 * @param {(data: string, id: string) => void} onEvent
 * @param {AbortSignal} signal
 * @param {() => void} onOpen called once the server answered 200
 * @param {string} [lastEventId] the `id:` of the last event read, so a reconnection resumes there
 */
export async function readEventStream(path, params, onEvent, signal, onOpen, lastEventId = '') {
  const response = await fetch(path + queryString(params), {
    headers: { Accept: 'text/event-stream', ...authHeaders(), ...(lastEventId ? { 'Last-Event-ID': lastEventId } : {}) },
    signal,
  });
  if (!response.ok || !response.body) {
    const text = await response.text();
    let message = text;
    try { message = JSON.parse(text).error || text; } catch { /* not JSON */ }
    const error = new ApiError(response.status, message, null);
    if (response.status === 401) unauthorizedListeners.forEach((listener) => listener(error));
    throw error;
  }
  onOpen();
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
      let data = '';
      let id = '';
      for (const line of block.split(/\r?\n/)) {
        if (line.startsWith('data:')) data += (data ? '\n' : '') + line.slice(5).replace(/^ /, '');
        else if (line.startsWith('id:')) id = line.slice(3).trim();
      }
      if (data) onEvent(data, id);
    }
  }
}
