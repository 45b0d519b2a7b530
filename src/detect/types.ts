// The classifier seam: the loop hands each pane's latest view here and publishes what comes back.
import type { AgentKind, AgentState, StateDetail } from '../agents/model.ts';
import type { PaneInfo } from '../tmux/types.ts';

export interface ClassifyInput {
  id: string; // agent id, stable while the pane lives; the key of any per-agent memory
  pane: PaneInfo;
  screen: string; // latest captured text (may be from an earlier cycle when the capture cache hit)
  screenChangedAt: number; // epoch ms the screen content last changed
  now: number; // epoch ms
}

export interface Classification {
  kind: AgentKind;
  state: AgentState;
  detail: StateDetail;
}

export interface Classifier {
  classify(input: ClassifyInput): Classification;
  /** The pane is gone: drop whatever is remembered about it. */
  forget(id: string): void;
}
