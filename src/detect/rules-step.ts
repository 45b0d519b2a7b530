// The rules step: a kind's profile rules on the screen, then `stuck` for a rule-made `working` that has not moved,
// with the last answer reused while nothing it depends on moved.
import type { AgentKind } from '../agents/model.ts';
import { evaluate } from './engine.ts';
import type { Candidate, Memory } from './memory.ts';
import type { LoadedProfile } from './profile.ts';
import type { Quiet } from './timing.ts';

export interface RuleTimes {
  idleAfterMs: number;
  stuckAfterMs: number;
  now: number;
}

/**
 * One screen through a kind's profile. `quiet.workQuietMs` drives the activity fallback and `quiet.quietMs` the
 * stuck check; `changeSeen === false` means no change has been seen yet, so the screen counts as quiet (a program
 * already still when first observed is idle at once, not working until idleAfterMs has passed).
 */
export function classifyWith(
  profiles: Map<string, LoadedProfile>,
  kind: AgentKind,
  screen: string,
  pane: { title: string; command: string },
  quiet: Partial<Quiet> | undefined,
  opts: RuleTimes & { changeSeen?: boolean },
): Candidate & { profile: LoadedProfile | undefined } {
  const profile = profiles.get(kind);
  if (!profile) {
    return {
      profile,
      classification: { kind, state: 'unknown', detail: { rule: 'profile.missing', evidence: `no profile for ${kind}`, confidence: 0 } },
      immediate: false,
      why: `no profile is loaded for kind ${kind}`,
      rules: [],
      matched: [],
    };
  }
  const activityQuiet = opts.changeSeen === false ? undefined : (quiet?.workQuietMs ?? quiet?.quietMs);
  const r = evaluate(profile, screen, pane, activityQuiet, opts.idleAfterMs, opts.now);
  const candidate: Candidate = { classification: { kind, state: r.state, detail: r.detail }, immediate: r.immediate, why: r.decision, rules: r.rules, matched: r.matched };
  const quietMs = quiet?.quietMs;
  if (r.state === 'working' && profile.stuck && !r.activity && quietMs !== undefined && quietMs >= opts.stuckAfterMs) {
    return { profile, ...stuck(candidate, quietMs, opts.stuckAfterMs) };
  }
  return { profile, ...candidate };
}

function stuck(c: Candidate, quietMs: number, stuckAfterMs: number): Candidate {
  const { detail } = c.classification;
  return {
    ...c,
    classification: {
      ...c.classification,
      state: 'stuck',
      detail: {
        rule: 'time.stuck',
        evidence: `${detail.evidence} — no meaningful screen change for over ${Math.round(stuckAfterMs / 1000)} s`,
        confidence: Math.min(0.9, detail.confidence),
      },
    },
    why: `${c.why}; but the screen has not changed (ignoring spinners, clocks, counters) for ${Math.round(quietMs / 1000)} s ≥ ${stuckAfterMs} ms, so stuck`,
  };
}

export interface RulesInput {
  kind: AgentKind;
  screen: string;
  screenChangedAt: number;
  pane: { title: string; command: string };
  quiet: Quiet;
  changeSeen: boolean;
  generation: number;
}

/**
 * The rules read only the screen, the pane's title and command, and which side of the idle and stuck thresholds
 * the quiet times are on: while none of that moves, the last answer stands (most panes, most cycles).
 */
export function rulesCandidate(m: Memory, profiles: Map<string, LoadedProfile>, input: RulesInput, times: RuleTimes): Candidate {
  const quiet = input.quiet.workQuietMs < times.idleAfterMs;
  const stuckSide = input.quiet.quietMs >= times.stuckAfterMs;
  const r = m.rulesMemo;
  if (
    r?.screenChangedAt === input.screenChangedAt &&
    r.kind === input.kind &&
    r.title === input.pane.title &&
    r.command === input.pane.command &&
    r.changeSeen === input.changeSeen &&
    r.quiet === quiet &&
    r.stuck === stuckSide &&
    r.generation === input.generation
  ) {
    return r.result;
  }
  const result = classifyWith(profiles, input.kind, input.screen, input.pane, input.quiet, { ...times, changeSeen: input.changeSeen });
  m.rulesMemo = {
    screenChangedAt: input.screenChangedAt,
    kind: input.kind,
    title: input.pane.title,
    command: input.pane.command,
    changeSeen: input.changeSeen,
    quiet,
    stuck: stuckSide,
    generation: input.generation,
    result,
  };
  return result;
}
