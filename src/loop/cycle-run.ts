// One poll cycle's statistics, collected as its phases run, and the one wrapper that times each phase and records
// its errors (as node_exporter's execute() does around each collector): no phase times itself by hand.
import type { z } from 'zod';
import type { CycleStatsSchema } from '../schemas.ts';
import type { PaneInfo, TmuxServer } from '../tmux/types.ts';
import type { PendingWrite } from './observation.ts';

export type CycleStats = z.infer<typeof CycleStatsSchema>;

export const PHASES = ['list', 'capture', 'classify', 'store'] as const;
export type PhaseName = (typeof PHASES)[number];

/** A pane of this cycle's listing with its agent id. */
export interface PaneRef {
  id: string;
  pane: PaneInfo;
}

/**
 * How a phase's time adds up when it runs more than once in a cycle. Captures run on every server at once, so the
 * slowest server's round trip is the capture time; classification is this process's own CPU time, so its runs add.
 */
const AGGREGATE: Record<PhaseName, 'sum' | 'max'> = { list: 'sum', capture: 'max', classify: 'sum', store: 'sum' };

export class CycleRun {
  readonly startedAt = Date.now();
  /** The observation time of every pane this cycle: set when the lists are in. */
  now = 0;
  readonly errors: string[] = [];
  readonly errorsByPhase: Record<PhaseName, number> = { list: 0, capture: 0, classify: 0, store: 0 };
  private readonly phaseMs: Record<PhaseName, number> = { list: 0, capture: 0, classify: 0, store: 0 };

  /** Agent ids listed this cycle, and the servers that answered their list (only those can lose panes). */
  readonly seen = new Set<string>();
  readonly answered = new Set<string>();
  /** What moved (written in the cycle), and the unchanged agents whose refresh came due (written after it). */
  readonly changes: PendingWrite[] = [];
  readonly refreshes: PendingWrite[] = [];
  /** Quiet panes with no capture to hide their classification behind: classified while the store writes. */
  readonly quietAfterWrite: PaneRef[][] = [];
  /** Panes past the capture max age with nothing moved, by server: captured after the cycle. */
  readonly expired = new Map<TmuxServer, PaneRef[]>();

  captured = 0;
  prefetched = 0;
  prefetchUnused = 0;
  captureCacheHits = 0;
  written = 0;
  changed = 0;
  removed = 0;

  fail(phase: PhaseName, message: string): void {
    this.errors.push(message);
    this.errorsByPhase[phase]++;
  }

  /** Runs asynchronous work of `phase`, timing it; an error that escapes is recorded and `fallback` returned. */
  async phase<T>(name: PhaseName, work: () => Promise<T>, fallback: T): Promise<T> {
    const started = performance.now();
    try {
      return await work();
    } catch (err) {
      this.fail(name, `${name} failed: ${(err as Error).message}`);
      return fallback;
    } finally {
      this.addTime(name, performance.now() - started);
    }
  }

  /** The synchronous form, for CPU work (classification) that must not yield to the event loop. */
  step(name: PhaseName, work: () => void): void {
    const started = performance.now();
    try {
      work();
    } catch (err) {
      this.fail(name, `${name} failed: ${(err as Error).message}`);
    } finally {
      this.addTime(name, performance.now() - started);
    }
  }

  stats(): CycleStats {
    let capturesAfter = 0;
    for (const due of this.expired.values()) capturesAfter += due.length;
    return {
      startedAt: new Date(this.startedAt).toISOString(),
      durationMs: Date.now() - this.startedAt,
      ok: this.errors.length === 0,
      panes: this.seen.size,
      captured: this.captured,
      prefetched: this.prefetched,
      prefetchUnused: this.prefetchUnused,
      captureCacheHits: this.captureCacheHits,
      capturesAfter,
      written: this.written,
      refreshesAfter: this.refreshes.length,
      changed: this.changed,
      removed: this.removed,
      phases: {
        listMs: tenths(this.phaseMs.list),
        captureMs: tenths(this.phaseMs.capture),
        classifyMs: tenths(this.phaseMs.classify),
        storeMs: tenths(this.phaseMs.store),
      },
      errors: this.errors,
    };
  }

  private addTime(name: PhaseName, ms: number): void {
    this.phaseMs[name] = AGGREGATE[name] === 'max' ? Math.max(this.phaseMs[name], ms) : this.phaseMs[name] + ms;
  }
}

const tenths = (v: number) => Math.round(v * 10) / 10;
