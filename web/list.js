// @ts-check
// The agent list: one focusable listbox whose rows are drawn only where the viewport is (a thousand agents cost
// the DOM of the forty on screen). Arrow keys, j/k, Page Up/Down, Home/End move; Enter opens; clicks open too.
import { h, setText } from './dom.js';
import { duration, needsHuman, stateLabel } from './format.js';

/** @typedef {import('./types.js').Agent} Agent */

const OVERSCAN = 8;

export class AgentList {
  /** @type {Agent[]} */
  agents = [];
  /** Id of the row the keyboard is on. @type {string | null} */
  activeId = null;
  /** Id of the agent whose detail is open. @type {string | null} */
  openId = null;
  /** @type {HTMLElement[]} */
  pool = [];
  rowHeight = 30;

  /**
   * @param {HTMLElement} box the listbox (scrolls)
   * @param {{ open: (agent: Agent) => void, activate: (agent: Agent) => void }} on
   */
  constructor(box, on) {
    this.box = box;
    this.on = on;
    this.sizer = /** @type {HTMLElement} */ (box.querySelector('.sizer'));
    box.addEventListener('scroll', () => this.draw(), { passive: true });
    box.addEventListener('keydown', (e) => this.key(e));
    box.addEventListener('click', (e) => this.click(e));
    new ResizeObserver(() => this.draw()).observe(box);
  }

  /** @param {Agent[]} agents in display order */
  show(agents) {
    this.agents = agents;
    if (this.activeId !== null && !agents.some((a) => a.id === this.activeId)) this.activeId = null;
    this.sizer.style.height = `${agents.length * this.rowHeight}px`;
    this.draw();
  }

  /** Redraws the rows in view (also the clock: time in state moves every second). */
  draw() {
    const first = Math.max(0, Math.floor(this.box.scrollTop / this.rowHeight) - OVERSCAN);
    const count = Math.ceil(this.box.clientHeight / this.rowHeight) + 2 * OVERSCAN;
    const last = Math.min(this.agents.length, first + count);
    const now = Date.now();
    for (let i = first; i < last; i++) this.fill(this.row(i - first), /** @type {Agent} */ (this.agents[i]), i, now);
    for (let slot = last - first; slot < this.pool.length; slot++) /** @type {HTMLElement} */ (this.pool[slot]).hidden = true;
    this.box.setAttribute('aria-activedescendant', this.activeId !== null && this.indexOf(this.activeId) >= 0 ? rowId(this.activeId) : '');
  }

  /** @param {number} slot */
  row(slot) {
    let el = this.pool[slot];
    if (!el) {
      el = h('div', { class: 'row', role: 'option' },
        h('span', { class: 'state' }), h('span', { class: 'num since' }), h('span', { class: 'target' }, h('span', { class: 't' }), ' ', h('span', { class: 'wname' })),
        h('span', { class: 'kind' }), h('span', { class: 'evidence' }));
      this.box.append(el);
      this.pool.push(el);
    }
    el.hidden = false;
    return el;
  }

  /** @param {HTMLElement} el @param {Agent} agent @param {number} index @param {number} now */
  fill(el, agent, index, now) {
    el.id = rowId(agent.id);
    el.dataset.id = agent.id;
    el.dataset.state = agent.state;
    el.style.transform = `translateY(${index * this.rowHeight}px)`;
    el.setAttribute('aria-posinset', String(index + 1));
    el.setAttribute('aria-setsize', String(this.agents.length));
    el.setAttribute('aria-selected', String(agent.id === this.activeId));
    el.classList.toggle('open', agent.id === this.openId);
    el.classList.toggle('human', needsHuman(agent.state));
    el.classList.toggle('last-human', needsHuman(agent.state) && !needsHuman(this.agents[index + 1]?.state ?? ''));
    el.classList.toggle('stale', agent.stale);
    const [state, since, target, kind, evidence] = /** @type {HTMLElement[]} */ ([...el.children]);
    setText(/** @type {HTMLElement} */ (state), agent.stale ? `${stateLabel(agent.state)} · stale` : stateLabel(agent.state));
    setText(/** @type {HTMLElement} */ (since), duration(now - Date.parse(agent.stateSince)));
    const [t, wname] = /** @type {HTMLElement[]} */ ([.../** @type {HTMLElement} */ (target).children]);
    setText(/** @type {HTMLElement} */ (t), agent.target);
    setText(/** @type {HTMLElement} */ (wname), agent.windowName);
    setText(/** @type {HTMLElement} */ (kind), agent.kind);
    setText(/** @type {HTMLElement} */ (evidence), agent.detail.evidence);
    /** @type {HTMLElement} */ (evidence).title = agent.detail.evidence;
  }

  /** @param {string} id */
  indexOf(id) {
    return this.agents.findIndex((a) => a.id === id);
  }

  /** Moves the keyboard to row `index` and scrolls it into view. @param {number} index */
  activate(index) {
    const agent = this.agents[Math.max(0, Math.min(this.agents.length - 1, index))];
    if (!agent) return;
    this.activeId = agent.id;
    const top = this.indexOf(agent.id) * this.rowHeight;
    if (top < this.box.scrollTop) this.box.scrollTop = top;
    else if (top + this.rowHeight > this.box.scrollTop + this.box.clientHeight) {
      this.box.scrollTop = top + this.rowHeight - this.box.clientHeight;
    }
    this.draw();
    this.on.activate(agent);
  }

  /** @param {KeyboardEvent} e */
  key(e) {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const at = this.activeId === null ? -1 : this.indexOf(this.activeId);
    const page = Math.max(1, Math.floor(this.box.clientHeight / this.rowHeight) - 1);
    /** @type {Record<string, () => void>} */
    const moves = {
      ArrowDown: () => this.activate(at + 1),
      j: () => this.activate(at + 1),
      ArrowUp: () => this.activate(Math.max(0, at - 1)),
      k: () => this.activate(Math.max(0, at - 1)),
      PageDown: () => this.activate(at + page),
      PageUp: () => this.activate(Math.max(0, at - page)),
      Home: () => this.activate(0),
      End: () => this.activate(this.agents.length - 1),
      Enter: () => {
        const agent = this.agents[at];
        if (agent) this.on.open(agent);
        else this.activate(0);
      },
    };
    const move = moves[e.key];
    if (!move) return;
    e.preventDefault();
    move();
  }

  /** @param {MouseEvent} e */
  click(e) {
    const row = /** @type {HTMLElement | null} */ (e.target instanceof Element ? e.target.closest('.row[data-id]') : null);
    const index = row?.dataset.id ? this.indexOf(row.dataset.id) : -1;
    const agent = this.agents[index];
    if (!agent) return;
    this.activeId = agent.id;
    this.box.focus({ preventScroll: true });
    this.on.open(agent);
  }
}

/** @param {string} id */
function rowId(id) {
  return `agent-${id}`;
}
