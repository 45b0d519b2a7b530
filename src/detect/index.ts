// State detection from declarative profiles: the stateful detector the poll loop uses, and a pure
// one-screen classifier for fixture tests. See README.md in this directory.
import type { AgentKind, AgentState, StateDetail } from '../agents/model.ts';
import type { PaneInfo } from '../tmux/types.ts';
import { BUILT_IN_PROFILES, classifyWith, createDetector, deadPane } from './detector.ts';
import { identifyKind, kindFromCommand } from './kind.ts';
import { loadProfiles, type LoadedProfile } from './profile.ts';
import type { ProcessInfo, RuleAttempt } from './types.ts';

export { createDetector, BUILT_IN_PROFILES, type Detector, type DetectorOptions } from './detector.ts';
export { loadProfiles, parseProfileFile, ProfileSchema, RuleSchema, type Profile, type Rule } from './profile.ts';
export { parseResetTime } from './reset-time.ts';
export { redact } from './redact.ts';
export { readProcessTree } from './processes.ts';
export type { DetectionTrace, ProcessInfo, RuleAttempt } from './types.ts';
export { DetectionTraceSchema } from './types.ts';

export interface ScreenTrace {
  kindReason: string;
  profile: string | null;
  rules: RuleAttempt[];
  matched: string[];
  decision: string;
}

let builtIn: Map<string, LoadedProfile> | null = null;

function builtInProfiles(): Map<string, LoadedProfile> {
  if (!builtIn) {
    const { profiles, errors } = loadProfiles([BUILT_IN_PROFILES]);
    if (errors.length > 0) throw new Error(`built-in detection profiles are invalid: ${errors.join('; ')}`);
    builtIn = profiles;
  }
  return builtIn;
}

/**
 * Classify one screen with the built-in profiles: no history, no stability. The kind comes from `hints.kind`,
 * else the process tree in `hints.processes` (as the loop reads it from /proc), else the pane's current command,
 * else the screen's signature. `hints.quietMs` (how long
 * the screen has been still) is the one piece of history a single screen cannot show; profiles that fall back
 * to screen activity (programs) need it to tell working from idle, and without it a screen counts as quiet.
 */
export function classifyScreen(
  screen: string,
  hints: { kind?: AgentKind; pane?: Partial<PaneInfo>; quietMs?: number; processes?: ProcessInfo[] } = {},
): { kind: AgentKind; state: AgentState; detail: StateDetail; trace: ScreenTrace } {
  const profiles = builtInProfiles();
  const pane = hints.pane ?? {};
  const view = { title: pane.title ?? '', command: pane.currentCommand ?? '' };
  const { kind, reason } = hints.kind
    ? { kind: hints.kind, reason: 'given as a hint' }
    : identifyKind(profiles, hints.processes ?? [], view, screen);
  const dead = deadPane({ dead: pane.dead ?? false, deadStatus: pane.deadStatus ?? null, deadSignal: pane.deadSignal ?? null });
  if (dead) {
    return {
      kind: hints.kind ?? kindFromCommand(profiles, pane.currentCommand ?? '') ?? kind,
      ...dead,
      trace: { kindReason: reason, profile: null, rules: [], matched: [], decision: dead.detail.evidence },
    };
  }
  const quiet = hints.quietMs === undefined ? undefined : { quietMs: hints.quietMs, workQuietMs: hints.quietMs };
  const c = classifyWith(profiles, kind, screen, view, quiet, { idleAfterMs: 5000, stuckAfterMs: Number.POSITIVE_INFINITY, now: Date.now() });
  return {
    kind,
    state: c.classification.state,
    detail: c.classification.detail,
    trace: { kindReason: reason, profile: c.profile?.sources.join(', ') ?? null, rules: c.rules, matched: c.matched, decision: c.why },
  };
}
