// The `read` cache layer: answers to get/list/since kept in process while the global change seq stands still.
// A hit costs one GET of the seq key instead of reading every agent hash; this process's writes clear it, and an
// entry also dies after `maxAgeMs` so refresh-only changes (observedAt) and TTL reaping, which do not move the seq
// on their own, show within that bound.
import type { ReadCacheStats, StoreObserver } from './types.ts';

interface Entry {
  seq: number;
  at: number;
  value: unknown;
}

export interface ReadCacheOptions {
  maxAgeMs: number;
  maxEntries: number;
  observer?: StoreObserver;
  now?: () => number;
}

export class ReadCache {
  private readonly entries = new Map<string, Entry>();
  private hits = 0;
  private misses = 0;
  /** Bumped by every invalidation, so a load that raced a write does not cache its pre-write answer. */
  private generation = 0;
  private readonly now: () => number;

  constructor(private readonly opts: ReadCacheOptions) {
    this.now = opts.now ?? Date.now;
  }

  /**
   * `probe` reads the current seq (only called when a fresh-enough entry exists); `load` reads for real and
   * reports the seq its answer is consistent with. Values are cloned both ways so callers cannot corrupt the cache.
   */
  async read<T>(key: string, probe: () => Promise<number>, load: () => Promise<{ seq: number; value: T }>): Promise<T> {
    const cached = this.entries.get(key);
    if (cached && this.now() - cached.at <= this.opts.maxAgeMs) {
      const seq = await probe();
      if (seq === cached.seq && this.entries.get(key) === cached) {
        this.record(true);
        return structuredClone(cached.value) as T;
      }
    }
    this.record(false);
    const generation = this.generation;
    const { seq, value } = await load();
    // A write of ours that finished while we were loading may not have moved the seq (refresh only): don't cache.
    if (generation === this.generation) this.store(key, { seq, at: this.now(), value: structuredClone(value) });
    return value;
  }

  /** Called after every write or removal of this process. */
  invalidate(): void {
    this.entries.clear();
    this.generation++;
  }

  stats(): ReadCacheStats {
    return { read: { hits: this.hits, misses: this.misses } };
  }

  private store(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
    if (this.entries.size > this.opts.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  private record(hit: boolean): void {
    if (hit) this.hits++;
    else this.misses++;
    this.opts.observer?.onCache?.('read', hit);
  }
}
