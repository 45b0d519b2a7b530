// @ts-check
// How states, durations and times read on the board.

/** @typedef {import('./types.js').AgentState} AgentState */

/** States that need a human, in the order they are listed. */
export const NEEDS_HUMAN = /** @type {const} */ (['waiting', 'error', 'rate_limited', 'stuck', 'crashed']);

/** Every state, in the order the counts show them. */
export const STATES = /** @type {const} */ ([
  ...NEEDS_HUMAN,
  'unsubmitted',
  'working',
  'starting',
  'idle',
  'exited',
  'unknown',
]);

export const KINDS = /** @type {const} */ (['claude-code', 'codex', 'gemini-cli', 'aider', 'shell', 'program']);

/** @param {string} state */
export function needsHuman(state) {
  return /** @type {readonly string[]} */ (NEEDS_HUMAN).includes(state);
}

/** The words a state shows as (the colour only repeats them). @param {string} state */
export function stateLabel(state) {
  return state.replace('_', ' ');
}

/**
 * A short duration: 42s, 4m 12s, 3h 05m, 2d 7h.
 * @param {number} ms
 */
export function duration(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const hours = Math.floor(m / 60);
  if (hours < 24) return `${hours}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

/** Local wall-clock time of an ISO instant, with the date when it is not today. @param {string} iso */
export function clock(iso) {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  const sameDay = at.toDateString() === new Date().toDateString();
  const time = at.toLocaleTimeString(undefined, { hour12: false });
  return sameDay ? time : `${at.toLocaleDateString()} ${time}`;
}
