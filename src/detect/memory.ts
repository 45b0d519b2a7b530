// What the detector remembers of one pane between cycles, and the shape of one observation's verdict.
import type { AgentKind, AgentState } from '../agents/model.ts';
import type { KindResult } from './kind.ts';
import type { LoadedProfile } from './profile.ts';
import type { Classification, ProcessInfo, RuleAttempt } from './types.ts';

/** One observation's verdict before stability: the state, and whether it may skip confirmation. */
export interface Candidate {
  classification: Classification;
  immediate: boolean;
  why: string;
  rules: RuleAttempt[];
  matched: string[];
}

/** identifyKind's answer, which holds while the tree (the same array) and the profiles do. */
export interface KindMemo {
  procs: ProcessInfo[];
  generation: number;
  // Read only when the screen may decide: without a tree, or while an unknown program might be an agent.
  command: string;
  title: string;
  screenChangedAt: number;
  checkedAt: number; // when the screen was last read for the kind
  result: KindResult;
}

/** The rules' answer and everything it was computed from (see rules-step.ts). */
export interface RulesMemo {
  screenChangedAt: number;
  kind: AgentKind;
  title: string;
  command: string;
  changeSeen: boolean;
  quiet: boolean;
  stuck: boolean;
  generation: number;
  result: Candidate;
}

/** How the screen moved: for `stuck` (any meaningful change) and for the activity fallback (work only). */
export interface ActivityMemory {
  screenChangedAt: number | null;
  meaningfulHash: string | null;
  meaningfulChangeAt: number | null;
  /** A meaningful change was seen since the pane was first observed: before that its quiet time is unknown. */
  changeSeen: boolean;
  /** The raw lines of the screen last seen, to tell text appended from a redraw in place. */
  lines: string[] | null;
  /** Normalised screen hashes of the last minute and when each was last seen: a screen coming back is a redraw. */
  recent: Map<string, number>;
  /** When the screen last changed in a way that means work (text appended), and whether it ever did. */
  workAt: number | null;
  workSeen: boolean;
  workWhy: string | null;
}

/**
 * The parts of the last observation that explain() needs beyond Memory. Kept as references and built into a
 * DetectionTrace only when asked: a trace per pane per cycle (with its ISO strings) is garbage nobody reads.
 */
export interface Observed {
  at: number;
  screenChangedAt: number;
  quietMs: number;
  workQuietMs: number;
  kindReason: string;
  profile: LoadedProfile | undefined;
  candidate: Candidate;
  immediate: boolean;
}

export interface Memory {
  agentKind: AgentKind | null; // last agent seen in the tree: its disappearance is a crash
  published: Classification | null;
  pending: { state: AgentState; count: number } | null;
  activity: ActivityMemory;
  last: Observed | null;
  tree: { pid: number; command: string } | null; // what the tree was last read fresh for
  kindMemo: KindMemo | null;
  rulesMemo: RulesMemo | null;
}

export function newMemory(): Memory {
  return {
    agentKind: null,
    published: null,
    pending: null,
    activity: {
      screenChangedAt: null,
      meaningfulHash: null,
      meaningfulChangeAt: null,
      changeSeen: false,
      lines: null,
      recent: new Map(),
      workAt: null,
      workSeen: false,
      workWhy: null,
    },
    last: null,
    tree: null,
    kindMemo: null,
    rulesMemo: null,
  };
}
