// The stateful classifier the poll loop calls, one pane at a time, as four named steps: the kind (process tree,
// command, screen), the time (meaningful change, work), the rules (the kind's profile), and stability (a new state
// is published once confirmed). Each step lives in its own file; this one wires them to a pane's memory.
import { fileURLToPath } from 'node:url';
import type { AgentKind } from '../agents/model.ts';
import type { PaneInfo } from '../tmux/types.ts';
import { deadCandidate } from './dead-pane.ts';
import { kindFromCommand, type KindResult } from './kind.ts';
import { agentGone, kindOf, treeOf, viewOf } from './kind-step.ts';
import { newMemory, type Candidate, type Memory } from './memory.ts';
import { ProfileSet, type ReloadResult } from './profile-set.ts';
import { ProcessTable } from './processes.ts';
import { classifyWith, rulesCandidate, type RuleTimes } from './rules-step.ts';
import { stabilise } from './stability.ts';
import { observeScreen, type Quiet } from './timing.ts';
import { traceOf } from './trace.ts';
import type { Classification, Classifier, ClassifyInput, DetectionTrace, ProcessInfo } from './types.ts';

export { classifyWith } from './rules-step.ts';
export { deadPane } from './dead-pane.ts';

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
  log?: (msg: string, level?: 'warn') => void;
}

export type Detector = Classifier & {
  explain(id: string): DetectionTrace | null;
  reload(): ReloadResult;
  close(): void;
};

/** The kind step's answer: the kind, and a verdict already when pane facts decide (dead, agent gone). */
interface KindStep {
  kind: KindResult;
  candidate: Candidate | null;
}

export function createDetector(opts: DetectorOptions = {}): Detector {
  const required = Math.max(1, opts.confirmObservations ?? 2);
  const times = { idleAfterMs: opts.idleAfterMs ?? 5000, stuckAfterMs: opts.stuckAfterMs ?? 120_000 };
  const table = new ProcessTable(); // reads nothing until asked for a tree
  const processes = opts.processes ?? ((pid: number, fresh: boolean) => table.tree(pid, fresh));
  const set = new ProfileSet([BUILT_IN_PROFILES, ...(opts.profileDirs ?? [])], opts.log ?? (() => {}));
  if (opts.watch) set.watch();
  const memory = new Map<string, Memory>();

  function remember(id: string): Memory {
    let m = memory.get(id);
    if (!m) memory.set(id, (m = newMemory()));
    return m;
  }

  /** The screen through `kind`'s profile alone, as if quiet: what its last words say (a resume hint, a crash). */
  const lastWords = (pane: PaneInfo, screen: string, now: number) => (kind: AgentKind) =>
    classifyWith(set.profiles, kind, screen, viewOf(pane), undefined, { ...times, now });

  function kindStep(m: Memory, input: ClassifyInput): KindStep {
    const { pane, screen, now } = input;
    if (pane.dead) {
      const kind = m.agentKind ?? m.published?.kind ?? kindFromCommand(set.profiles, pane.currentCommand) ?? 'program';
      const candidate = deadCandidate(kind, pane, () => lastWords(pane, screen, now)(kind));
      return { kind: { kind, reason: 'pane is dead: kind as last seen', fromProcess: true }, candidate };
    }
    const tree = treeOf(m, pane, processes);
    const found = kindOf(m, set.profiles, set.generation, tree, pane, screen, input.screenChangedAt, now);
    return agentGone(m, set.profiles, found, tree, pane, screen, lastWords(pane, screen, now));
  }

  function timeStep(m: Memory, input: ClassifyInput, kind: AgentKind): Quiet {
    const profile = set.profiles.get(kind);
    return observeScreen(m.activity, input.screen, input.screenChangedAt, input.now, {
      volatile: profile?.volatile ?? [],
      trackWork: profile?.fallback === 'activity',
    });
  }

  function rulesStep(m: Memory, input: ClassifyInput, kind: AgentKind, quiet: Quiet): Candidate {
    const trackWork = set.profiles.get(kind)?.fallback === 'activity';
    const ruleTimes: RuleTimes = { ...times, now: input.now };
    return rulesCandidate(
      m,
      set.profiles,
      {
        kind,
        screen: input.screen,
        screenChangedAt: input.screenChangedAt,
        pane: viewOf(input.pane),
        quiet,
        changeSeen: trackWork ? m.activity.workSeen : m.activity.changeSeen,
        generation: set.generation,
      },
      ruleTimes,
    );
  }

  /** Overwritten in place: the common cycle allocates nothing here. */
  function keepForExplain(m: Memory, input: ClassifyInput, kind: KindResult, quiet: Quiet, candidate: Candidate, immediate: boolean): void {
    const last = (m.last ??= { at: 0, screenChangedAt: 0, quietMs: 0, workQuietMs: 0, kindReason: '', profile: undefined, candidate, immediate });
    last.at = input.now;
    last.screenChangedAt = input.screenChangedAt;
    last.quietMs = quiet.quietMs;
    last.workQuietMs = quiet.workQuietMs;
    last.kindReason = kind.reason;
    last.profile = set.profiles.get(kind.kind);
    last.candidate = candidate;
    last.immediate = immediate;
  }

  function classify(input: ClassifyInput): Classification {
    const m = remember(input.id);
    const step = kindStep(m, input);
    const quiet = timeStep(m, input, step.kind.kind);
    const candidate = step.candidate ?? rulesStep(m, input, step.kind.kind, quiet);
    opts.onRuleHit?.(candidate.classification.kind, candidate.classification.detail.rule);
    const { published, immediate } = stabilise(m, candidate, required);
    keepForExplain(m, input, step.kind, quiet, candidate, immediate);
    return published;
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
      const trace = m ? traceOf(id, m, required) : null;
      return trace ? structuredClone(trace) : null;
    },
    reload: () => set.reload(),
    prepare() {
      if (!opts.processes) table.refresh();
    },
    close: () => set.close(),
  };
}
