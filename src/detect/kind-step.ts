// The kind step: which agent (or shell, or program) a live pane runs, from its process tree, tmux's command and,
// for an agent nobody profiled, its screen; and the crash of an agent that left its pane's tree.
import type { AgentKind } from '../agents/model.ts';
import type { PaneInfo } from '../tmux/types.ts';
import { evidenceOf } from './engine.ts';
import { AGENT_ONLY, GENERIC_AGENT, identifyKind, kindFromCommand, type KindResult } from './kind.ts';
import type { Candidate, KindMemo, Memory } from './memory.ts';
import type { LoadedProfile } from './profile.ts';
import type { ProcessInfo } from './types.ts';

const AGENTS = new Set<AgentKind>([...AGENT_ONLY, GENERIC_AGENT]);

/** How often the screen of a program that might be an agent is read for the agent signature while it changes. */
const SCREEN_RECHECK_MS = 2000;

export const viewOf = (pane: PaneInfo) => ({ title: pane.title, command: pane.currentCommand });

/** An agent starting or leaving usually shows in the pane's pid or foreground command: read the tree afresh then. */
export function treeOf(m: Memory, pane: PaneInfo, processes: (pid: number, fresh: boolean) => ProcessInfo[]): ProcessInfo[] {
  const fresh = m.tree?.pid !== pane.panePid || m.tree.command !== pane.currentCommand;
  if (fresh) m.tree = { pid: pane.panePid, command: pane.currentCommand };
  return processes(pane.panePid, fresh);
}

/**
 * Whether the last kind still holds. With a tree it holds while the tree does; the screen matters too without one,
 * and while an unprofiled program runs (it may yet draw an agent's screen). A generic agent stays one while the
 * process taken for it runs, whatever its screen shows meanwhile (a dialog carries no model name).
 */
function memoHolds(k: KindMemo, tree: ProcessInfo[], pane: PaneInfo, screenChangedAt: number, now: number, generation: number): boolean {
  if (k.generation !== generation) return false;
  if (k.result.kind === GENERIC_AGENT) {
    return k.result.pid !== undefined ? tree.some((p) => p.pid === k.result.pid) : k.command === pane.currentCommand;
  }
  if (k.procs !== tree) return false;
  const screenMayDecide = tree.length === 0 || k.result.kind === 'program' || (k.result.kind === 'shell' && tree.length > 1);
  if (!screenMayDecide) return true;
  if (k.command !== pane.currentCommand || k.title !== pane.title) return false;
  // A program printing all the time need not be read for an agent's UI on every change: a changed screen is read
  // again once SCREEN_RECHECK_MS have passed since the last reading (an agent's UI, once drawn, stays).
  if (k.screenChangedAt === screenChangedAt) return true;
  return tree.length > 0 && now - k.checkedAt < SCREEN_RECHECK_MS;
}

export function kindOf(
  m: Memory,
  profiles: Map<string, LoadedProfile>,
  generation: number,
  tree: ProcessInfo[],
  pane: PaneInfo,
  screen: string,
  screenChangedAt: number,
  now: number,
): KindResult {
  const k = m.kindMemo;
  if (k && memoHolds(k, tree, pane, screenChangedAt, now, generation)) return k.result;
  const result = identifyKind(profiles, tree, viewOf(pane), screen);
  m.kindMemo = { procs: tree, generation, command: pane.currentCommand, title: pane.title, screenChangedAt, checkedAt: now, result };
  return result;
}

/**
 * Remembers the agent a pane runs, so that its leaving reads as a crash: an agent (profiled or generic) that was
 * seen and has left the tree while the pane is back at its shell is reported as that agent, `crashed`, at once —
 * unless its own profile sees a clean exit on the screen (a goodbye or resume hint above the prompt). Once
 * something else runs, the pane is no longer the agent's.
 */
export function agentGone(
  m: Memory,
  profiles: Map<string, LoadedProfile>,
  found: KindResult,
  tree: ProcessInfo[],
  pane: PaneInfo,
  screen: string,
  readScreen: (kind: AgentKind) => Candidate,
): { kind: KindResult; candidate: Candidate | null } {
  if (AGENTS.has(found.kind)) {
    m.agentKind = found.kind;
    return { kind: found, candidate: null };
  }
  const gone = m.agentKind;
  // Back at the shell: tmux says the shell is in front, or nothing runs below it any more (tmux's command can lag
  // behind the tree for a cycle when the agent is killed).
  const backAtShell = kindFromCommand(profiles, pane.currentCommand) === 'shell' || tree.length === 1;
  if (!gone || found.kind !== 'shell' || !backAtShell) {
    m.agentKind = null;
    return { kind: found, candidate: null };
  }
  const kind: KindResult = { kind: gone, reason: `${gone} was running in this pane and is no longer in its process tree`, fromProcess: true };
  const own = readScreen(gone);
  const s = own.classification.state;
  if (s === 'exited' || s === 'crashed') return { kind, candidate: { ...own, immediate: true, why: `the agent process left the tree; ${own.why}` } };
  const last = screen.trimEnd().split('\n').at(-1) ?? '';
  return {
    kind,
    candidate: {
      classification: {
        kind: gone,
        state: 'crashed',
        detail: { rule: 'process.gone', evidence: `${gone} process gone; back at the shell: ${evidenceOf(last)}`, confidence: 0.9 },
      },
      immediate: true,
      why: 'the agent process left the tree and the pane is back at its shell; its screen shows no clean exit',
      rules: own.rules,
      matched: own.matched,
    },
  };
}
