// @ts-check
// The panel of one agent: facts, its screen (secrets hidden unless asked), its transitions, and the detection
// trace in words. It follows the agent: a new version refreshes what it shows.
import { ApiError, capabilities, getJson } from './api.js';
import { byId, h, setText } from './dom.js';
import { clock, duration, stateLabel } from './format.js';
import { renderTrace } from './explain.js';

/** @typedef {import('./types.js').Agent} Agent */
/** @typedef {import('./types.js').Transition} Transition */

const SCREEN_LINES = 200;
const REFRESH_MIN_MS = 1000;

export class Detail {
  /** @type {Agent | null} */
  agent = null;
  /** Version whose screen, history and trace are on show. */
  shownVersion = 0;
  lastLoad = 0;
  /** @type {ReturnType<typeof setTimeout> | null} */
  pending = null;
  /** Whether this server can redact screens (null: not asked yet). @type {boolean | null} */
  canRedact = null;

  constructor() {
    this.panel = byId('detail', HTMLElement);
    this.title = byId('detail-title', HTMLElement);
    this.facts = byId('detail-facts', HTMLElement);
    this.screen = byId('screen', HTMLElement);
    this.screenNote = byId('screen-note', HTMLElement);
    this.redact = byId('redact', HTMLInputElement);
    this.history = byId('history', HTMLElement);
    this.explain = byId('explain', HTMLElement);
    this.redact.addEventListener('change', () => void this.loadScreen());
  }

  get isOpen() {
    return !this.panel.hidden;
  }

  /** @param {Agent} agent */
  open(agent) {
    const other = this.agent?.id !== agent.id;
    this.agent = agent;
    this.panel.hidden = false;
    document.body.classList.add('with-detail');
    if (other) {
      this.redact.checked = true;
      this.shownVersion = 0;
      for (const el of [this.screen, this.history, this.explain]) el.replaceChildren();
    }
    this.showFacts();
    this.refreshSoon();
  }

  close() {
    this.agent = null;
    this.panel.hidden = true;
    document.body.classList.remove('with-detail');
    if (this.pending) clearTimeout(this.pending);
    this.pending = null;
  }

  /** The agent changed (or went): follow it. @param {Agent | undefined} agent */
  update(agent) {
    if (!this.agent) return;
    if (!agent) {
      this.title.textContent = `${this.agent.target} — gone`;
      return;
    }
    this.agent = agent;
    this.showFacts();
    if (agent.version !== this.shownVersion) this.refreshSoon();
  }

  /** The clock moved: time in state. */
  tick() {
    if (this.agent) this.showFacts();
  }

  showFacts() {
    const a = /** @type {Agent} */ (this.agent);
    setText(this.title, `${a.target}  ${a.windowName} · ${a.kind}`);
    const rows = [
      ['state', `${stateLabel(a.state)}${a.stale ? ' (stale)' : ''} for ${duration(Date.now() - Date.parse(a.stateSince))}`],
      ['rule', `${a.detail.rule} (confidence ${a.detail.confidence}${sourceOf(a)})`],
      ['evidence', a.detail.evidence || '—'],
      ...(a.detail.resetsAt ? [['resets', clock(a.detail.resetsAt)]] : []),
      ['command', `${a.command} (pid ${a.pid})`],
      ['window', `${a.windowIndex} ${a.windowName}`],
      ['monitor', a.monitor],
      ['id', a.id],
    ];
    const nodes = rows.flatMap(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]);
    this.facts.dataset.state = a.state;
    if (this.facts.textContent !== nodes.map((n) => n.textContent).join('')) this.facts.replaceChildren(...nodes);
  }

  /** Loads screen, history and trace, at most once a second however fast the versions move. */
  refreshSoon() {
    if (this.pending) return;
    const wait = Math.max(0, this.lastLoad + REFRESH_MIN_MS - Date.now());
    this.pending = setTimeout(() => {
      this.pending = null;
      this.lastLoad = Date.now();
      void this.load();
    }, wait);
  }

  async load() {
    const agent = this.agent;
    if (!agent) return;
    this.shownVersion = agent.version;
    await Promise.all([this.loadScreen(), this.loadHistory(), this.loadTrace()]);
  }

  async loadScreen() {
    const id = this.agent?.id;
    if (!id) return;
    const base = `v1/agents/${encodeURIComponent(id)}/screen?lines=${SCREEN_LINES}`;
    try {
      const body = await this.fetchScreen(base);
      if (this.agent?.id !== id) return;
      const atBottom = this.screen.scrollTop + this.screen.clientHeight >= this.screen.scrollHeight - 4;
      setText(this.screen, body.text);
      if (atBottom) this.screen.scrollTop = this.screen.scrollHeight;
    } catch (err) {
      if (this.agent?.id === id) setText(this.screen, `(no screen: ${message(err)})`);
    }
  }

  /**
   * Asks for a redacted screen. A server without redaction refuses the unknown field (400): then the raw screen
   * is shown only once the user unticks "hide secrets", saying why.
   * @param {string} base
   */
  async fetchScreen(base) {
    const hide = this.redact.checked;
    this.canRedact ??= (await capabilities()).redact ? null : false;
    if (this.canRedact !== false) {
      try {
        const body = await getJson(`${base}&redact=${hide}`);
        this.canRedact = true;
        this.note('');
        return body;
      } catch (err) {
        if (!(err instanceof ApiError && err.status === 400 && /redact/i.test(err.message))) throw err;
        this.canRedact = false;
      }
    }
    if (hide) {
      this.note('This server cannot hide secrets on screens. Untick "hide secrets" to see the screen as it is.');
      return { text: '' };
    }
    this.note('Shown as captured: this server cannot hide secrets on screens.');
    return getJson(base);
  }

  /** @param {string} text */
  note(text) {
    setText(this.screenNote, text);
    this.screenNote.hidden = !text;
  }

  async loadHistory() {
    const id = this.agent?.id;
    if (!id) return;
    try {
      const body = await getJson(`v1/agents/${encodeURIComponent(id)}/history?limit=50`);
      if (this.agent?.id !== id) return;
      /** @type {Transition[]} */
      const transitions = body.transitions;
      this.history.replaceChildren(...(transitions.length ? transitions.map(transitionItem) : [h('li', { class: 'muted' }, 'no transitions yet')]));
    } catch (err) {
      if (this.agent?.id === id) this.history.replaceChildren(h('li', { class: 'muted' }, `(no history: ${message(err)})`));
    }
  }

  async loadTrace() {
    const id = this.agent?.id;
    if (!id) return;
    try {
      const body = await getJson(`v1/agents/${encodeURIComponent(id)}/explain`);
      if (this.agent?.id === id) this.explain.replaceChildren(...renderTrace(body.trace));
    } catch (err) {
      if (this.agent?.id === id) this.explain.replaceChildren(h('p', { class: 'muted' }, `(no trace: ${message(err)})`));
    }
  }
}

/** @param {Transition} t */
function transitionItem(t) {
  return h('li', {},
    h('time', { datetime: t.at, title: t.at }, clock(t.at)),
    h('span', { class: 'badge', 'data-state': t.from ?? 'none' }, t.from ? stateLabel(t.from) : 'new'),
    '→',
    h('span', { class: 'badge', 'data-state': t.to }, stateLabel(t.to)),
    h('code', {}, t.rule),
    h('span', { class: 'evidence' }, t.evidence));
}

/** ", from a hook" when the agent's own hook decided (servers with hook signals say so in detail.source). @param {Agent} a */
function sourceOf(a) {
  const source = /** @type {{ source?: unknown }} */ (a.detail).source;
  return typeof source === 'string' && source !== 'screen' ? `, from its ${source}` : '';
}

/** @param {unknown} err */
function message(err) {
  return err instanceof Error ? err.message : String(err);
}
