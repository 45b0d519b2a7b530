// The embedded store: agent state in a Map, for a single process without Redis and as the mirror of the
// resilient Redis store. Same semantics as the Redis store (versions, TTL, removal log), checked by one contract.
import type { AgentObservation, AgentRecord, StateTransition } from '../agents/model.ts';
import {
  DEFAULT_HISTORY_LIMIT,
  DEFAULT_REMOVED_LOG_LIMIT,
  DEFAULT_TTL_SECONDS,
  clampLimit,
  decodeCursor,
  encodeCursor,
  matchesFilter,
  nextHead,
  recordBody,
  toRecord,
  compareIds,
  summarize,
  type RecordBody,
  type StoredHead,
  type VersionedResult,
  type VersionedWrite,
  type VersionStamp,
} from './records.ts';
import type { AgentFilter, AgentStore, ListPage, ReadCacheStats, SinceResult, StoreChange, StoreHealth, WriteResult } from './types.ts';

export interface MemoryStoreOptions {
  ttlSeconds?: number;
  historyLimit?: number;
  removedLogLimit?: number;
  /** Clock for TTL expiry; tests may pass their own. */
  now?: () => number;
}

interface Entry {
  body: RecordBody;
  head: StoredHead;
  screen: string;
  changeSeq: number;
  expiresAt: number;
  history: StateTransition[]; // oldest first, at most historyLimit
}

export class MemoryStore implements AgentStore {
  readonly ttlMs: number;
  readonly historyLimit: number;
  private readonly removedLogLimit: number;
  private readonly now: () => number;
  private readonly entries = new Map<string, Entry>();
  /** Ids in list order; rebuilt only when an id appears or goes, so refresh-only cycles stay O(changed). */
  private sortedIds: string[] | null = null;
  /** id → seq of its removal, in seq order (a re-added id leaves the log). */
  private readonly removed = new Map<string, number>();
  /** Highest removal seq dropped from the log; `since()` below it answers with a full snapshot. */
  private removedFloor = 0;
  private currentSeq = 0;
  /** Who hears of every change as it is made (the in-process change stream); none for a mirror. */
  private readonly changeListeners = new Set<(change: StoreChange) => void>();

  constructor(opts: MemoryStoreOptions = {}) {
    this.ttlMs = (opts.ttlSeconds ?? DEFAULT_TTL_SECONDS) * 1000;
    this.historyLimit = opts.historyLimit ?? DEFAULT_HISTORY_LIMIT;
    this.removedLogLimit = opts.removedLogLimit ?? DEFAULT_REMOVED_LOG_LIMIT;
    this.now = opts.now ?? Date.now;
  }

  async write(observations: AgentObservation[]): Promise<WriteResult> {
    return summarize(this.writeVersioned(observations.map((obs) => ({ obs, floor: 0 }))));
  }

  /** Synchronous core of `write`, also used by the resilient wrapper to continue versions while Redis is down. */
  writeVersioned(items: VersionedWrite[]): VersionedResult[] {
    const now = this.now();
    return items.map(({ obs, floor }) => {
      let cur = this.entries.get(obs.id);
      if (cur && cur.expiresAt <= now) {
        // Expired but not yet reaped: like a Redis key past its TTL, it is simply gone.
        this.dropEntry(obs.id);
        cur = undefined;
      }
      const head = nextHead(cur?.head, obs, floor);
      const { changed, from, ...stored } = head;
      if (!cur) {
        cur = { body: recordBody(obs), head: stored, screen: obs.screen, changeSeq: 0, expiresAt: 0, history: [] };
        this.entries.set(obs.id, cur);
        this.sortedIds = null;
        this.removed.delete(obs.id);
      }
      cur.head = stored;
      cur.expiresAt = now + this.ttlMs;
      if (changed) {
        cur.body = recordBody(obs);
        cur.screen = obs.screen;
        cur.changeSeq = ++this.currentSeq;
        if (from !== undefined) this.pushHistory(cur, from, obs);
      }
      const record = toRecord(cur.body, cur.head);
      if (changed) this.emit({ type: 'agent', seq: cur.changeSeq, record, from: from === undefined ? record.state : from });
      return { record, changed, from, stamp: cur.head };
    });
  }

  /**
   * Take a version as another store computed it for `obs` (the resilient wrapper copies what Redis wrote), so that
   * versions continue from there if Redis goes away.
   */
  adopt(obs: AgentObservation, stamp: VersionStamp): void {
    const now = this.now();
    const existing = this.entries.get(obs.id);
    const head: StoredHead = {
      version: stamp.version,
      state: obs.state,
      screenHash: obs.screenHash,
      stateSince: stamp.stateSince,
      changedAt: stamp.changedAt,
      observedAt: stamp.observedAt,
    };
    if (!existing || existing.expiresAt <= now) {
      if (existing) this.dropEntry(obs.id);
      const entry: Entry = { body: recordBody(obs), head, screen: obs.screen, changeSeq: ++this.currentSeq, expiresAt: now + this.ttlMs, history: [] };
      this.entries.set(obs.id, entry);
      this.sortedIds = null;
      this.removed.delete(obs.id);
      this.pushHistory(entry, null, obs, stamp.version);
      return;
    }
    const moved = existing.head.version !== stamp.version;
    if (moved && existing.head.state !== obs.state) this.pushHistory(existing, existing.head.state, obs, stamp.version);
    existing.head = head;
    existing.expiresAt = now + this.ttlMs;
    if (moved) {
      existing.body = recordBody(obs);
      existing.screen = obs.screen;
      existing.changeSeq = ++this.currentSeq;
    }
  }

  /** Hear every change (version moved, agent removed) synchronously, in seq order; returns the unsubscribe. */
  onChange(listener: (change: StoreChange) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** Every live agent as an observation plus the version already served, for rewriting into Redis. */
  snapshot(): VersionedWrite[] {
    this.reapExpired();
    return [...this.entries.values()].map((e) => ({
      obs: { ...e.body, screen: e.screen, screenHash: e.head.screenHash, observedAt: e.head.observedAt },
      floor: e.head.version,
    }));
  }

  /** What this store holds for a live agent: its version, state and screenHash. */
  headOf(id: string): StoredHead | undefined {
    const e = this.entries.get(id);
    return e && e.expiresAt > this.now() ? e.head : undefined;
  }

  get size(): number {
    return this.entries.size;
  }

  async remove(ids: string[]): Promise<void> {
    for (const id of ids) {
      if (this.entries.has(id)) this.removeEntry(id);
    }
  }

  async get(id: string): Promise<AgentRecord | null> {
    const e = this.liveEntry(id);
    return e ? toRecord(e.body, e.head) : null;
  }

  async list(filter: AgentFilter, limit: number, cursor: string | null): Promise<ListPage> {
    this.reapExpired();
    const max = clampLimit(limit);
    const after = cursor === null ? null : decodeCursor(cursor);
    const ids = this.orderedIds();
    let i = after === null ? 0 : upperBound(ids, after);
    const agents: AgentRecord[] = [];
    let nextCursor: string | null = null;
    for (; i < ids.length; i++) {
      const e = this.entries.get(ids[i]!)!;
      const record = toRecord(e.body, e.head);
      if (!matchesFilter(record, filter)) continue;
      if (agents.length === max) {
        nextCursor = encodeCursor(agents[agents.length - 1]!.id);
        break;
      }
      agents.push(record);
    }
    return { agents, nextCursor, seq: this.currentSeq };
  }

  async since(seq: number, filter: AgentFilter): Promise<SinceResult> {
    this.reapExpired();
    const full = seq < this.removedFloor || seq > this.currentSeq;
    const agents: AgentRecord[] = [];
    for (const id of this.orderedIds()) {
      const e = this.entries.get(id)!;
      if (!full && e.changeSeq <= seq) continue;
      const record = toRecord(e.body, e.head);
      if (matchesFilter(record, filter)) agents.push(record);
    }
    const removed = full ? [] : [...this.removed].filter(([, at]) => at > seq).map(([id]) => id);
    return full ? { agents, removed, seq: this.currentSeq, full: true } : { agents, removed, seq: this.currentSeq };
  }

  async screen(id: string): Promise<string | null> {
    return this.liveEntry(id)?.screen ?? null;
  }

  async history(id: string, limit: number): Promise<StateTransition[]> {
    const e = this.liveEntry(id);
    if (!e) return [];
    return e.history.slice(-clampLimit(limit)).reverse();
  }

  async changeTag(): Promise<string> {
    return String(await this.seq());
  }

  /** Agents past their TTL are removed first, as list and since would: the seq (and ETags) must show it. */
  async seq(): Promise<number> {
    this.reapExpired();
    return this.currentSeq;
  }

  health(): StoreHealth {
    return this.knownHealth();
  }

  knownHealth(): StoreHealth {
    return { backend: 'memory', up: true, reason: null };
  }

  cacheStats(): ReadCacheStats {
    // Reads are already in-process; there is no read cache to account for.
    return { read: { hits: 0, misses: 0 } };
  }

  async close(): Promise<void> {
    this.entries.clear();
    this.sortedIds = null;
  }

  private liveEntry(id: string): Entry | undefined {
    const e = this.entries.get(id);
    if (e && e.expiresAt <= this.now()) {
      this.removeEntry(id);
      return undefined;
    }
    return e;
  }

  private pushHistory(e: Entry, from: AgentRecord['state'] | null, obs: AgentObservation, version = e.head.version): void {
    e.history.push({
      from,
      to: obs.state,
      at: new Date(obs.observedAt).toISOString(),
      version,
      rule: obs.detail.rule,
      evidence: obs.detail.evidence,
    });
    if (e.history.length > this.historyLimit) e.history.splice(0, e.history.length - this.historyLimit);
  }

  /** Expired agents leave like removed ones, so `since()` callers learn they are gone. */
  private reapExpired(): void {
    const now = this.now();
    for (const [id, e] of this.entries) {
      if (e.expiresAt <= now) this.removeEntry(id);
    }
  }

  private removeEntry(id: string): void {
    this.dropEntry(id);
    this.removed.set(id, ++this.currentSeq);
    this.emit({ type: 'removed', seq: this.currentSeq, id });
    while (this.removed.size > this.removedLogLimit) {
      const [oldestId, oldestSeq] = this.removed.entries().next().value!;
      this.removed.delete(oldestId);
      this.removedFloor = oldestSeq;
    }
  }

  private emit(change: StoreChange): void {
    for (const listener of this.changeListeners) listener(change);
  }

  private dropEntry(id: string): void {
    this.entries.delete(id);
    this.sortedIds = null;
  }

  private orderedIds(): string[] {
    this.sortedIds ??= [...this.entries.keys()].sort(compareIds);
    return this.sortedIds;
  }
}

function upperBound(sorted: string[], id: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareIds(sorted[mid]!, id) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function createMemoryStore(opts: MemoryStoreOptions = {}): MemoryStore {
  return new MemoryStore(opts);
}
