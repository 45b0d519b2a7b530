// Takes each hook signal to its agent: finds the agent of the pane the hook names among the panes the loop
// tracks (memory only: no tmux, no store on the request's path), hands the signal to fusion and publishes the
// fused state at once. Holds a signal from a pane not listed yet for a few seconds, and coalesces a storm of
// signals from one pane into one write at a time, always with the latest.
import type { Classification } from '../detect/types.ts';
import type { HookSignal } from '../detect/fusion.ts';
import type { PaneInfo } from '../tmux/types.ts';
import type { PaneRef } from './pane.ts';

/** What the dispatcher needs of the loop and of detection. */
export interface HookTarget {
  /** Every pane the loop tracks, with its agent id. */
  panes(): Iterable<{ id: string; pane: PaneInfo }>;
  /** Moves when the set of tracked panes may have changed (the loop's cycle count). */
  generation(): number;
  signal(id: string, signal: HookSignal): void;
  fuseNow(id: string, now: number): Classification | null;
  /** Writes the classification to the store now; resolves with whether the record changed. */
  publish(id: string, classification: Classification): Promise<boolean>;
}

export type HookOutcome =
  | 'applied' // matched a tracked pane; its signal was fused and published
  | 'ignored' // matched, but the event says nothing about the state
  | 'unmatched' // no pane of ours (not in tmux, another server, or not listed yet: see `late`)
  | 'late' // a pane not listed when the hook came, applied once it was
  | 'expired' // held for a pane that never appeared
  | 'coalesced'; // a storm from one pane: folded into the next write of that pane

export interface DispatcherOptions {
  pendingMs: number;
  /** Least time between two writes of one pane's hook state; signals in between fold into the next write. */
  minGapMs: number;
  onOutcome?(source: string, outcome: HookOutcome): void;
  log?: { warn(obj: object, msg: string): void };
}

interface Held {
  ref: PaneRef;
  source: string;
  signal: HookSignal | null;
  until: number;
}

interface Publishing {
  busy: boolean;
  timer: NodeJS.Timeout | null;
  dirty: boolean;
  lastAt: number;
  source: string;
}

const SWEEP_MS = 100;

export class HookDispatcher {
  private index = new Map<string, string>();
  private indexedAt = -1;
  private readonly held = new Map<string, Held>();
  private sweeper: NodeJS.Timeout | null = null;
  private readonly publishing = new Map<string, Publishing>();
  private closed = false;

  constructor(
    private readonly target: HookTarget,
    private readonly opts: DispatcherOptions,
  ) {}

  /** Handles one hook now, without waiting on anything; says whether it reached an agent of ours. */
  accept(source: string, ref: PaneRef | null, signal: HookSignal | null): { matched: boolean; id?: string } {
    const id = ref ? this.lookup(ref) : undefined;
    if (id === undefined) {
      if (ref && this.opts.pendingMs > 0 && !this.closed) this.hold(ref, source, signal);
      this.opts.onOutcome?.(source, 'unmatched');
      return { matched: false };
    }
    this.deliver(id, source, signal, signal ? 'applied' : 'ignored');
    return { matched: true, id };
  }

  close(): void {
    this.closed = true;
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
    this.held.clear();
    for (const p of this.publishing.values()) if (p.timer) clearTimeout(p.timer);
    this.publishing.clear();
  }

  private deliver(id: string, source: string, signal: HookSignal | null, outcome: HookOutcome): void {
    this.opts.onOutcome?.(source, outcome);
    if (!signal) return;
    this.target.signal(id, signal);
    this.schedulePublish(id, source);
  }

  /** The agent id of the pane a hook names; the index is rebuilt on a miss once the loop has moved on. */
  private lookup(ref: PaneRef): string | undefined {
    let id = this.find(ref);
    if (id === undefined && this.indexedAt !== this.target.generation()) {
      this.rebuild();
      id = this.find(ref);
    }
    return id || undefined; // '' marks a pane id several servers have
  }

  private find(ref: PaneRef): string | undefined {
    if (ref.serverPid !== null) {
      const id = this.index.get(`p\0${ref.serverPid}\0${ref.paneId}`) ?? this.index.get(`s\0${ref.socket}\0${ref.paneId}`);
      if (id !== undefined) return id;
      return undefined;
    }
    return this.index.get(`i\0${ref.paneId}`);
  }

  private rebuild(): void {
    const index = new Map<string, string>();
    for (const { id, pane } of this.target.panes()) {
      index.set(`p\0${pane.serverPid}\0${pane.paneId}`, id);
      index.set(`s\0${pane.socket}\0${pane.paneId}`, id);
      const bare = `i\0${pane.paneId}`;
      index.set(bare, index.has(bare) ? '' : id);
    }
    this.index = index;
    this.indexedAt = this.target.generation();
  }

  private hold(ref: PaneRef, source: string, signal: HookSignal | null): void {
    const key = `${ref.serverPid ?? ''}\0${ref.socket ?? ''}\0${ref.paneId}`;
    const earlier = this.held.get(key);
    // The latest signal wins; one that says nothing does not replace one that does.
    this.held.set(key, { ref, source, signal: signal ?? earlier?.signal ?? null, until: Date.now() + this.opts.pendingMs });
    if (this.held.size > 10_000) this.held.delete(this.held.keys().next().value!);
    this.sweeper ??= setInterval(() => this.sweep(), SWEEP_MS);
    this.sweeper.unref();
  }

  /** Applies held signals whose pane the loop lists now; drops those held too long. */
  private sweep(): void {
    const now = Date.now();
    const moved = this.indexedAt !== this.target.generation();
    if (moved) this.rebuild();
    for (const [key, h] of this.held) {
      const id = moved ? this.find(h.ref) || undefined : undefined;
      if (id !== undefined) {
        this.held.delete(key);
        this.deliver(id, h.source, h.signal, 'late');
      } else if (now >= h.until) {
        this.held.delete(key);
        this.opts.onOutcome?.(h.source, 'expired');
      }
    }
    if (this.held.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = null;
    }
  }

  /** One write per pane at a time and at most one per minGapMs; signals meanwhile fold into the next. */
  private schedulePublish(id: string, source: string): void {
    let p = this.publishing.get(id);
    if (!p) {
      p = { busy: false, timer: null, dirty: false, lastAt: 0, source };
      this.publishing.set(id, p);
      if (this.publishing.size > 4096) this.prune();
    }
    if (p.busy || p.timer) {
      if (!p.dirty) this.opts.onOutcome?.(source, 'coalesced');
      p.dirty = true;
      return;
    }
    const wait = p.lastAt + this.opts.minGapMs - Date.now();
    if (wait > 0) {
      p.timer = setTimeout(() => {
        p.timer = null;
        void this.publish(id, p);
      }, wait);
      p.timer.unref();
      return;
    }
    void this.publish(id, p);
  }

  private async publish(id: string, p: Publishing): Promise<void> {
    if (this.closed) return;
    p.busy = true;
    p.dirty = false;
    p.lastAt = Date.now();
    try {
      const fused = this.target.fuseNow(id, p.lastAt);
      if (fused) await this.target.publish(id, fused);
    } catch (err) {
      this.opts.log?.warn({ err: (err as Error).message, id }, 'publishing a hook state failed; the next cycle writes it');
    } finally {
      p.busy = false;
    }
    if (p.dirty) {
      p.dirty = false;
      this.schedulePublish(id, p.source);
    }
  }

  private prune(): void {
    const old = Date.now() - 10 * this.opts.minGapMs;
    for (const [id, p] of this.publishing) if (!p.busy && !p.timer && !p.dirty && p.lastAt < old) this.publishing.delete(id);
  }
}
