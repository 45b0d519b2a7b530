// Fusion of what an agent says about itself (hook signals) with what its screen shows. Wraps any classifier:
// the screen is still read every cycle, a fresh hook state wins over it, and a screen that contradicts the hook
// with a real rule for the confirmation window wins back. Knows nothing of where a signal came from.
import type { AgentKind, AgentState, StateDetail } from '../agents/model.ts';
import type { PaneInfo } from '../tmux/types.ts';
import { meaningfulHash } from './activity.ts';
import type { Classification, Classifier, ClassifyInput } from './types.ts';

/** One state an agent announced: the small, source-free result of a hook payload. */
export interface HookSignal {
  state: AgentState;
  /** The agent's own event name (`PermissionRequest`, `agent-turn-complete`, …). */
  event: string;
  /** `hook.<source>.<event>`: the detail.rule it is published with. */
  rule: string;
  /** What the agent said (tool and command, notification text), redacted. */
  message: string;
  /** The agent kind the hook proves (an agent's own hook), or null (a generic report). */
  kind: AgentKind | null;
  at: number; // epoch ms it arrived
}

export interface FusionOptions {
  /** How long a strong screen rule must contradict the hook state before the screen wins. */
  confirmMs: number;
  /** A signal older than this no longer outranks the screen. */
  freshMs: number;
  /** A hook `working` with no meaningful screen change (nor a newer hook) this long is `stuck`. */
  stuckAfterMs: number;
}

/** Both sides of the last decision for a pane, for explain(). */
export interface FusionTrace {
  hook: (HookSignal & { ageMs: number }) | null;
  screen: Classification | null;
  winner: 'hook' | 'screen';
  decision: string;
  contradiction: { state: AgentState; sinceMs: number; observations: number; requiredMs: number } | null;
  overridden: { signal: HookSignal; why: string; at: string } | null;
}

type Inner = Classifier & { explain(id: string): unknown; reload(): unknown; close(): void };

export type Fused<D extends Inner> = Omit<D, 'explain'> & {
  /** Record what an agent announced; the next classify() or fuseNow() takes it into account. */
  signal(id: string, signal: HookSignal): void;
  /** The pane's state now from its last screen and its signals, without reading the screen again; null if never classified. */
  fuseNow(id: string, now: number): Classification | null;
  explain(id: string): unknown;
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

export function withHookFusion<D extends Inner>(inner: D, opts: FusionOptions): Fused<D> {
  const memory = new Map<string, PaneFusion>();

  function remember(id: string): PaneFusion {
    let m = memory.get(id);
    if (!m) {
      m = { pane: null, screen: null, screenSide: null, signal: null, signalScreenKind: null, activity: null, contradiction: null, overridden: null, out: null, winner: 'screen', decision: '' };
      memory.set(id, m);
    }
    return m;
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

  function hookSide(m: PaneFusion, state: AgentState, detail: StateDetail, why: string): Classification {
    const kind = m.signal!.kind ?? m.screen!.kind;
    const prev = m.out;
    m.winner = 'hook';
    m.decision = why;
    if (prev && prev.kind === kind && prev.state === state && prev.detail.rule === detail.rule && prev.detail.evidence === detail.evidence) return prev;
    return (m.out = { kind, state, detail });
  }

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

  function noteActivity(m: PaneFusion, input: ClassifyInput): void {
    const a = m.activity;
    if (a?.screenChangedAt === input.screenChangedAt) return;
    const hash = meaningfulHash(input.screen, []);
    if (!a) m.activity = { screenChangedAt: input.screenChangedAt, hash, at: input.screenChangedAt };
    else m.activity = { screenChangedAt: input.screenChangedAt, hash, at: hash === a.hash ? a.at : input.screenChangedAt };
  }

  function decide(m: PaneFusion, now: number): Classification {
    const screen = m.screen!;
    const signal = m.signal;
    if (!signal) return screenSide(m, m.overridden ? `no hook signal since the screen won: ${m.overridden.why}` : 'no hook signal: the screen decides');
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
    if (REFINES[signal.state]?.includes(screen.state)) {
      return screenSide(m, `the screen's ${screen.state} says more than the hook's ${signal.state} (${signal.rule})`);
    }
    const c = m.contradiction;
    if (c && now - c.since >= opts.confirmMs && c.count >= 2) {
      const why = `the screen showed ${c.state} (${screen.detail.rule}) for ${now - c.since} ms ≥ ${opts.confirmMs} ms against the hook's ${signal.state} (${signal.rule})`;
      drop(m, why, now);
      return screenSide(m, why);
    }
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
    const against = c ? `; the screen says ${c.state} for ${now - c.since} ms, not yet ${opts.confirmMs} ms` : '';
    return hookSide(m, signal.state, hookDetail(signal), `the agent's hook ${signal.event} says ${signal.state}${against}`);
  }

  function classify(input: ClassifyInput): Classification {
    const screen = inner.classify(input);
    const m = remember(input.id);
    m.pane = input.pane;
    m.screen = screen;
    if (m.signal && m.signalScreenKind === null) m.signalScreenKind = screen.kind; // signalled before its first screen
    if (!m.signal) return m.overridden ? decide(m, input.now) : screenSide(m, 'no hook signal: the screen decides');
    noteActivity(m, input);
    noteContradiction(m, input.now);
    return decide(m, input.now);
  }

  function traceOf(id: string, m: PaneFusion, now: number): FusionTrace {
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

  const { explain: innerExplain, ...rest } = inner;
  const fused = Object.assign(Object.create(null) as object, rest, {
    classify,
    forget(id: string) {
      memory.delete(id);
      inner.forget(id);
    },
    prepare() {
      inner.prepare?.();
    },
    reload() {
      return inner.reload();
    },
    close() {
      inner.close();
    },
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
      return m?.screen ? decide(m, now) : null;
    },
    explain(id: string): unknown {
      const trace = innerExplain.call(inner, id);
      const m = memory.get(id);
      if (!m?.screen) return trace;
      const base = trace && typeof trace === 'object' ? (trace as Record<string, unknown>) : { id };
      return { ...base, published: m.out, fusion: traceOf(id, m, Date.now()) };
    },
  });
  return fused as Fused<D>;
}

function hookDetail(signal: HookSignal): StateDetail {
  return { rule: signal.rule, evidence: signal.message, confidence: 1, source: 'hook' };
}
