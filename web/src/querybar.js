// @ts-check
/** The query input with completion of field names and of their top values. */
import { h } from './dom.js';
import { FACET_FIELDS } from './view.js';

const FIELD_NAMES = [...FACET_FIELDS, 'trace_id', 'request_id', 'message', 'labels.', 'payload.'];

export class QueryBar {
  /**
   * @param {{onRun: () => void, values: (field: string) => Promise<string[]>}} handlers
   */
  constructor(handlers) {
    this.handlers = handlers;
    this.input = /** @type {HTMLInputElement} */ (h('input', {
      id: 'query', type: 'search', class: 'query-input', autocomplete: 'off', spellcheck: 'false',
      placeholder: 'Search: words, "phrases", service:api level:ERROR, -host:x, payload.status>=500',
      'aria-label': 'Query', role: 'combobox', 'aria-autocomplete': 'list', 'aria-expanded': 'false',
      'aria-controls': 'query-suggestions',
    }));
    this.list = h('ul', { id: 'query-suggestions', class: 'suggestions', role: 'listbox', hidden: true, 'aria-label': 'Suggestions' });
    this.error = h('div', { class: 'query-error', role: 'alert', hidden: true });
    this.element = h('div', { class: 'query-wrap' }, this.input, this.list, this.error);
    /** @type {string[]} */
    this.items = [];
    this.active = -1;
    this.requested = 0;
    this.input.addEventListener('input', () => { this.clearError(); this.suggest(); });
    this.input.addEventListener('keydown', (e) => this.key(e));
    this.input.addEventListener('blur', () => setTimeout(() => this.close(), 150));
  }

  get value() { return this.input.value; }
  set value(text) { this.input.value = text; }

  /** The token under the caret: [start, end, text]. */
  token() {
    const caret = this.input.selectionStart ?? this.input.value.length;
    const text = this.input.value;
    let start = caret;
    while (start > 0 && !/[\s(]/.test(text[start - 1])) start--;
    return /** @type {[number, number, string]} */ ([start, caret, text.slice(start, caret)]);
  }

  async suggest() {
    const [, , word] = this.token();
    const request = ++this.requested;
    const bare = word.replace(/^-/, '');
    let items = [];
    const colon = bare.indexOf(':');
    if (colon > 0) {
      const field = bare.slice(0, colon);
      const typed = bare.slice(colon + 1).replace(/^"/, '').toLowerCase();
      const values = await this.handlers.values(field).catch(() => []);
      if (request !== this.requested) return;
      items = values.filter((v) => v.toLowerCase().startsWith(typed) && v !== typed)
        .map((v) => `${word.startsWith('-') ? '-' : ''}${field}:${/[\s"():]/.test(v) || v === '' ? JSON.stringify(v) : v}`);
    } else if (bare.length >= 1) {
      items = FIELD_NAMES.filter((f) => f.startsWith(bare.toLowerCase()) && f !== bare)
        .map((f) => (word.startsWith('-') ? '-' : '') + f + (f.endsWith('.') ? '' : ':'));
    }
    this.show(items.slice(0, 10));
  }

  /** @param {string[]} items */
  show(items) {
    this.items = items;
    this.active = -1;
    this.list.replaceChildren(...items.map((item, i) => h('li', {
      role: 'option', id: `suggestion-${i}`, 'aria-selected': 'false',
      onmousedown: (/** @type {Event} */ e) => { e.preventDefault(); this.accept(i); },
    }, item)));
    this.list.hidden = !items.length;
    this.input.setAttribute('aria-expanded', String(items.length > 0));
  }

  close() { this.show([]); }

  /** @param {number} index */
  accept(index) {
    const [start, end] = this.token();
    const item = this.items[index];
    const text = this.input.value;
    const suffix = item.endsWith(':') || item.endsWith('.') ? '' : ' ';
    this.input.value = text.slice(0, start) + item + suffix + text.slice(end);
    const caret = start + item.length + suffix.length;
    this.input.setSelectionRange(caret, caret);
    this.close();
    if (!suffix) this.suggest();
  }

  /** @param {KeyboardEvent} e */
  key(e) {
    const open = !this.list.hidden && this.items.length > 0;
    if (open && (e.key === 'ArrowDown' || e.key === 'ArrowUp')) {
      e.preventDefault();
      this.active = (this.active + (e.key === 'ArrowDown' ? 1 : -1) + this.items.length) % this.items.length;
      [...this.list.children].forEach((li, i) => li.setAttribute('aria-selected', String(i === this.active)));
      this.input.setAttribute('aria-activedescendant', `suggestion-${this.active}`);
    } else if (open && (e.key === 'Tab' || (e.key === 'Enter' && this.active >= 0))) {
      e.preventDefault();
      this.accept(this.active >= 0 ? this.active : 0);
    } else if (e.key === 'Escape' && open) {
      e.preventDefault();
      e.stopPropagation();
      this.close();
    } else if (e.key === 'Enter') {
      e.preventDefault();
      this.close();
      this.handlers.onRun();
    }
  }

  /**
   * Shows a syntax error under the query with a caret at its position.
   * @param {string} message @param {number|null} position in the input's text, if known
   */
  showError(message, position) {
    this.input.setAttribute('aria-invalid', 'true');
    const children = [h('strong', {}, 'Query error: '), message];
    if (position !== null && position >= 0 && position <= this.input.value.length) {
      children.push(h('pre', { class: 'error-caret' },
        this.input.value + '\n' + ' '.repeat(position) + '^ position ' + position));
      this.input.focus();
      this.input.setSelectionRange(position, Math.min(position + 1, this.input.value.length));
    }
    this.error.replaceChildren(...children);
    this.error.hidden = false;
  }

  clearError() {
    this.input.removeAttribute('aria-invalid');
    this.error.hidden = true;
  }
}
