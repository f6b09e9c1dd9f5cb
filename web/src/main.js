// @ts-check
/** logpipe's web UI: the shell (navigation, theme, token prompt, keyboard) around the two pages. */
import './style.css';
import { onUnauthorized, setToken, token } from './api.js';
import { h } from './dom.js';
import { Explorer } from './explorer.js';
import { PipelinePage } from './pipeline.js';
import { readView, viewUrl } from './view.js';

const THEME_KEY = 'logpipe.theme';

class App {
  constructor() {
    this.view = readView();
    this.explorer = /** @type {Explorer|null} */ (null);
    this.pipeline = /** @type {PipelinePage|null} */ (null);
    this.themeButton = h('button', { type: 'button', class: 'theme-toggle', onclick: () => this.cycleTheme() });
    this.tokenButton = h('button', { type: 'button', class: 'token-button', onclick: () => this.askToken('') });
    this.nav = h('nav', { 'aria-label': 'Pages' },
      h('a', { href: '?', 'data-page': 'explorer', onclick: (/** @type {MouseEvent} */ e) => this.go(e, 'explorer') }, 'Explorer'),
      h('a', { href: '?page=pipeline', 'data-page': 'pipeline', onclick: (/** @type {MouseEvent} */ e) => this.go(e, 'pipeline') }, 'Pipeline'));
    this.header = h('header', { class: 'top' }, h('span', { class: 'brand' }, 'logpipe'), this.nav,
      h('span', { class: 'spacer' }), this.tokenButton, this.themeButton);
    this.tokenMessage = h('p', { id: 'token-message' });
    this.tokenInput = /** @type {HTMLInputElement} */ (h('input', { type: 'password', id: 'token-input', autocomplete: 'off', 'aria-describedby': 'token-message' }));
    this.dialog = /** @type {HTMLDialogElement} */ (h('dialog', { class: 'token-dialog', 'aria-labelledby': 'token-title' },
      h('form', { method: 'dialog', onsubmit: (/** @type {Event} */ e) => { e.preventDefault(); this.saveToken(); } },
        h('h2', { id: 'token-title' }, 'Token'), this.tokenMessage,
        h('label', { for: 'token-input' }, 'API token'), this.tokenInput,
        h('p', { class: 'muted' }, 'Kept in this tab’s session storage only; sent as Authorization: Bearer.'),
        h('div', { class: 'dialog-buttons' },
          h('button', { type: 'button', onclick: () => { setToken(''); this.dialog.close(); this.renderToken(); this.reload(); } }, 'Forget token'),
          h('button', { type: 'button', onclick: () => this.dialog.close() }, 'Cancel'),
          h('button', { type: 'submit', class: 'primary' }, 'Use token')))));
    this.root = h('div', { class: 'page' });
    const app = /** @type {HTMLElement} */ (document.getElementById('app'));
    app.replaceChildren(this.header, this.root, this.dialog);
    onUnauthorized(() => {
      if (!this.dialog.open) {
        this.askToken(token() ? 'The token was rejected (401): enter a valid one.' : 'This logpipe requires a token (401): enter it to continue.');
      }
    });
    window.addEventListener('popstate', () => { this.view = readView(); this.render(); });
    document.addEventListener('keydown', (e) => this.key(e));
    matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => this.applyTheme());
    this.applyTheme();
    this.renderToken();
    this.render();
  }

  /** @param {MouseEvent} e @param {'explorer'|'pipeline'} page */
  go(e, page) {
    if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    this.navigate(page === 'pipeline' ? { ...this.view, page } : readView(new URLSearchParams(this.explorerSearch || '')), true);
  }

  /**
   * Changes the view: pushes a history entry (push) or replaces it (selection moves), and
   * renders unless only the selected event changed.
   * @param {import('./view.js').View} view @param {boolean} push
   */
  navigate(view, push) {
    const onlySelection = JSON.stringify({ ...view, sel: '' }) === JSON.stringify({ ...this.view, sel: '' });
    this.view = view;
    const url = viewUrl(view);
    if (push) history.pushState(null, '', url); else history.replaceState(null, '', url);
    if (!onlySelection) this.render();
  }

  render() {
    const page = this.view.page;
    for (const link of this.nav.querySelectorAll('a')) {
      if (link.dataset.page === page) link.setAttribute('aria-current', 'page'); else link.removeAttribute('aria-current');
    }
    if (page === 'pipeline') {
      this.explorer?.stop();
      this.explorer = null;
      if (!this.pipeline) {
        this.pipeline = new PipelinePage();
        this.root.replaceChildren(this.pipeline.element);
        this.pipeline.start();
      }
      document.title = 'Pipeline · logpipe';
      return;
    }
    this.pipeline?.stop();
    this.pipeline = null;
    if (!this.explorer) {
      this.explorer = new Explorer(this);
      this.root.replaceChildren(this.explorer.element);
    }
    this.explorerSearch = location.search;
    document.title = (this.view.q ? this.view.q + ' · ' : '') + 'logpipe';
    this.explorer.show();
  }

  reload() {
    if (this.explorer) this.explorer.show();
    if (this.pipeline) this.pipeline.poll();
  }

  /** @param {string} message */
  askToken(message) {
    this.tokenMessage.textContent = message || 'Enter the token this logpipe was configured with.';
    this.tokenMessage.className = message ? 'error-text' : '';
    this.tokenInput.value = token();
    if (!this.dialog.open) this.dialog.showModal();
    this.tokenInput.focus();
  }

  saveToken() {
    setToken(this.tokenInput.value.trim());
    this.dialog.close();
    this.renderToken();
    this.reload();
  }

  renderToken() {
    this.tokenButton.textContent = token() ? '🔑 Token set' : '🔑 Token';
    this.tokenButton.setAttribute('aria-label', token() ? 'Change the API token' : 'Enter an API token');
  }

  applyTheme() {
    const choice = localStorage.getItem(THEME_KEY) || 'auto';
    const dark = choice === 'dark' || (choice === 'auto' && matchMedia('(prefers-color-scheme: dark)').matches);
    document.documentElement.dataset.theme = dark ? 'dark' : 'light';
    this.themeButton.textContent = { auto: '◐ Auto', light: '☀ Light', dark: '☾ Dark' }[choice] || '◐ Auto';
    this.themeButton.setAttribute('aria-label', `Theme: ${choice} (switch)`);
    this.explorer?.rerenderHistogram();
  }

  cycleTheme() {
    const order = ['auto', 'light', 'dark'];
    const next = order[(order.indexOf(localStorage.getItem(THEME_KEY) || 'auto') + 1) % order.length];
    localStorage.setItem(THEME_KEY, next);
    this.applyTheme();
  }

  /** / focuses the query, Esc closes panels, j/k move through hits. @param {KeyboardEvent} e */
  key(e) {
    const target = /** @type {HTMLElement} */ (e.target);
    const typing = target.matches('input, textarea, select, [contenteditable]');
    const explorer = this.explorer;
    if (e.key === 'Escape') {
      if (this.dialog.open) return;
      if (typing) target.blur();
      explorer?.query.close();
      explorer?.toggleFields(false);
      explorer?.closeDetail();
      return;
    }
    if (typing || e.ctrlKey || e.metaKey || e.altKey || !explorer) return;
    if (e.key === '/') {
      e.preventDefault();
      explorer.query.input.focus();
      explorer.query.input.select();
    } else if (e.key === 'j' || e.key === 'k') {
      e.preventDefault();
      explorer.move(e.key === 'j' ? 1 : -1);
    }
  }
}

new App();
