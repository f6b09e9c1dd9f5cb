// @ts-check
/** Tiny DOM helpers: the page has no framework, so these keep element building short. */

/**
 * Creates an element. Attributes starting with "on" become listeners; `class` sets className;
 * children may be strings, nodes, or arrays of them (null/false are skipped).
 * @param {string} tag
 * @param {Record<string, any>} [attributes]
 * @param {...any} children
 * @returns {HTMLElement}
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name === 'class') {
      element.className = value;
    } else if (name in element && typeof value !== 'string') {
      /** @type {any} */ (element)[name] = value;
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(element, children);
  return element;
}

/** @param {Node} parent @param {any[]} children */
function append(parent, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.appendChild(typeof child === 'string' || typeof child === 'number'
      ? document.createTextNode(String(child)) : child);
  }
}

/** Formats an RFC 3339 time as local "YYYY-MM-DD HH:MM:SS.mmm". @param {string} iso */
export function formatTime(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso || '';
  const pad = (/** @type {number} */ n, w = 2) => String(n).padStart(w, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.` +
    pad(date.getMilliseconds(), 3);
}

/** 1234567 -> "1.2M". @param {number} value */
export function formatCount(value) {
  if (!Number.isFinite(value)) return '–';
  const abs = Math.abs(value);
  if (abs >= 1e9) return (value / 1e9).toFixed(1) + 'G';
  if (abs >= 1e6) return (value / 1e6).toFixed(1) + 'M';
  if (abs >= 1e4) return (value / 1e3).toFixed(1) + 'k';
  if (abs >= 100 || Number.isInteger(value)) return String(Math.round(value));
  return value.toFixed(abs >= 10 ? 1 : 2);
}

/** @param {number} bytes */
export function formatBytes(bytes) {
  if (!Number.isFinite(bytes)) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let unit = 0;
  while (bytes >= 1024 && unit < units.length - 1) { bytes /= 1024; unit++; }
  return `${unit ? bytes.toFixed(1) : bytes} ${units[unit]}`;
}

/** Copies text, falling back to a hidden textarea where the clipboard API is refused. @param {string} text */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const area = h('textarea', { 'aria-hidden': 'true', style: 'position:fixed;left:-9999px' });
    /** @type {HTMLTextAreaElement} */ (area).value = text;
    document.body.appendChild(area);
    /** @type {HTMLTextAreaElement} */ (area).select();
    document.execCommand('copy');
    area.remove();
  }
}

/**
 * Renders a JSON value as nodes with token classes for highlighting.
 * @param {any} value
 * @param {string} [indent]
 * @returns {Node[]}
 */
export function jsonNodes(value, indent = '') {
  const inner = indent + '  ';
  if (value === null) return [h('span', { class: 'j-null' }, 'null')];
  if (Array.isArray(value)) {
    if (!value.length) return ['[]'];
    const out = ['[\n'];
    value.forEach((item, i) => {
      out.push(inner, ...jsonNodes(item, inner), i < value.length - 1 ? ',\n' : '\n');
    });
    out.push(indent + ']');
    return /** @type {Node[]} */ (out);
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value);
    if (!entries.length) return ['{}'];
    const out = ['{\n'];
    entries.forEach(([key, item], i) => {
      out.push(inner, h('span', { class: 'j-key' }, JSON.stringify(key)), ': ',
        ...jsonNodes(item, inner), i < entries.length - 1 ? ',\n' : '\n');
    });
    out.push(indent + '}');
    return /** @type {Node[]} */ (out);
  }
  const kind = typeof value === 'string' ? 'j-str' : typeof value === 'number' ? 'j-num' : 'j-bool';
  return [h('span', { class: kind }, JSON.stringify(value))];
}

/**
 * Splits text into nodes with every occurrence of the words marked (case-insensitive).
 * @param {string} text
 * @param {RegExp|null} pattern
 */
export function highlighted(text, pattern) {
  if (!pattern || !text) return [text || ''];
  const out = [];
  let last = 0;
  pattern.lastIndex = 0;
  for (let match; (match = pattern.exec(text));) {
    if (!match[0]) { pattern.lastIndex++; continue; }
    if (match.index > last) out.push(text.slice(last, match.index));
    out.push(h('mark', {}, match[0]));
    last = match.index + match[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}
