// @ts-check
// The detection trace (GET /v1/agents/{id}/explain) in words: how the kind was found, what this look at the
// screen says and why, whether it is confirmed yet, and every rule tried (matches first).
import { h } from './dom.js';
import { clock, duration, stateLabel } from './format.js';

/** @typedef {import('./types.js').DetectionTrace} DetectionTrace */
/** @typedef {DetectionTrace['rules'][number]} RuleAttempt */

/**
 * Nodes describing the trace; a trace of a shape this page does not know is shown as JSON rather than lost.
 * @param {unknown} trace
 * @returns {Node[]}
 */
export function renderTrace(trace) {
  if (!isTrace(trace)) return [h('pre', { class: 'json' }, JSON.stringify(trace, null, 2))];
  return [summary(trace), stability(trace), activity(trace), rules(trace.rules)];
}

/** @param {unknown} t @returns {t is DetectionTrace} */
function isTrace(t) {
  const x = /** @type {Partial<DetectionTrace> | null} */ (t);
  return typeof x === 'object' && x !== null && Array.isArray(x.rules) && typeof x.kindReason === 'string' && typeof x.candidate === 'object';
}

/** @param {DetectionTrace} t */
function summary(t) {
  const seen = t.candidate;
  const shown = t.published;
  return h('dl', { class: 'facts' },
    h('dt', {}, 'kind'), h('dd', {}, `${t.kind}: ${t.kindReason}`),
    h('dt', {}, 'this look'), h('dd', {}, `${stateLabel(seen.state)} by ${seen.detail.rule}${seen.detail.evidence ? ` on “${seen.detail.evidence}”` : ''}`),
    h('dt', {}, 'decision'), h('dd', {}, t.decision),
    h('dt', {}, 'published'), h('dd', {}, `${stateLabel(shown.state)} (${shown.detail.rule})`),
    h('dt', {}, 'profile'), h('dd', {}, t.profile ?? '—'),
    h('dt', {}, 'observed'), h('dd', {}, clock(t.at)));
}

/** @param {DetectionTrace} t */
function stability(t) {
  const s = t.stability;
  const text = s.immediate
    ? 'Published at once, without waiting for confirmation.'
    : s.pending
      ? `${stateLabel(s.pending)} seen ${s.confirmations} of the ${s.required} times needed before it is published.`
      : `Confirmed: nothing else pending (${s.required} looks needed to change).`;
  return h('p', { class: 'stability' }, text);
}

/** @param {DetectionTrace} t */
function activity(t) {
  const a = t.activity;
  if (!a) return h('p', {});
  const quiet = a.quietMs === null ? 'no meaningful change seen yet' : `quiet for ${duration(a.quietMs)}`;
  return h('p', { class: 'muted' }, `Screen last changed ${clock(a.screenChangedAt)}; ${quiet} (spinners, clocks and counters do not count).`);
}

/** @param {RuleAttempt[]} attempts */
function rules(attempts) {
  const matched = attempts.filter((r) => r.matched);
  const others = attempts.filter((r) => !r.matched);
  const table = (/** @type {RuleAttempt[]} */ list) =>
    h('table', { class: 'rules' },
      h('thead', {}, h('tr', {}, ...['rule', 'priority', 'region', 'would mean', 'result'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, ...list.map(ruleRow)));
  return h('div', {},
    matched.length ? table(matched) : h('p', { class: 'muted' }, 'No rule matched this screen.'),
    others.length ? h('details', {}, h('summary', {}, `${others.length} more rule${others.length === 1 ? '' : 's'} tried, no match`), table(others)) : null);
}

/** @param {RuleAttempt} r */
function ruleRow(r) {
  const result = r.matched ? `matched “${r.evidence ?? ''}”` : r.note ? `passed over: ${r.note}` : 'no match';
  return h('tr', { class: r.matched ? 'hit' : '' },
    h('td', {}, h('code', {}, r.id)),
    h('td', { class: 'num' }, String(r.priority)),
    h('td', {}, r.region),
    h('td', {}, h('span', { class: 'badge', 'data-state': r.state }, stateLabel(r.state))),
    h('td', { class: 'evidence' }, result));
}
