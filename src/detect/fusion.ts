// Fusion of what an agent says about itself (hook signals) with what its screen shows. Wraps any classifier:
// the screen is still read every cycle, a fresh hook state wins over it, and a screen that contradicts the hook
// with a real rule for the confirmation window wins back. Knows nothing of where a signal came from.
import { z } from 'zod';
import type { AgentKind, AgentState, StateDetail } from '../agents/model.ts';
import { AgentKindSchema, AgentStateSchema } from '../schemas.ts';
import type { PaneInfo } from '../tmux/types.ts';
import { meaningfulHash } from './activity.ts';
import type { Detector } from './detector.ts';
import { ClassificationSchema, DetectionTraceSchema, type Classification, type ClassifyInput } from './types.ts';

export const HookSignalSchema = z
  .object({
    state: AgentStateSchema,
    event: z.string().describe("The agent's own event name (PermissionRequest, agent-turn-complete, …)"),
    rule: z.string().describe('hook.<source>.<event>: the detail.rule it is published with'),
    message: z.string().describe('What the agent said (tool and command, notification text), redacted'),
    kind: AgentKindSchema.nullable().describe("The agent kind the hook proves (an agent's own hook), or null (a generic report)"),
    at: z.number().describe('Epoch ms it arrived'),
  })
  .describe('One state an agent announced: the small, source-free result of a hook payload');
/** One state an agent announced: the small, source-free result of a hook payload. */
export type HookSignal = z.infer<typeof HookSignalSchema>;

export const FusionTraceSchema = z
  .object({
    hook: HookSignalSchema.extend({ ageMs: z.number() }).nullable().describe('The hook signal held for the pane, if any'),
    screen: ClassificationSchema.nullable().describe("The screen's own classification"),
    winner: z.enum(['hook', 'screen']),
    decision: z.string().describe('Why the winner won'),
    contradiction: z
      .object({ state: AgentStateSchema, sinceMs: z.number(), observations: z.number().int(), requiredMs: z.number() })
      .nullable()
      .describe('The screen saying another state with a rule, not yet for long enough'),
    overridden: z
      .object({ signal: HookSignalSchema, why: z.string(), at: z.string() })
      .nullable()
      .describe('The last hook signal the screen won over, and why'),
  })
  .describe('Both sides of the decision: what the agent said (hooks) and what its screen shows');
export type FusionTrace = z.infer<typeof FusionTraceSchema>;

/** The detection trace with the fusion of hook and screen. */
export const FusedTraceSchema = DetectionTraceSchema.extend({ fusion: FusionTraceSchema.optional() });
export type FusedTrace = z.infer<typeof FusedTraceSchema>;

export interface FusionOptions {
  /** How long a strong screen rule must contradict the hook state before the screen wins. */
  confirmMs: number;
  /** A signal older than this no longer outranks the screen. */
  freshMs: number;
  /** A hook `working` with no meaningful screen change (nor a newer hook) this long is `stuck`. */
  stuckAfterMs: number;
}

export type FusedDetector = Omit<Detector, 'explain'> & {
  /** Record what an agent announced; the next classify() or fuseNow() takes it into account. */
  signal(id: string, signal: HookSignal): void;
  /** The pane's state now from its last screen and its signals, without reading the screen again; null if never classified. */
  fuseNow(id: string, now: number): Classification | null;
  explain(id: string): FusedTrace | null;
};

/** Hook state → screen states that only say more about it: the screen's answer is shown, the signal kept. */
const REFINES: Partial<Record<AgentState, AgentState[]>> = {
  idle: ['unsubmitted'], // the user is typing at the prompt the agent went idle at
  error: ['rate_limited'], // the failure, with when it lifts
};

/** Hook state → screen states that do not contradict it: an agent that failed or stopped sits at its prompt. */
const COMPATIBLE: Partial<Record<AgentState, AgentState[]>> = {
  error: ['idle'],
  rate_limited: ['idle', 'error'],
  idle: ['error'], // an old error line above the prompt; Stop said the turn ended
  exited: ['idle'],
};

/** Screen decisions that are guesses, not rules: a quiet fallback never overrides what the agent said. */
const WEAK_RULE = /(^|\.)fallback$|^activity\.|^profile\.missing$|^time\./;

interface PaneFusion {
  pane: PaneInfo | null;
  screen: Classification | null;
  screenSide: { from: Classification; out: Classification } | null;
  signal: HookSignal | null;
  /** The screen's kind when the signal came (null: not classified yet, the next one): another program voids it. */
  signalScreenKind: AgentKind | null;
  /** Last meaningful screen change seen while a signal is held (for stuck). */
  activity: { screenChangedAt: number; hash: string; at: number } | null;
  contradiction: { state: AgentState; since: number; count: number } | null;
  overridden: { signal: HookSignal; why: string; at: number } | null;
  out: Classification | null;
  winner: 'hook' | 'screen';
  decision: string;
}

export function withHookFusion(inner: Detector, opts: FusionOptions): FusedDetector {
  const memory = new Map<string, PaneFusion>();

  function remember(id: string): PaneFusion {
    let m = memory.get(id);
    if (!m) {
      m = { pane: null, screen: null, screenSide: null, signal: null, signalScreenKind: null, activity: null, contradiction: null, overridden: null, out: null, winner: 'screen', decision: '' };
      memory.set(id, m);
    }
    return m;
  }

  function classify(input: ClassifyInput): Classification {
    const screen = inner.classify(input);
    const m = remember(input.id);
    m.pane = input.pane;
    m.screen = screen;
    if (m.signal && m.signalScreenKind === null) m.signalScreenKind = screen.kind; // signalled before its first screen
    if (!m.signal) return m.overridden ? decide(m, input.now, opts) : screenSide(m, 'no hook signal: the screen decides');
    noteActivity(m, input);
    noteContradiction(m, input.now);
    return decide(m, input.now, opts);
  }

  return {
    classify,
    forget(id: string) {
      memory.delete(id);
      inner.forget(id);
    },
    prepare() {
      inner.prepare?.();
    },
    reload: () => inner.reload(),
    close: () => inner.close(),
    signal(id: string, signal: HookSignal) {
      const m = remember(id);
      m.signal = signal;
      m.signalScreenKind = m.screen?.kind ?? null;
      m.contradiction = null;
      m.overridden = null;
      m.activity = null;
    },
    fuseNow(id: string, now: number): Classification | null {
      const m = memory.get(id);
      return m?.screen ? decide(m, now, opts) : null;
    },
    explain(id: string): FusedTrace | null {
      const trace = inner.explain(id);
      const m = memory.get(id);
      if (!trace || !m?.screen) return trace;
      return { ...trace, published: m.out ?? trace.published, fusion: traceOf(m, Date.now(), opts) };
    },
  };
}

/** The pane's state now: the screen's, unless a signal is held and still speaks for the pane. */
function decide(m: PaneFusion, now: number, opts: FusionOptions): Classification {
  if (!m.signal) return screenSide(m, m.overridden ? `no hook signal since the screen won: ${m.overridden.why}` : 'no hook signal: the screen decides');
  return signalVoided(m, now, opts) ?? screenOutranks(m, now, opts) ?? hookState(m, now, opts);
}

/** The screen decides when the signal no longer speaks for the pane: too old, another program, a dead pane, a gone process. */
function signalVoided(m: PaneFusion, now: number, opts: FusionOptions): Classification | null {
  const screen = m.screen!;
  const signal = m.signal!;
  if (now - signal.at > opts.freshMs) {
    drop(m, `the hook signal is older than ${opts.freshMs} ms`, now);
    return screenSide(m, 'the last hook signal went stale: the screen decides');
  }
  if (m.signalScreenKind !== null && screen.kind !== m.signalScreenKind) {
    drop(m, `the pane runs ${screen.kind} now, not the ${m.signalScreenKind ?? 'program'} that sent the hook`, now);
    return screenSide(m, 'another program runs in the pane since the hook: the screen decides');
  }
  if (screen.detail.rule === 'pane.dead') {
    drop(m, `the pane died (${screen.detail.evidence})`, now);
    return screenSide(m, "the pane's process ended: its exit status decides");
  }
  if (screen.detail.rule === 'process.gone') {
    if (signal.state === 'exited') return hookSide(m, 'exited', hookDetail(signal), 'the agent announced its session end and then left the pane: a clean exit');
    drop(m, screen.detail.evidence, now);
    return screenSide(m, 'the agent process is gone without announcing it: crashed');
  }
  return null;
}

/** The screen wins while the signal holds when it says more than the hook, or has contradicted it long enough. */
function screenOutranks(m: PaneFusion, now: number, opts: FusionOptions): Classification | null {
  const screen = m.screen!;
  const signal = m.signal!;
  if (REFINES[signal.state]?.includes(screen.state)) {
    return screenSide(m, `the screen's ${screen.state} says more than the hook's ${signal.state} (${signal.rule})`);
  }
  const c = m.contradiction;
  if (c && now - c.since >= opts.confirmMs && c.count >= 2) {
    const why = `the screen showed ${c.state} (${screen.detail.rule}) for ${now - c.since} ms ≥ ${opts.confirmMs} ms against the hook's ${signal.state} (${signal.rule})`;
    drop(m, why, now);
    return screenSide(m, why);
  }
  return null;
}

/** What the agent said, or stuck: a hook `working` with neither a hook nor a meaningful screen change for too long. */
function hookState(m: PaneFusion, now: number, opts: FusionOptions): Classification {
  const signal = m.signal!;
  if (signal.state === 'working') {
    const quietSince = Math.max(m.activity?.at ?? signal.at, signal.at);
    if (now - quietSince >= opts.stuckAfterMs) {
      const detail: StateDetail = {
        rule: 'time.stuck',
        evidence: `${signal.message} — no hook and no meaningful screen change for over ${Math.round(opts.stuckAfterMs / 1000)} s`,
        confidence: 0.9,
        source: 'hook',
      };
      return hookSide(m, 'stuck', detail, `the hook said working (${signal.rule}), but neither a hook nor the screen moved for ${now - quietSince} ms ≥ ${opts.stuckAfterMs} ms`);
    }
  }
  const c = m.contradiction;
  const against = c ? `; the screen says ${c.state} for ${now - c.since} ms, not yet ${opts.confirmMs} ms` : '';
  return hookSide(m, signal.state, hookDetail(signal), `the agent's hook ${signal.event} says ${signal.state}${against}`);
}

/** The screen's classification marked as such; the same object while the screen's answer is the same. */
function screenSide(m: PaneFusion, why: string): Classification {
  const screen = m.screen!;
  if (m.screenSide?.from !== screen) {
    m.screenSide = { from: screen, out: { ...screen, detail: { ...screen.detail, source: 'screen' } } };
  }
  m.winner = 'screen';
  m.decision = why;
  return (m.out = m.screenSide.out);
}

/** The hook's side; the same object as last time while nothing in it changed. */
function hookSide(m: PaneFusion, state: AgentState, detail: StateDetail, why: string): Classification {
  const kind = m.signal!.kind ?? m.screen!.kind;
  const prev = m.out;
  m.winner = 'hook';
  m.decision = why;
  if (prev && prev.kind === kind && prev.state === state && prev.detail.rule === detail.rule && prev.detail.evidence === detail.evidence) return prev;
  return (m.out = { kind, state, detail });
}

/** Lets the signal go, remembering why for /explain. */
function drop(m: PaneFusion, why: string, now: number): void {
  if (m.signal) m.overridden = { signal: m.signal, why, at: now };
  m.signal = null;
  m.contradiction = null;
  m.activity = null;
}

function isStrong(c: Classification): boolean {
  return c.state !== 'unknown' && c.state !== 'starting' && c.detail.confidence >= 0.6 && !WEAK_RULE.test(c.detail.rule);
}

function contradicts(hook: AgentState, screen: Classification): boolean {
  if (screen.state === hook || !isStrong(screen)) return false;
  return !(COMPATIBLE[hook]?.includes(screen.state) ?? false) && !(REFINES[hook]?.includes(screen.state) ?? false);
}

/** Counts consecutive observations (after the signal) where the screen says otherwise with a real rule. */
function noteContradiction(m: PaneFusion, now: number): void {
  const screen = m.screen!;
  if (!m.signal || !contradicts(m.signal.state, screen)) {
    m.contradiction = null;
    return;
  }
  const c = m.contradiction;
  m.contradiction = c?.state === screen.state ? { ...c, count: c.count + 1 } : { state: screen.state, since: now, count: 1 };
}

/** When the screen last changed in a way that survives normalisation (spinners, clocks), while a signal is held. */
function noteActivity(m: PaneFusion, input: ClassifyInput): void {
  const a = m.activity;
  if (a?.screenChangedAt === input.screenChangedAt) return;
  const hash = meaningfulHash(input.screen, []);
  if (!a) m.activity = { screenChangedAt: input.screenChangedAt, hash, at: input.screenChangedAt };
  else m.activity = { screenChangedAt: input.screenChangedAt, hash, at: hash === a.hash ? a.at : input.screenChangedAt };
}

/** Both sides of the pane's last decision, for /explain. */
function traceOf(m: PaneFusion, now: number, opts: FusionOptions): FusionTrace {
  const c = m.contradiction;
  return {
    hook: m.signal ? { ...m.signal, ageMs: now - m.signal.at } : null,
    screen: m.screen,
    winner: m.winner,
    decision: m.decision,
    contradiction: c ? { state: c.state, sinceMs: now - c.since, observations: c.count, requiredMs: opts.confirmMs } : null,
    overridden: m.overridden ? { ...m.overridden, at: new Date(m.overridden.at).toISOString() } : null,
  };
}

function hookDetail(signal: HookSignal): StateDetail {
  return { rule: signal.rule, evidence: signal.message, confidence: 1, source: 'hook' };
}
