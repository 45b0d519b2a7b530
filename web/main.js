// @ts-check
// The board: wires the fleet, the feed, the list, the filters and the detail panel together.
import { byId, h, setText } from './dom.js';
import { Detail } from './detail.js';
import { readEveryAgent, startFeed, watchMonitor } from './feed.js';
import { Fleet } from './fleet.js';
import { KINDS, STATES, needsHuman, stateLabel } from './format.js';
import { AgentList } from './list.js';

/** @typedef {import('./types.js').Filter} Filter */
/** @typedef {import('./feed.js').FeedStatus} FeedStatus */

const fleet = new Fleet();
const detail = new Detail();
const rowsBox = byId('rows', HTMLElement);
const form = byId('filters', HTMLFormElement);
const list = new AgentList(rowsBox, {
  open: (agent) => {
    list.openId = agent.id;
    detail.open(agent);
    list.draw();
    remember();
  },
  activate: (agent) => {
    if (detail.isOpen) list.on.open(agent);
  },
});

let drawnGeneration = -1;
let fleetPainted = false;
let redrawsMeasured = 0;
/** Redraw measures kept for a profiler or the bench; a board left open for days must not pile them up. */
const MEASURES_KEPT = 600;
/** @type {number | null} */
let frame = null;

/** Coalesces changes into one redraw per animation frame. */
function redrawSoon() {
  frame ??= requestAnimationFrame(() => {
    frame = null;
    redraw();
  });
}

function redraw() {
  const started = performance.now();
  const filter = currentFilter();
  drawnGeneration = fleet.generation;
  list.show(fleet.view(filter));
  drawCounts(filter);
  refreshChoices();
  drawNotices();
  if (detail.agent) detail.update(fleet.agents.get(detail.agent.id));
  recordTimings(started);
}

/** The stale banner, the tab title (who needs you) and the line shown when no row is. */
function drawNotices() {
  byId('stale', HTMLElement).hidden = !fleet.anyStale();
  const waiting = [...fleet.agents.values()].filter((a) => needsHuman(a.state)).length;
  document.title = waiting ? `(${waiting}) paneward` : 'paneward';
  const empty = byId('empty', HTMLElement);
  empty.hidden = list.agents.length > 0;
  setText(empty, fleet.agents.size === 0 ? 'No agents yet: every tmux pane this server watches shows up here.' : 'No agent matches these filters.');
}

/**
 * What bench/board.ts reads: each redraw's cost, and when the fleet's rows were first on screen.
 * @param {number} started
 */
function recordTimings(started) {
  if (++redrawsMeasured > MEASURES_KEPT) {
    performance.clearMeasures('board:redraw');
    redrawsMeasured = 1;
  }
  performance.measure('board:redraw', { start: started });
  if (!fleetPainted && fleet.agents.size > 0) {
    fleetPainted = true;
    // The frame after the next one starts once the drawn rows are on screen.
    requestAnimationFrame(() => requestAnimationFrame(() => performance.mark('board:fleet-painted')));
  }
}

/** @returns {Filter} */
function currentFilter() {
  const data = new FormData(form);
  const get = (/** @type {string} */ k) => String(data.get(k) ?? '');
  return { state: get('state'), kind: get('kind'), session: get('session'), monitor: get('monitor'), text: get('text').trim() };
}

/** @param {Filter} filter */
function drawCounts(filter) {
  const counts = fleet.counts();
  const chips = [...counts].filter(([state, n]) => n > 0 || state === filter.state).map(([state, n]) =>
    h('button', { type: 'button', class: 'chip', 'data-state': state, 'aria-pressed': String(filter.state === state), title: `show only ${stateLabel(state)}` },
      h('span', { class: 'n' }, String(n)), ` ${stateLabel(state)}`));
  const all = h('button', { type: 'button', class: 'chip all', 'aria-pressed': String(filter.state === ''), title: 'show every state' },
    h('span', { class: 'n' }, String(fleet.agents.size)), ' agents');
  const box = byId('counts', HTMLElement);
  const key = [filter.state, ...[...counts].map(([s, n]) => `${s}${n}`), fleet.agents.size].join(' ');
  if (box.dataset.key === key) return;
  box.dataset.key = key;
  const focused = document.activeElement instanceof HTMLElement && box.contains(document.activeElement) ? document.activeElement.dataset.state ?? 'all' : null;
  box.replaceChildren(all, ...chips);
  if (focused) /** @type {HTMLElement | null} */ (box.querySelector(focused === 'all' ? '.all' : `[data-state="${focused}"]`))?.focus();
}

/** Keeps each select's options to the values present (and the one chosen). */
function refreshChoices() {
  const filter = currentFilter();
  setOptions('state', [...STATES], filter.state);
  setOptions('kind', [...KINDS], filter.kind);
  setOptions('session', fleet.values('session'), filter.session);
  setOptions('monitor', fleet.values('monitor'), filter.monitor);
}

/** @param {string} name @param {string[]} values @param {string} chosen */
function setOptions(name, values, chosen) {
  const select = /** @type {HTMLSelectElement} */ (form.elements.namedItem(name));
  const wanted = ['', ...new Set([...values, ...(chosen ? [chosen] : [])])];
  const have = [...select.options].map((o) => o.value);
  if (have.join('\n') === wanted.join('\n')) return;
  select.replaceChildren(...wanted.map((v) => h('option', { value: v }, v === '' ? 'any' : name === 'state' ? stateLabel(v) : v)));
  select.value = chosen;
}

/** @param {FeedStatus} status */
function showStatus(status) {
  const conn = byId('conn', HTMLElement);
  const how = status.mode === 'stream' ? 'live' : 'polling';
  const words = { connecting: `${how}: connecting…`, live: status.mode === 'stream' ? 'live' : 'live (polling every second)', retrying: `${how}: reconnecting…` };
  setText(conn, words[status.state]);
  conn.title = status.detail ?? '';
  conn.dataset.status = status.state;
  conn.dataset.mode = status.mode;
}

/** Filters and the open agent live in the URL fragment, so a view can be bookmarked or shared. */
function remember() {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(currentFilter())) if (v) params.set(k, v);
  if (detail.agent) params.set('agent', detail.agent.id);
  const feed = new URLSearchParams(location.hash.slice(1)).get('feed');
  if (feed) params.set('feed', feed);
  history.replaceState(null, '', params.size ? `#${params}` : location.pathname);
}

function restore() {
  const params = new URLSearchParams(location.hash.slice(1));
  for (const name of ['state', 'kind', 'session', 'monitor', 'text']) {
    const value = params.get(name);
    const field = /** @type {HTMLInputElement | HTMLSelectElement | null} */ (form.elements.namedItem(name));
    if (value && field) {
      if (field instanceof HTMLSelectElement) field.append(h('option', { value }, value));
      field.value = value;
    }
  }
  return { agent: params.get('agent'), feed: params.get('feed') === 'poll' ? /** @type {const} */ ('poll') : undefined };
}

function wireControls() {
  form.addEventListener('input', () => { redrawSoon(); remember(); });
  form.addEventListener('reset', () => setTimeout(() => { redrawSoon(); remember(); }));
  form.addEventListener('submit', (e) => e.preventDefault());
  byId('counts', HTMLElement).addEventListener('click', (e) => {
    const chip = e.target instanceof Element ? e.target.closest('button') : null;
    if (!chip) return;
    const select = /** @type {HTMLSelectElement} */ (form.elements.namedItem('state'));
    const state = chip instanceof HTMLElement ? chip.dataset.state ?? '' : '';
    select.value = select.value === state ? '' : state;
    redraw();
    remember();
  });
  byId('detail-close', HTMLButtonElement).addEventListener('click', closeDetail);
  document.addEventListener('keydown', (e) => {
    const typing = e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement;
    if (e.key === 'Escape' && detail.isOpen && !byId('token-dialog', HTMLDialogElement).open) {
      e.preventDefault();
      closeDetail();
    } else if (e.key === '/' && !typing) {
      e.preventDefault();
      /** @type {HTMLInputElement} */ (form.elements.namedItem('text')).focus();
    }
  });
}

function closeDetail() {
  detail.close();
  list.openId = null;
  list.draw();
  rowsBox.focus();
  remember();
}

let resyncing = false;

/**
 * The store went away or came back: only the agents that changed since say so in their records, so read them
 * all once to mark (or clear) every row served from memory. Called on the first record whose flag differs from
 * the board's, and when GET /v1/monitor says the store's health changed.
 */
function resyncStaleness() {
  if (resyncing) return;
  resyncing = true;
  readEveryAgent()
    .then(({ agents }) => {
      for (const agent of agents) fleet.upsert(agent);
      redrawSoon();
    })
    .catch(() => undefined) // the feed reports an unreachable server; the next stale change tries again
    .finally(() => {
      resyncing = false;
    });
}

function main() {
  const wanted = restore();
  wireControls();
  setInterval(() => {
    if (fleet.generation === drawnGeneration) list.draw();
    detail.tick();
  }, 1000);
  let first = true;
  void startFeed(
    {
      snapshot: (agents) => {
        fleet.replace(agents);
        if (first && wanted.agent) {
          const agent = fleet.agents.get(wanted.agent);
          if (agent) list.on.open(agent);
        }
        first = false;
        redrawSoon();
      },
      agent: (agent) => {
        const staleBefore = fleet.anyStale();
        fleet.upsert(agent);
        if (agent.stale !== staleBefore) resyncStaleness();
        redrawSoon();
      },
      removed: (id) => { fleet.remove(id); redrawSoon(); },
      status: showStatus,
    },
    { prefer: wanted.feed },
  );
  void watchMonitor(showMonitorHealth);
}

// Up until told otherwise: a first report of "down" re-reads once, which is harmless if the rows knew already.
let storeUp = true;

/** @param {import('./feed.js').MonitorHealth} health */
function showMonitorHealth(health) {
  if (health.storeUp !== storeUp) resyncStaleness();
  storeUp = health.storeUp;
  const notice = byId('tmux-down', HTMLElement);
  notice.hidden = health.tmuxDown.length === 0;
  setText(notice, health.tmuxDown.map((s) => `tmux server ${s.socket} does not answer${s.reason ? `: ${s.reason}` : ''}`).join('; '));
}

main();
