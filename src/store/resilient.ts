// Redis with a memory mirror: while Redis is unreachable the loop keeps writing to the mirror, reads serve the
// mirror marked stale, and when Redis is back the mirror is rewritten through the CAS script.
import type { AgentObservation, AgentRecord, StateTransition } from '../agents/model.ts';
import type { MemoryStore } from './memory.ts';
import type { RedisStore } from './redis.ts';
import { InvalidCursorError, summarize, type VersionedResult, type VersionedWrite } from './records.ts';
import type { AgentFilter, AgentStore, ListPage, ReadCacheStats, SinceResult, StoreChange, StoreHealth, WriteResult } from './types.ts';

/** Removals made while Redis was down and not yet replayed; beyond this the Redis TTL removes them instead. */
const MAX_PENDING_REMOVALS = 10_000;
/** After Redis failed, it is tried again after this long, doubling up to RETRY_MAX_MS while it keeps failing. */
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 10_000;
/**
 * How long a connected Redis gets to answer the PING that comes before a rewrite: one that accepts connections but
 * does not answer (stopped, swapping) must not hold up the loop's writes for a command timeout each time.
 */
const PROBE_TIMEOUT_MS = 500;

export class ResilientStore implements AgentStore {
  /** Set while Redis has not seen this process's latest state; reads then come from the mirror. */
  private outOfSync: string | null = null;
  /** The highest global seq handed to callers, so a Redis that restarted empty is raised to it. */
  private lastSeq = 0;
  private readonly pendingRemovals = new Set<string>();
  /** Writes, removals and resyncs run one at a time, in call order. */
  private queue: Promise<unknown> = Promise.resolve();
  /** While out of sync: when Redis may be tried again, and the wait after the next failure. */
  private retryAt = 0;
  private retryDelayMs = RETRY_MIN_MS;
  /** The PING (and the rewrite after it) in flight, if any: at most one at a time. */
  private probing: Promise<void> | null = null;
  private closed = false;
  private readonly stopListening: () => void;
  private readonly staleListeners = new Set<(change: StoreChange) => void>();

  constructor(
    private readonly redis: RedisStore,
    private readonly mirror: MemoryStore,
  ) {
    let connectedBefore = false;
    this.stopListening = redis.onReady(() => {
      // After any reconnect Redis may have restarted empty even if no command of ours failed meanwhile.
      if (connectedBefore) this.outOfSync ??= 'reconnected; rewriting state';
      connectedBefore = true;
      this.retryAt = 0; // a new connection answered its ready check: worth a try at once
      if (this.outOfSync !== null) void this.exclusive(() => this.resync());
    });
  }

  async write(observations: AgentObservation[]): Promise<WriteResult> {
    this.resyncSoon();
    return this.exclusive(async () => {
      if (this.outOfSync === null) {
        try {
          const results = await this.redis.writeVersioned(observations.map((obs) => this.versionedWrite(obs)));
          results.forEach((r, i) => this.mirror.adopt(observations[i]!, r.stamp));
          return summarize(results);
        } catch (err) {
          this.fallBehind(err);
        }
      }
      for (const obs of observations) this.pendingRemovals.delete(obs.id);
      const local = this.mirror.writeVersioned(observations.map((obs) => ({ obs, floor: 0 })));
      const stale = local.map((r): VersionedResult => ({ ...r, record: markStale(r.record) }));
      this.publishStale(stale);
      return summarize(stale);
    });
  }

  async remove(ids: string[]): Promise<void> {
    this.resyncSoon();
    return this.exclusive(async () => {
      await this.mirror.remove(ids);
      if (this.outOfSync === null) {
        try {
          await this.redis.remove(ids);
          return;
        } catch (err) {
          this.fallBehind(err);
        }
      }
      for (const id of ids) this.pendingRemovals.add(id);
      for (const id of ids) this.emitStale({ type: 'removed', seq: this.lastSeq, id });
      for (const id of this.pendingRemovals) {
        if (this.pendingRemovals.size <= MAX_PENDING_REMOVALS) break;
        this.pendingRemovals.delete(id);
      }
    });
  }

  async get(id: string): Promise<AgentRecord | null> {
    return this.read(
      () => this.redis.get(id),
      async () => {
        const record = await this.mirror.get(id);
        return record && markStale(record);
      },
    );
  }

  async list(filter: AgentFilter, limit: number, cursor: string | null): Promise<ListPage> {
    const page = await this.read(
      () => this.redis.list(filter, limit, cursor),
      async () => {
        const local = await this.mirror.list(filter, limit, cursor);
        return { ...local, agents: local.agents.map(markStale), seq: this.lastSeq };
      },
    );
    this.noteSeq(page.seq);
    return page;
  }

  /** While out of sync the answer is always a full snapshot of the mirror at the last seq Redis gave out. */
  async since(seq: number, filter: AgentFilter): Promise<SinceResult> {
    const result = await this.read(
      () => this.redis.since(seq, filter),
      async () => {
        const local = await this.mirror.since(-1, filter);
        return { agents: local.agents.map(markStale), removed: [], seq: this.lastSeq, full: true };
      },
    );
    this.noteSeq(result.seq);
    return result;
  }

  async screen(id: string): Promise<string | null> {
    return this.read(
      () => this.redis.screen(id),
      () => this.mirror.screen(id),
    );
  }

  async history(id: string, limit: number): Promise<StateTransition[]> {
    return this.read(
      () => this.redis.history(id, limit),
      () => this.mirror.history(id, limit),
    );
  }

  async seq(): Promise<number> {
    const seq = await this.read(
      () => this.redis.seq(),
      async () => this.lastSeq,
    );
    this.noteSeq(seq);
    return seq;
  }

  async changeTag(): Promise<string> {
    const seq = await this.seq();
    return this.outOfSync === null ? String(seq) : `${seq}-stale-${await this.mirror.seq()}`;
  }

  /** Also starts a probe when one is due, so that readiness comes back even while nothing reads or writes. */
  health(): StoreHealth {
    this.resyncSoon();
    return this.knownHealth();
  }

  knownHealth(): StoreHealth {
    const health = this.redis.knownHealth();
    if (health.up && this.outOfSync !== null) return { backend: 'redis', up: false, reason: this.outOfSync };
    return health;
  }

  cacheStats(): ReadCacheStats {
    return this.redis.cacheStats();
  }

  /** Agents held by the in-memory mirror (one per live agent of this monitor). */
  mirrorSize(): number {
    return this.mirror.size;
  }

  async close(): Promise<void> {
    this.stopListening();
    this.closed = true; // no new probe
    await this.probing;
    await this.queue;
    await this.redis.close();
    await this.mirror.close();
  }

  /** Reads never wait on a Redis that failed: they serve the mirror while a probe (see resyncSoon) runs aside. */
  private async read<T>(fromRedis: () => Promise<T>, fromMirror: () => Promise<T>): Promise<T> {
    this.resyncSoon();
    if (this.outOfSync === null) {
      try {
        return await fromRedis();
      } catch (err) {
        if (err instanceof InvalidCursorError) throw err; // the caller's mistake, not Redis's
        this.fallBehind(err);
      }
    }
    return fromMirror();
  }

  /**
   * While out of sync and the retry is due, PINGs Redis in the background and, if it answers in time, rewrites the
   * mirror into it. Callers go on with the mirror meanwhile, so a Redis that hangs costs them nothing.
   */
  private resyncSoon(): void {
    if (this.outOfSync === null || this.closed || this.probing || performance.now() < this.retryAt || !this.redis.isReady()) return;
    const probe = async () => {
      if (await this.redis.ping(PROBE_TIMEOUT_MS)) await this.exclusive(() => this.resync());
      else this.fallBehind(new Error(`no answer to PING within ${PROBE_TIMEOUT_MS} ms`));
    };
    const probing: Promise<void> = probe().finally(() => {
      if (this.probing === probing) this.probing = null;
    });
    this.probing = probing;
  }

  /**
   * Rewrite the mirror into Redis once it is reachable again, then its history: the mirror keeps every agent's
   * transitions (up to the history limit), and Redis appends those above the last version it holds. Call only
   * inside `exclusive`.
   */
  private async resync(): Promise<void> {
    if (this.outOfSync === null || !this.redis.isReady()) return;
    try {
      await this.redis.raiseSeq(this.lastSeq);
      if (this.pendingRemovals.size > 0) {
        await this.redis.remove([...this.pendingRemovals]);
        this.pendingRemovals.clear();
      }
      const snapshot = this.mirror.snapshot().map((item) => ({ ...item, noHistory: true }));
      const results = await this.redis.writeVersioned(snapshot);
      results.forEach((r, i) => this.mirror.adopt(snapshot[i]!.obs, r.stamp));
      // The transitions made while Redis was away (or all, if it lost them), in order; the rewrite above added none.
      await this.redis.backfillHistory(snapshot.map(({ obs }) => ({ id: obs.id, transitions: this.mirror.transitions(obs.id) })));
      this.outOfSync = null;
      this.retryDelayMs = RETRY_MIN_MS;
    } catch (err) {
      this.fallBehind(err);
    }
  }

  /**
   * The floor is the version this process already served: a Redis that lost data cannot move it back. What the
   * mirror already holds unchanged is sent as a refresh (see `VersionedWrite.refresh`).
   */
  private versionedWrite(obs: AgentObservation): VersionedWrite {
    const head = this.mirror.headOf(obs.id);
    if (!head) return { obs, floor: 0 };
    return { obs, floor: head.version, refresh: head.state === obs.state && head.screenHash === obs.screenHash };
  }

  private fallBehind(err: unknown): void {
    this.outOfSync = `redis unavailable: ${err instanceof Error ? err.message : String(err)}`;
    this.retryAt = performance.now() + this.retryDelayMs;
    this.retryDelayMs = Math.min(this.retryDelayMs * 2, RETRY_MAX_MS);
  }

  // --- Change stream (events/): changes made while Redis is away are heard here, marked stale, at the last shared
  // seq; resync() then writes them into Redis, whose events stream publishes them again with seqs of their own.

  /** Hear the changes this process makes while Redis is away; returns the unsubscribe. */
  onStaleChange(listener: (change: StoreChange) => void): () => void {
    this.staleListeners.add(listener);
    return () => this.staleListeners.delete(listener);
  }

  private publishStale(results: VersionedResult[]): void {
    for (const r of results) {
      if (r.changed) this.emitStale({ type: 'agent', seq: this.lastSeq, record: r.record, from: r.from === undefined ? r.record.state : r.from });
    }
  }

  private emitStale(change: StoreChange): void {
    for (const listener of this.staleListeners) listener(change);
  }

  /**
   * The highest global seq seen by this process (reads, and the change stream's reader): resync raises Redis to it,
   * and so does every write to a Redis that is behind it (see RedisStore.noteSeq).
   */
  noteSeq(seq: number): void {
    if (seq > this.lastSeq) this.lastSeq = seq;
    this.redis.noteSeq(seq);
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function markStale(record: AgentRecord): AgentRecord {
  return { ...record, stale: true };
}
