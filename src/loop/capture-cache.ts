// Decides which panes need a fresh capture. tmux reports window activity in whole seconds, so a capture is
// only trusted when it happened in a later second than the last activity it saw: output in the same second
// as the capture may have landed after it.
import type { PaneInfo } from '../tmux/types.ts';

interface Entry {
  activity: number;
  width: number;
  height: number;
  dead: boolean;
  capturedAt: number; // epoch ms
  expiresAt: number; // epoch ms: captured again from then on even when nothing moved
}

/**
 * What a pane needs: nothing (`fresh`), a capture now because something moved or the last capture cannot be
 * trusted (`changed`), or a capture some time soon because the last one passed the max age (`expired`).
 */
export type CaptureNeed = 'fresh' | 'changed' | 'expired';

export class CaptureCache {
  private readonly entries = new Map<string, Entry>();
  hits = 0;
  misses = 0;

  /** `random` in [0, 1) spreads first expiries; tests pass their own sequence. */
  constructor(
    private readonly maxAgeMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** Whether and how soon the pane must be captured again; counts the lookup as a hit (fresh) or a miss. */
  check(id: string, pane: PaneInfo, now: number): CaptureNeed {
    const e = this.entries.get(id);
    const unmoved =
      e !== undefined &&
      e.activity === pane.windowActivity &&
      e.width === pane.width &&
      e.height === pane.height &&
      e.dead === pane.dead &&
      Math.floor(e.capturedAt / 1000) > pane.windowActivity;
    // A max age of 0 turns the cache off: every pane is captured in every cycle.
    const need: CaptureNeed = !unmoved || this.maxAgeMs === 0 ? 'changed' : now < e.expiresAt ? 'fresh' : 'expired';
    if (need === 'fresh') this.hits++;
    else this.misses++;
    return need;
  }

  /**
   * A pane's first capture expires after a random half to all of the max age, later ones after all of it: a
   * fleet first seen in one cycle is then re-captured a slice per cycle, not all at once every max age (such a
   * burst made the slowest cycles; docs/performance.md). At least half, so that no capture is trusted for less.
   */
  captured(id: string, pane: PaneInfo, at: number): void {
    const age = this.entries.has(id) ? this.maxAgeMs : this.maxAgeMs * (0.5 + this.random() / 2);
    this.entries.set(id, {
      activity: pane.windowActivity,
      width: pane.width,
      height: pane.height,
      dead: pane.dead,
      capturedAt: at,
      expiresAt: at + age,
    });
  }

  forget(id: string): void {
    this.entries.delete(id);
  }
}
