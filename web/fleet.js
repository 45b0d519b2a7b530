// @ts-check
// The agents the board knows, kept current from snapshots and changes, and the view of them it shows:
// those that need a human first (longest waiting on top), then the rest in tmux order so rows do not jump.
import { STATES, needsHuman } from './format.js';

/** @typedef {import('./types.js').Agent} Agent */
/** @typedef {import('./types.js').Filter} Filter */

const collator = new Intl.Collator(undefined, { numeric: true });

/** @param {Agent} a @param {Agent} b */
function tmuxOrder(a, b) {
  return (
    collator.compare(a.session, b.session) ||
    a.windowIndex - b.windowIndex ||
    a.paneIndex - b.paneIndex ||
    collator.compare(a.monitor, b.monitor) ||
    collator.compare(a.id, b.id)
  );
}

/** @param {Agent} a @param {Agent} b */
export function boardOrder(a, b) {
  const ha = needsHuman(a.state);
  const hb = needsHuman(b.state);
  if (ha !== hb) return ha ? -1 : 1;
  if (ha) return Date.parse(a.stateSince) - Date.parse(b.stateSince) || tmuxOrder(a, b);
  return tmuxOrder(a, b);
}

/** @param {Agent} agent @param {Filter} filter */
export function matches(agent, filter) {
  if (filter.state && agent.state !== filter.state) return false;
  if (filter.kind && agent.kind !== filter.kind) return false;
  if (filter.session && agent.session !== filter.session) return false;
  if (filter.monitor && agent.monitor !== filter.monitor) return false;
  if (!filter.text) return true;
  const needle = filter.text.toLowerCase();
  return [agent.target, agent.command, agent.detail.evidence, agent.windowName, agent.id].some((s) => s.toLowerCase().includes(needle));
}

export class Fleet {
  /** @type {Map<string, Agent>} */
  agents = new Map();
  /** Moves on every change, so a view knows when to recompute. */
  generation = 0;
  /** Agents served from a monitor's memory while its store is away. */
  staleCount = 0;

  /** @param {Agent[]} agents */
  replace(agents) {
    this.agents = new Map(agents.map((a) => [a.id, a]));
    this.staleCount = agents.filter((a) => a.stale).length;
    this.generation++;
  }

  /**
   * Keeps the newer version of an agent (a replayed event may be older than what is shown); an older record
   * still brings its stale flag, which is about now, not about that version.
   * @param {Agent} agent
   */
  upsert(agent) {
    const known = this.agents.get(agent.id);
    if (known && known.version > agent.version) {
      if (known.stale !== agent.stale) this.set({ ...known, stale: agent.stale });
      return;
    }
    this.set(agent);
  }

  /** @param {Agent} agent */
  set(agent) {
    const known = this.agents.get(agent.id);
    this.staleCount += Number(agent.stale) - Number(known?.stale ?? false);
    this.agents.set(agent.id, agent);
    this.generation++;
  }

  /** @param {string} id */
  remove(id) {
    const known = this.agents.get(id);
    if (!known) return;
    this.staleCount -= Number(known.stale);
    this.agents.delete(id);
    this.generation++;
  }

  /** @param {Filter} filter */
  view(filter) {
    return [...this.agents.values()].filter((a) => matches(a, filter)).sort(boardOrder);
  }

  /** Agents per state, every state listed (zeros included), in display order. */
  counts() {
    /** @type {Map<string, number>} */
    const counts = new Map(STATES.map((s) => [s, 0]));
    for (const a of this.agents.values()) counts.set(a.state, (counts.get(a.state) ?? 0) + 1);
    return counts;
  }

  /** @param {'session' | 'monitor'} field */
  values(field) {
    return [...new Set([...this.agents.values()].map((a) => a[field]))].sort(collator.compare);
  }

  anyStale() {
    return this.staleCount > 0;
  }
}
