// Whether a change of the screen is work: text appended (lines scrolling in, a line growing, a region filling)
// rather than a redraw in place (a blinking cursor, a rotating placeholder or tip, an animated logo, a clock).
import { normalise } from './activity.ts';

export interface Progress {
  work: boolean;
  why: string;
}

/** How far back a redraw is recognised: a screen that returns to a state of the last minute is going round. */
export const RECENT_MS = 60_000;
/** The largest scroll looked for between two observations (a cycle rarely sees more than a screenful go by). */
const MAX_SHIFT = 200;

/** A screen's lines without trailing blanks and trailing blank lines. */
export function screenLines(screen: string): string[] {
  const lines = screen.replace(/\r/g, '').split('\n').map((l) => l.trimEnd());
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/**
 * The lines of `before` and `after` without the rows both share at the top and at the bottom: what changed sits in
 * between (a TUI's header and input box stay put while its transcript moves).
 */
function changedBand(before: string[], after: string[]): { before: string[]; after: string[] } {
  let top = 0;
  while (top < before.length && top < after.length && before[top] === after[top]) top++;
  let bottom = 0;
  while (
    bottom < before.length - top &&
    bottom < after.length - top &&
    before[before.length - 1 - bottom] === after[after.length - 1 - bottom]
  ) {
    bottom++;
  }
  return { before: before.slice(top, before.length - bottom), after: after.slice(top, after.length - bottom) };
}

/**
 * Lines that scrolled in: `after` is `before` moved up by some rows with new rows below. The last row of `before`
 * may have changed meanwhile (a line still being written, a prompt that got its output).
 */
function scrolledIn(before: string[], after: string[]): number {
  for (let shift = 1; shift <= Math.min(MAX_SHIFT, before.length - 1); shift++) {
    const kept = before.length - shift - 1; // rows of `before` that must reappear, its last row aside
    if (kept < 1 || kept > after.length) continue;
    let same = true;
    for (let i = 0; i < kept && same; i++) same = before[shift + i] === after[i];
    if (same && after.length > kept) return after.length - kept;
  }
  return 0;
}

/** Lines added below the old last line, the rows above them unchanged (a screen or region not yet full). */
function grewBelow(before: string[], after: string[]): number {
  if (after.length <= before.length) return 0;
  for (let i = 0; i < before.length - 1; i++) if (before[i] !== after[i]) return 0;
  return after.length - before.length;
}

/** Rows whose old text (spinners, clocks, counters blanked) is the start of the new one: text written on. */
function linesExtended(before: string[], after: string[], volatile: string[]): number {
  let extended = 0;
  for (let i = 0; i < Math.min(before.length, after.length); i++) {
    if (before[i] === after[i]) continue;
    const old = normalise(before[i]!, volatile).trim();
    const now = normalise(after[i]!, volatile).trim();
    if (now.length > old.length && now.startsWith(old) && /\w/.test(now.slice(old.length))) extended++;
  }
  return extended;
}

/**
 * Decides whether going from `before` to `after` is work. Scrolling is judged on the raw lines (a loop printing
 * `date` differs only in its clock, which normalisation blanks); text written on only counts when the normalised
 * screen is new this minute (an animation that draws into blank cells comes round again).
 */
export function progressOf(before: string[], after: string[], hash: string, recent: Map<string, number>, now: number, volatile: string[]): Progress {
  const band = changedBand(before, after);
  const scrolled = scrolledIn(band.before, band.after);
  if (scrolled > 0) return { work: true, why: `${scrolled} new line${scrolled === 1 ? '' : 's'} scrolled in` };
  const grown = grewBelow(band.before, band.after);
  if (grown > 0) return { work: true, why: `${grown} new line${grown === 1 ? '' : 's'} written below` };
  const seenAt = recent.get(hash);
  if (seenAt !== undefined && now - seenAt <= RECENT_MS) {
    return { work: false, why: 'the screen went back to how it looked within the last minute (a redraw going round)' };
  }
  const extended = linesExtended(band.before, band.after, volatile);
  if (extended > 0) return { work: true, why: `text written on ${extended} line${extended === 1 ? '' : 's'}` };
  return { work: false, why: `${Math.max(band.before.length, band.after.length)} line(s) redrawn in place` };
}

/** Keeps the hashes of the last minute (pruned as they age), newest time per hash. */
export function rememberHash(recent: Map<string, number>, hash: string, now: number): void {
  recent.delete(hash);
  recent.set(hash, now);
  for (const [h, at] of recent) {
    if (now - at <= RECENT_MS && recent.size <= 256) break; // insertion order: the oldest come first
    recent.delete(h);
  }
}
