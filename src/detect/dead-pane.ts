// A pane whose process ended: crashed or exited by the status tmux reports, and honest while it reports none.
import type { AgentKind, AgentState, StateDetail } from '../agents/model.ts';
import type { PaneInfo } from '../tmux/types.ts';
import type { Candidate } from './memory.ts';

export const STATUS_UNKNOWN_RULE = 'pane.dead-status-unknown';

/**
 * Pane facts that need no screen reading: a dead pane exits (status 0) or crashes (non-zero status, or killed by a
 * signal). tmux can list a pane as dead before it has reaped the process, and then shows no status for a moment
 * (sometimes for good); `exited` is a claim of status 0, so until a status shows the state is `unknown`, and the
 * tmux server client asks again on every list.
 */
export function deadPane(
  pane: Pick<PaneInfo, 'dead' | 'deadStatus' | 'deadSignal'>,
): { state: AgentState; detail: StateDetail } | null {
  if (!pane.dead) return null;
  const { deadStatus: status, deadSignal: signal } = pane;
  if (signal !== null && signal !== undefined) {
    return { state: 'crashed', detail: { rule: 'pane.dead', evidence: `pane process killed by signal ${signal}`, confidence: 1 } };
  }
  if (status === null) {
    return {
      state: 'unknown',
      detail: { rule: STATUS_UNKNOWN_RULE, evidence: 'pane is dead; tmux has not reported its exit status yet', confidence: 0.3 },
    };
  }
  return {
    state: status === 0 ? 'exited' : 'crashed',
    detail: { rule: 'pane.dead', evidence: `pane exited with status ${status}`, confidence: 1 },
  };
}

/** Rules whose verdict on a dead pane's screen may stand in for a status tmux has not given. */
const SCREEN_SAYS_STATUS = /^tmux\.pane-dead-/;

/**
 * The candidate for a dead pane. Without a status from tmux, the screen may still tell: tmux's own "Pane is dead
 * (status N)" line, or the agent's profile recognising a crash (a stack trace). A goodbye text is no exit status,
 * so an `exited` from a profile rule does not count.
 */
export function deadCandidate(
  kind: AgentKind,
  pane: Pick<PaneInfo, 'dead' | 'deadStatus' | 'deadSignal'>,
  readScreen: () => Candidate,
): Candidate | null {
  const dead = deadPane(pane);
  if (!dead) return null;
  const facts: Candidate = { classification: { kind, ...dead }, immediate: true, why: dead.detail.evidence, rules: [], matched: [] };
  if (dead.detail.rule !== STATUS_UNKNOWN_RULE) return facts;
  const own = readScreen();
  const { state, detail } = own.classification;
  if (state === 'crashed' || (state === 'exited' && SCREEN_SAYS_STATUS.test(detail.rule))) {
    return { ...own, immediate: true, why: `${dead.detail.evidence}; ${own.why}` };
  }
  return { ...facts, rules: own.rules, matched: own.matched };
}
