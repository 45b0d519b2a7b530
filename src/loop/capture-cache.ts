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
}

export class CaptureCache {
  private readonly entries = new Map<string, Entry>();
  hits = 0;
  misses = 0;

  constructor(private readonly maxAgeMs: number) {}

  /** True when the pane must be captured again; counts the lookup as a hit or a miss. */
  needsCapture(id: string, pane: PaneInfo, now: number): boolean {
    const e = this.entries.get(id);
    const fresh =
      e !== undefined &&
      e.activity === pane.windowActivity &&
      e.width === pane.width &&
      e.height === pane.height &&
      e.dead === pane.dead &&
      Math.floor(e.capturedAt / 1000) > pane.windowActivity &&
      now - e.capturedAt < this.maxAgeMs;
    if (fresh) this.hits++;
    else this.misses++;
    return !fresh;
  }

  captured(id: string, pane: PaneInfo, at: number): void {
    this.entries.set(id, {
      activity: pane.windowActivity,
      width: pane.width,
      height: pane.height,
      dead: pane.dead,
      capturedAt: at,
    });
  }

  forget(id: string): void {
    this.entries.delete(id);
  }
}
