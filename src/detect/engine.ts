// The generic rule engine: tries every rule of a kind's profile on one screen and picks the winner by priority.
// No time, no memory: the detector adds screen activity and stability on top.
import type { AgentState, StateDetail } from '../agents/model.ts';
import type { LoadedProfile, Rule } from './profile.ts';
import { redact } from './redact.ts';
import { compile } from './regex.ts';
import { parseResetTime } from './reset-time.ts';
import { describeRegion, region, viewScreen, type ScreenView } from './screen.ts';
import type { RuleAttempt } from './types.ts';

export interface EngineResult {
  state: AgentState;
  detail: StateDetail;
  rules: RuleAttempt[];
  matched: string[];
  decision: string;
  immediate: boolean;
  /** The winner came from `fallback: activity`: working or idle by screen activity. */
  activity: boolean;
}

const EVIDENCE_MAX = 240;

export function evidenceOf(line: string): string {
  const text = redact(line.trim());
  return text.length > EVIDENCE_MAX ? `${text.slice(0, EVIDENCE_MAX - 1)}…` : text;
}

interface Hit {
  line: string;
  match: RegExpExecArray;
}

function firstHit(
  view: ScreenView,
  m: { region: Rule['region']; lines?: number; pattern: string; flags: string; match?: 'line' | 'block' },
): Hit | null {
  const re = compile(m.pattern, m.flags);
  const found = region(view, m.region, m.lines);
  // An empty region is one empty line, so `^\s*$` can say "nothing there" (e.g. a blank screen while starting).
  const lines = found.length > 0 ? found : [{ index: -1, text: '' }];
  if (m.match === 'block') {
    const text = lines.map((l) => l.text).join('\n');
    const match = re.exec(text);
    if (!match) return null;
    // Evidence: the last line the match covers, where a block usually ends on the current state.
    const end = text.slice(0, match.index + Math.max(0, match[0].length - 1)).split('\n').length - 1;
    return { line: lines[end]!.text, match };
  }
  // Bottom-up: the newest line is the one that speaks for the current state.
  for (let i = lines.length - 1; i >= 0; i--) {
    const match = re.exec(lines[i]!.text);
    if (match) return { line: lines[i]!.text, match };
  }
  return null;
}

export function signaturePresent(profile: LoadedProfile, view: ScreenView): string | null {
  for (const sig of profile.identify.signature) {
    const hit = firstHit(view, sig);
    if (hit) return hit.line;
  }
  return null;
}

function byPriority(a: Rule, b: Rule): number {
  return b.priority - a.priority || b.confidence - a.confidence;
}

export function evaluate(
  profile: LoadedProfile,
  screen: string,
  pane: { title: string; command: string },
  quietMs: number | undefined,
  idleAfterMs: number,
  now: number,
): EngineResult & { view: ScreenView } {
  const view = viewScreen(screen, pane, profile.input);
  const signature = signaturePresent(profile, view) !== null;
  const attempts: RuleAttempt[] = [];
  const hits: Array<{ rule: Rule; hit: Hit }> = [];

  for (const rule of [...profile.rules].sort(byPriority)) {
    const attempt: RuleAttempt = {
      id: rule.id,
      priority: rule.priority,
      region: describeRegion(rule.region, rule.lines),
      state: rule.state,
      matched: false,
    };
    attempts.push(attempt);
    if (rule.when?.signature !== undefined && rule.when.signature !== signature) {
      attempt.note = `needs signature ${rule.when.signature ? 'present' : 'absent'}`;
      continue;
    }
    if (rule.when?.input !== undefined && rule.when.input !== (view.input !== null)) {
      attempt.note = `needs input box ${rule.when.input ? 'found' : 'absent'}`;
      continue;
    }
    const hit = firstHit(view, rule);
    if (!hit) continue;
    if (rule.unless) {
      const veto = firstHit(view, { ...rule.unless, region: rule.unless.region ?? rule.region });
      if (veto) {
        attempt.note = `suppressed by unless: ${evidenceOf(veto.line)}`;
        attempt.evidence = evidenceOf(hit.line);
        continue;
      }
    }
    attempt.matched = true;
    attempt.evidence = evidenceOf(hit.line);
    hits.push({ rule, hit });
  }

  const matched = hits.map((h) => h.rule.id);
  const best = hits[0];
  if (best) {
    const { rule, hit } = best;
    const detail: StateDetail = { rule: rule.id, evidence: evidenceOf(hit.line), confidence: rule.confidence };
    if (rule.state === 'rate_limited') {
      const resetsAt = parseResetTime(hit.match.groups?.resetsAt ?? hit.line, now);
      if (resetsAt) detail.resetsAt = resetsAt;
    }
    const others = hits.length > 1 ? `; outranked ${hits.slice(1).map((h) => `${h.rule.id} (${h.rule.priority})`).join(', ')}` : '';
    return {
      view,
      state: rule.state,
      detail,
      rules: attempts,
      matched,
      decision: `rule ${rule.id} matched with the highest priority (${rule.priority})${others}`,
      immediate: rule.immediate,
      activity: false,
    };
  }

  if (profile.fallback === 'activity') {
    const quiet = quietMs ?? Number.POSITIVE_INFINITY;
    const working = quiet < idleAfterMs;
    // Stable wording: the evidence is stored with the agent, and a clock in it would rewrite it every cycle
    // (the exact quiet time is in the explain trace).
    const evidence =
      quietMs === undefined
        ? 'no change seen since the first screen (clocks, spinners and counters aside): taken as quiet'
        : working
          ? `screen changed within the last ${idleAfterMs} ms`
          : `screen quiet for over ${idleAfterMs} ms`;
    return {
      view,
      state: working ? 'working' : 'idle',
      detail: { rule: working ? 'activity.changing' : 'activity.quiet', evidence, confidence: 0.5 },
      rules: attempts,
      matched,
      decision: 'no rule matched; the profile falls back to screen activity',
      immediate: false,
      activity: true,
    };
  }
  const last = view.nonBlank.at(-1)?.text ?? '';
  return {
    view,
    state: profile.fallback,
    detail: { rule: `${profile.kind}.fallback`, evidence: evidenceOf(last), confidence: 0.2 },
    rules: attempts,
    matched,
    decision: `no rule matched; the profile's fallback state is ${profile.fallback}`,
    immediate: false,
    activity: false,
  };
}
