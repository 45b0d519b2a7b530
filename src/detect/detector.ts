// The stateful classifier the poll loop calls: kind from the process tree, state from the profile rules,
// then time (stuck, quiet programs) and stability (a new state is published once confirmed).
import { watch, type FSWatcher } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AgentKind, AgentState, StateDetail } from '../agents/model.ts';
import type { PaneInfo } from '../tmux/types.ts';
import { meaningfulHash } from './activity.ts';
import { evaluate, evidenceOf } from './engine.ts';
import { AGENT_ONLY, identifyKind, kindFromCommand, type KindResult } from './kind.ts';
import { loadProfiles, type LoadedProfile } from './profile.ts';
import { ProcessTable } from './processes.ts';
import type { Classification, Classifier, ClassifyInput, DetectionTrace, ProcessInfo, RuleAttempt } from './types.ts';

export const BUILT_IN_PROFILES = fileURLToPath(new URL('../../profiles/', import.meta.url));

export interface DetectorOptions {
  profileDirs?: string[];
  watch?: boolean;
  stuckAfterMs?: number;
  idleAfterMs?: number;
  confirmObservations?: number;
  /**
   * A pane's process tree, asked on every observation of a live pane; `fresh` when the pane is new or its pid or
   * foreground command changed. Default: one ProcessTable over /proc for all panes.
   */
  processes?: (panePid: number, fresh: boolean) => ProcessInfo[];
  onRuleHit?(kind: string, rule: string): void;
  log?: (msg: string) => void;
}

export type Detector = Classifier & {
  explain(id: string): DetectionTrace | null;
  reload(): { ok: boolean; errors: string[]; profiles: string[] };
  close(): void;
};

/** One observation's verdict before stability: the state, and whether it may skip confirmation. */
interface Candidate {
  classification: Classification;
  immediate: boolean;
  why: string;
  rules: RuleAttempt[];
  matched: string[];
}

/** What the detector remembers of one pane between cycles. */
interface Memory {
  agentKind: AgentKind | null; // last agent seen in the tree: its disappearance is a crash
  published: Classification | null;
  pending: { state: AgentState; count: number } | null;
  screenChangedAt: number | null;
  meaningfulHash: string | null;
  meaningfulChangeAt: number | null;
  /** A meaningful change was seen since the pane was first observed: before that its quiet time is unknown. */
  changeSeen: boolean;
  last: Observed | null;
  tree: { pid: number; command: string } | null; // what the tree was last read fresh for
  kindMemo: KindMemo | null;
  rulesMemo: RulesMemo | null;
}

/**
 * The parts of the last observation that explain() needs beyond Memory. Kept as references and built into a
 * DetectionTrace only when asked: a trace per pane per cycle (with its ISO strings) is garbage nobody reads.
 */
interface Observed {
  at: number;
  screenChangedAt: number;
  quietMs: number;
  kindReason: string;
  profile: LoadedProfile | undefined;
  candidate: Candidate;
  immediate: boolean;
}

/** identifyKind's answer, which holds while the tree (the same array) and the profiles do. */
interface KindMemo {
  procs: ProcessInfo[];
  generation: number;
  // Read only without a tree, when the command and the screen's signature decide.
  command: string;
  title: string;
  screenChangedAt: number;
  result: KindResult;
}

/** The rules' answer and everything it was computed from (see step 3 of classify). */
interface RulesMemo {
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

const AGENTS = new Set<AgentKind>(AGENT_ONLY);

/**
 * Pane facts that need no screen reading: a dead pane exits (status 0) or crashes (non-zero status, or killed by
 * a signal). tmux 3.3a often records neither when a client is attached as the process dies (our pool always
 * is): then the agent's profile reads the screen, and failing that it is `exited` with low confidence.
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
    return { state: 'exited', detail: { rule: 'pane.dead', evidence: 'pane is dead (tmux reported no exit status)', confidence: 0.5 } };
  }
  return {
    state: status === 0 ? 'exited' : 'crashed',
    detail: { rule: 'pane.dead', evidence: `pane exited with status ${status}`, confidence: 1 },
  };
}

export function classifyWith(
  profiles: Map<string, LoadedProfile>,
  kind: AgentKind,
  screen: string,
  pane: { title: string; command: string },
  quietMs: number | undefined,
  opts: { idleAfterMs: number; stuckAfterMs: number; now: number; changeSeen?: boolean },
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
  // Without a change seen, `fallback: activity` takes the screen as quiet (as for a single screen): a program that
  // was already still when first observed is idle at once, not working until idleAfterMs has passed.
  const r = evaluate(profile, screen, pane, opts.changeSeen === false ? undefined : quietMs, opts.idleAfterMs, opts.now);
  let state = r.state;
  let detail = r.detail;
  let why = r.decision;
  if (state === 'working' && profile.stuck && !r.activity && quietMs !== undefined && quietMs >= opts.stuckAfterMs) {
    state = 'stuck';
    detail = {
      rule: 'time.stuck',
      evidence: `${detail.evidence} — no meaningful screen change for over ${Math.round(opts.stuckAfterMs / 1000)} s`,
      confidence: Math.min(0.9, detail.confidence),
    };
    why += `; but the screen has not changed (ignoring spinners, clocks, counters) for ${Math.round(quietMs / 1000)} s ≥ ${opts.stuckAfterMs} ms, so stuck`;
  }
  return { profile, classification: { kind, state, detail }, immediate: r.immediate, why, rules: r.rules, matched: r.matched };
}

const viewOf = (pane: PaneInfo) => ({ title: pane.title, command: pane.currentCommand });

export function createDetector(opts: DetectorOptions = {}): Detector {
  const stuckAfterMs = opts.stuckAfterMs ?? 120_000;
  const idleAfterMs = opts.idleAfterMs ?? 5000;
  const required = Math.max(1, opts.confirmObservations ?? 2);
  const table = new ProcessTable(); // reads nothing until asked for a tree
  const processes = opts.processes ?? ((pid: number, fresh: boolean) => table.tree(pid, fresh));
  const dirs = [BUILT_IN_PROFILES, ...(opts.profileDirs ?? [])];
  const log = opts.log ?? (() => {});
  const memory = new Map<string, Memory>();
  let profiles = new Map<string, LoadedProfile>();
  let generation = 0; // bumped on every reload: memoised rule answers of older profiles are void
  let loadedOnce = false;

  function reload(): { ok: boolean; errors: string[]; profiles: string[] } {
    const result = loadProfiles(dirs);
    const names = [...result.profiles.keys()].sort();
    if (result.errors.length > 0 && loadedOnce) {
      for (const e of result.errors) log(`detection profiles rejected, keeping the previous set: ${e}`);
      return { ok: false, errors: result.errors, profiles: [...profiles.keys()].sort() };
    }
    for (const e of result.errors) log(`detection profile error: ${e}`);
    profiles = result.profiles;
    generation++;
    loadedOnce = true;
    log(`detection profiles loaded: ${names.join(', ')} from ${dirs.join(', ')}`);
    return { ok: result.errors.length === 0, errors: result.errors, profiles: names };
  }
  reload();

  const watchers: FSWatcher[] = [];
  let debounce: NodeJS.Timeout | null = null;
  if (opts.watch) {
    for (const dir of dirs) {
      try {
        const w = watch(dir, () => {
          if (debounce) clearTimeout(debounce);
          debounce = setTimeout(() => {
            debounce = null;
            reload();
          }, 200);
          debounce.unref();
        });
        w.on('error', (err) => log(`watching ${dir} failed: ${err.message}`));
        watchers.push(w);
      } catch (err) {
        log(`cannot watch profile directory ${dir}: ${(err as Error).message}`);
      }
    }
  }

  function remember(id: string): Memory {
    let m = memory.get(id);
    if (!m) {
      m = { agentKind: null, published: null, pending: null, screenChangedAt: null, meaningfulHash: null, meaningfulChangeAt: null, changeSeen: false, last: null, tree: null, kindMemo: null, rulesMemo: null };
      memory.set(id, m);
    }
    return m;
  }

  // An agent starting or leaving usually shows in the pane's pid or foreground command: read the tree afresh then.
  function treeOf(m: Memory, pane: PaneInfo): ProcessInfo[] {
    const fresh = m.tree?.pid !== pane.panePid || m.tree.command !== pane.currentCommand;
    if (fresh) m.tree = { pid: pane.panePid, command: pane.currentCommand };
    return processes(pane.panePid, fresh);
  }

  function kindOf(m: Memory, tree: ProcessInfo[], pane: PaneInfo, screen: string, screenChangedAt: number): KindResult {
    const k = m.kindMemo;
    if (
      k?.procs === tree &&
      k.generation === generation &&
      (tree.length > 0 || (k.command === pane.currentCommand && k.title === pane.title && k.screenChangedAt === screenChangedAt))
    ) {
      return k.result;
    }
    const result = identifyKind(profiles, tree, viewOf(pane), screen);
    m.kindMemo = { procs: tree, generation, command: pane.currentCommand, title: pane.title, screenChangedAt, result };
    return result;
  }

  function classify(input: ClassifyInput): Classification {
    const { id, pane, screen, now } = input;
    const m = remember(id);

    // 1. Kind: process tree (authoritative), remembering an agent so that its disappearance reads as a crash.
    let kindResult: KindResult;
    let candidate: Candidate | null = null;
    const dead = deadPane(pane);
    const tree = dead ? [] : treeOf(m, pane);
    if (dead) {
      const kind = m.agentKind ?? m.published?.kind ?? kindFromCommand(profiles, pane.currentCommand) ?? 'program';
      kindResult = { kind, reason: 'pane is dead: kind as last seen', fromProcess: true };
      candidate = { classification: { kind, ...dead }, immediate: true, why: dead.detail.evidence, rules: [], matched: [] };
      if (pane.deadStatus === null && (pane.deadSignal ?? null) === null) {
        // No status from tmux: the agent's own last words (a resume hint, a stack trace) may still tell.
        const own = classifyWith(profiles, kind, screen, viewOf(pane), undefined, { idleAfterMs, stuckAfterMs, now });
        const s = own.classification.state;
        if (s === 'exited' || s === 'crashed') candidate = { ...own, immediate: true, why: `${dead.detail.evidence}; ${own.why}` };
      }
    } else {
      kindResult = kindOf(m, tree, pane, screen, input.screenChangedAt);
      if (AGENTS.has(kindResult.kind)) {
        m.agentKind = kindResult.kind;
      } else if (m.agentKind && kindResult.kind === 'shell' && kindFromCommand(profiles, pane.currentCommand) === 'shell') {
        const gone = m.agentKind;
        kindResult = { kind: gone, reason: `${gone} was running in this pane and is no longer in its process tree`, fromProcess: true };
        // The agent's own profile may tell a clean exit (a goodbye or resume hint above the prompt) from a crash.
        const own = classifyWith(profiles, gone, screen, viewOf(pane), undefined, { idleAfterMs, stuckAfterMs, now });
        const s = own.classification.state;
        const last = screen.trimEnd().split('\n').at(-1) ?? '';
        candidate =
          s === 'exited' || s === 'crashed'
            ? { ...own, immediate: true, why: `the agent process left the tree; ${own.why}` }
            : {
                classification: {
                  kind: gone,
                  state: 'crashed',
                  detail: { rule: 'process.gone', evidence: `${gone} process gone; back at the shell: ${evidenceOf(last)}`, confidence: 0.9 },
                },
                immediate: true,
                why: 'the agent process left the tree and the pane is back at its shell; its screen shows no clean exit',
                rules: own.rules,
                matched: own.matched,
              };
      } else {
        m.agentKind = null; // something else runs now: the pane is no longer that agent's
      }
    }

    // 2. Activity: when did the screen last change in a way that matters?
    const profile = profiles.get(kindResult.kind);
    if (m.screenChangedAt !== input.screenChangedAt || m.meaningfulHash === null) {
      const hash = meaningfulHash(screen, profile?.volatile ?? []);
      if (hash !== m.meaningfulHash) {
        if (m.meaningfulHash !== null) m.changeSeen = true;
        m.meaningfulChangeAt = input.screenChangedAt;
        m.meaningfulHash = hash;
      }
      m.screenChangedAt = input.screenChangedAt;
    }
    const quietMs = now - (m.meaningfulChangeAt ?? input.screenChangedAt);

    // 3. Screen rules.
    if (!candidate) {
      // The rules read only the screen, the pane's title and command, and which side of the idle and stuck
      // thresholds the quiet time is on: while none of that moves, the last answer stands (most panes, most cycles).
      const quiet = quietMs < idleAfterMs;
      const stuck = quietMs >= stuckAfterMs;
      const r = m.rulesMemo;
      if (
        r?.screenChangedAt === input.screenChangedAt &&
        r.kind === kindResult.kind &&
        r.title === pane.title &&
        r.command === pane.currentCommand &&
        r.changeSeen === m.changeSeen &&
        r.quiet === quiet &&
        r.stuck === stuck &&
        r.generation === generation
      ) {
        candidate = r.result;
      } else {
        candidate = classifyWith(profiles, kindResult.kind, screen, viewOf(pane), quietMs, { idleAfterMs, stuckAfterMs, now, changeSeen: m.changeSeen });
        m.rulesMemo = {
          screenChangedAt: input.screenChangedAt,
          kind: kindResult.kind,
          title: pane.title,
          command: pane.currentCommand,
          changeSeen: m.changeSeen,
          quiet,
          stuck,
          generation,
          result: candidate,
        };
      }
    }
    opts.onRuleHit?.(candidate.classification.kind, candidate.classification.detail.rule);

    // 4. Stability: publish a new state once confirmed, unless it is unambiguous.
    const next = candidate.classification;
    const prev = m.published;
    let published: Classification;
    let immediate = false;
    if (!prev || candidate.immediate || prev.kind !== next.kind || prev.state === next.state) {
      immediate = !prev || candidate.immediate || prev.kind !== next.kind;
      published = next;
      m.pending = null;
    } else {
      m.pending = m.pending?.state === next.state ? { state: next.state, count: m.pending.count + 1 } : { state: next.state, count: 1 };
      if (m.pending.count >= required) {
        published = next;
        m.pending = null;
      } else {
        published = prev;
      }
    }
    m.published = published;

    // Overwritten in place: the common cycle allocates nothing here.
    const last = (m.last ??= { at: 0, screenChangedAt: 0, quietMs: 0, kindReason: '', profile: undefined, candidate, immediate });
    last.at = now;
    last.screenChangedAt = input.screenChangedAt;
    last.quietMs = quietMs;
    last.kindReason = kindResult.reason;
    last.profile = profile;
    last.candidate = candidate;
    last.immediate = immediate;
    return published;
  }

  function traceOf(id: string, m: Memory): DetectionTrace | null {
    const o = m.last;
    if (!o || !m.published) return null;
    const iso = (ms: number) => new Date(ms).toISOString();
    return {
      id,
      at: iso(o.at),
      kind: m.published.kind,
      kindReason: o.kindReason,
      profile: o.profile ? o.profile.sources.join(', ') : null,
      rules: o.candidate.rules,
      matched: o.candidate.matched,
      candidate: o.candidate.classification,
      decision: o.candidate.why,
      published: m.published,
      stability: { pending: m.pending?.state ?? null, confirmations: m.pending?.count ?? 0, required, immediate: o.immediate },
      activity: {
        screenChangedAt: iso(o.screenChangedAt),
        meaningfulChangeAt: m.meaningfulChangeAt === null ? null : iso(m.meaningfulChangeAt),
        quietMs: o.quietMs,
      },
    };
  }

  return {
    classify,
    forget(id: string) {
      const pid = memory.get(id)?.tree?.pid;
      if (pid !== undefined) table.forget(pid);
      memory.delete(id);
    },
    explain(id: string): DetectionTrace | null {
      const m = memory.get(id);
      const trace = m ? traceOf(id, m) : null;
      return trace ? structuredClone(trace) : null;
    },
    reload,
    prepare() {
      if (!opts.processes) table.refresh();
    },
    close() {
      if (debounce) clearTimeout(debounce);
      debounce = null;
      for (const w of watchers.splice(0)) w.close();
    },
  };
}
