// The time step: when the screen last changed meaningfully (for `stuck`) and when it last showed work (for the
// activity fallback), updated only when the loop reports a new screen.
import { meaningfulHash } from './activity.ts';
import type { ActivityMemory } from './memory.ts';
import { progressOf, rememberHash, screenLines } from './progress.ts';

export interface Quiet {
  /** Since the last meaningful change (spinners, clocks and counters aside): how long a `working` has not moved. */
  quietMs: number;
  /** Since the last change that was work (text appended): how long an activity-judged pane has been idle. */
  workQuietMs: number;
}

export function observeScreen(
  a: ActivityMemory,
  screen: string,
  screenChangedAt: number,
  now: number,
  opts: { volatile: string[]; trackWork: boolean },
): Quiet {
  if (a.screenChangedAt !== screenChangedAt || a.meaningfulHash === null) {
    const hash = meaningfulHash(screen, opts.volatile);
    if (hash !== a.meaningfulHash) {
      if (a.meaningfulHash !== null) a.changeSeen = true;
      a.meaningfulChangeAt = screenChangedAt;
    }
    if (opts.trackWork) trackWork(a, screen, hash, screenChangedAt, opts.volatile);
    else a.lines = null;
    a.meaningfulHash = hash;
    a.screenChangedAt = screenChangedAt;
  }
  return {
    quietMs: now - (a.meaningfulChangeAt ?? screenChangedAt),
    workQuietMs: now - (a.workAt ?? a.meaningfulChangeAt ?? screenChangedAt),
  };
}

function trackWork(a: ActivityMemory, screen: string, hash: string, at: number, volatile: string[]): void {
  const lines = screenLines(screen);
  if (a.lines !== null && a.meaningfulHash !== null) {
    const progress = progressOf(a.lines, lines, hash, a.recent, at, volatile);
    a.workWhy = progress.why;
    if (progress.work) {
      a.workAt = at;
      a.workSeen = true;
    }
  }
  if (a.meaningfulHash !== null) rememberHash(a.recent, a.meaningfulHash, at);
  rememberHash(a.recent, hash, at);
  a.lines = lines;
}
