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
  /**
   * A returned classification is never changed afterwards. Returning the same object while nothing changed
   * lets the loop skip building and hashing the pane's observation.
   */
  classify(input: ClassifyInput): Classification;
  /** The pane is gone: drop whatever is remembered about it. */
  forget(id: string): void;
  /**
   * Upkeep that classify() would otherwise do on its way (reading /proc for process trees). The loop calls it
   * while tmux works on a cycle's lists, when this process has nothing else to do.
   */
  prepare?(): void;
}

/** One process of a pane's tree, as /proc shows it (or a test injects it). */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  comm: string; // /proc/<pid>/comm: the executable's name, at most 15 characters
  argv: string[]; // /proc/<pid>/cmdline split on NUL; [] for kernel threads or when unreadable
}

/** One rule the engine tried on a screen, for explain(). */
export interface RuleAttempt {
  id: string;
  priority: number;
  region: string;
  state: AgentState;
  matched: boolean;
  evidence?: string; // the matching line, redacted
  note?: string; // why a rule that could not apply was passed over (condition unmet, suppressed by `unless`)
}

/** Why a pane has its kind and state: everything detection looked at, JSON-serialisable. */
export interface DetectionTrace {
  id: string;
  at: string; // ISO time of the observation
  kind: AgentKind;
  kindReason: string; // "process 1234 `node …/claude` matched claude-code", "hint", …
  profile: string | null; // profile source file(s) for the kind
  rules: RuleAttempt[];
  matched: string[]; // ids of the rules that matched, best first
  candidate: Classification; // what this observation alone says
  decision: string; // why the candidate won: priority, time signals, pane/process facts
  published: Classification; // what was returned (after stability)
  stability: {
    pending: AgentState | null; // a state seen but not yet confirmed
    confirmations: number; // observations of `pending` so far
    required: number;
    immediate: boolean; // published without confirmation (pane died, process gone, first sight, …)
  };
  activity: {
    screenChangedAt: string; // raw change, as the loop reported it
    meaningfulChangeAt: string | null; // last change that survived normalisation (spinners, clocks, counters)
    quietMs: number | null;
    /** Last change that was work (text appended, not a redraw in place); judged for activity-fallback kinds only. */
    workAt?: string | null;
    workQuietMs?: number | null;
    /** How the last screen change was judged: "3 new lines scrolled in", "1 line(s) redrawn in place", … */
    lastChange?: string | null;
  };
}
