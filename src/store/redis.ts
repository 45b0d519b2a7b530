// The Redis store: one hash per agent written through a Lua compare-and-set script, a global change seq, a
// capped transition stream per agent, TTLs so a dead monitor's agents expire, and a read cache in front.
// Key layout and the script logic are described in README.md; the scripts live in redis-scripts.ts.
import { setTimeout as sleep } from 'node:timers/promises';
import { Cluster, Command, type ChainableCommander } from 'ioredis';
import type { AgentObservation, AgentRecord, AgentState, StateTransition } from '../agents/model.ts';
import { ReadCache } from './read-cache.ts';
import { clockOf, type RedisClock } from './redis-clock.ts';
import { createRedisClient, toRedisTarget, type RedisClient, type RedisTarget } from './redis-connection.ts';
import { BACKFILL_HISTORY_LUA, EXPIRED_IDS_LUA, RAISE_SEQ_LUA, REMOVE_AGENT_LUA, WRITE_AGENTS_LUA, WRITE_REPLY } from './redis-scripts.ts';
import {
  DEFAULT_HISTORY_LIMIT,
  DEFAULT_REMOVED_LOG_LIMIT,
  DEFAULT_TTL_SECONDS,
  clampLimit,
  decodeCursor,
  encodeCursor,
  matchesFilter,
  recordBody,
  toRecord,
  type RecordBody,
  compareIds,
  summarize,
  type VersionedResult,
  type VersionedWrite,
} from './records.ts';
import type {
  AgentFilter,
  AgentStore,
  ListPage,
  ReadCacheStats,
  SinceResult,
  StoreHealth,
  StoreObserver,
  WriteResult,
} from './types.ts';

export const DEFAULT_KEY_PREFIX = 'paneward:{agents}:';

export interface RedisStoreOptions {
  monitor: string;
  /** A redis:// URL, or a Cluster or Sentinel set-up. */
  redis: RedisTarget | string;
  ttlSeconds?: number;
  historyLimit?: number;
  removedLogLimit?: number;
  /** Entries kept in the events stream (approximately, MAXLEN ~); default DEFAULT_EVENTS_LIMIT. */
  eventsLimit?: number;
  /** Must contain a `{hash tag}` so every key lands in one cluster slot. */
  keyPrefix?: string;
  observer?: StoreObserver;
  /** Upper bound on how long a cached read may be served while the seq stands still (default 1000 ms). */
  readCacheMaxAgeMs?: number;
  /** Cap of the reconnect backoff (default 2000 ms). */
  reconnectMaxDelayMs?: number;
}

/** Changes kept in the events stream for readers that fell behind (a reader further back resets). */
export const DEFAULT_EVENTS_LIMIT = 10_000;
/** Observations per pipeline: a 1000-agent cycle is one round trip, bigger ones a few. */
const WRITE_BATCH = 1000;
/**
 * Observations per call of the write script. Larger calls save little more, and a call holds Redis up for its
 * whole run, so this bounds how long other monitors and readers wait (figures: docs/performance.md).
 */
const SCRIPT_BATCH = 50;
/** Expired ids reaped per read; the rest go on the next read. */
const REAP_BATCH = 200;
/** The write script's reply to a refresh-only write whose version would move: send it again in full. */
const NEEDS_FULL_WRITE = -1;
/** Past this a command has failed for the caller; the resilient wrapper then works from memory. */
const COMMAND_TIMEOUT_MS = 2000;
/** Ids fetched per round trip while paging with a filter. */
const LIST_CHUNK = 500;

interface ScriptCommands {
  panewardWrite(...args: Array<string | number | Buffer>): Promise<unknown>;
  panewardRemove(...args: Array<string | number>): Promise<unknown>;
  panewardExpired(...args: Array<string | number>): Promise<unknown>;
  panewardRaiseSeq(...args: Array<string | number>): Promise<unknown>;
  panewardBackfill(...args: Array<string | number>): Promise<unknown>;
}
type Scripted<T> = T & ScriptCommands;

export class RedisStore implements AgentStore {
  readonly client: Scripted<RedisClient>;
  private readonly ttlMs: number;
  private readonly historyLimit: number;
  private readonly removedLogLimit: number;
  private readonly eventsLimit: number;
  private readonly prefix: string;
  private readonly cache: ReadCache;
  private readonly connecting: Promise<void>;
  private readonly readyListeners = new Set<() => void>();
  private up = false;
  private reason: string | null = 'connecting';
  private closed = false;
  /** The highest seq this process has seen (see noteSeq). */
  private seqFloor = 0;
  /** Deadlines for the write and removal scripts, so that one run after this process gave up on it does nothing. */
  private readonly clock: RedisClock;

  constructor(opts: RedisStoreOptions) {
    this.ttlMs = Math.max(1, Math.round((opts.ttlSeconds ?? DEFAULT_TTL_SECONDS) * 1000));
    this.historyLimit = opts.historyLimit ?? DEFAULT_HISTORY_LIMIT;
    this.removedLogLimit = opts.removedLogLimit ?? DEFAULT_REMOVED_LOG_LIMIT;
    this.eventsLimit = opts.eventsLimit ?? DEFAULT_EVENTS_LIMIT;
    this.prefix = opts.keyPrefix ?? DEFAULT_KEY_PREFIX;
    if (!/\{[^}]+\}/.test(this.prefix)) throw new Error(`keyPrefix needs a {hash tag}: ${this.prefix}`);
    this.cache = new ReadCache({ maxAgeMs: opts.readCacheMaxAgeMs ?? 1000, maxEntries: 1000, observer: opts.observer });
    const maxDelay = opts.reconnectMaxDelayMs ?? 2000;
    const client = createRedisClient(toRedisTarget(opts.redis), {
      connectTimeoutMs: 2000,
      // A Redis that holds the connection but stops answering costs the loop at most this once: the resilient
      // wrapper then serves from memory and only PINGs (see resilient.ts) until it answers again.
      commandTimeoutMs: COMMAND_TIMEOUT_MS,
      retryDelayMs: (times) => Math.min(50 * 2 ** Math.min(times, 10), maxDelay),
      connectionName: `paneward:${opts.monitor}`,
    });
    // The key count varies with the batch, so it is the first argument of each call.
    client.defineCommand('panewardWrite', { lua: WRITE_AGENTS_LUA });
    client.defineCommand('panewardRemove', { numberOfKeys: 10, lua: REMOVE_AGENT_LUA });
    client.defineCommand('panewardExpired', { numberOfKeys: 1, lua: EXPIRED_IDS_LUA, readOnly: true });
    client.defineCommand('panewardRaiseSeq', { numberOfKeys: 1, lua: RAISE_SEQ_LUA });
    client.defineCommand('panewardBackfill', { numberOfKeys: 1, lua: BACKFILL_HISTORY_LUA });
    this.client = client as Scripted<RedisClient>;
    this.clock = clockOf(client, this.key('seq'), COMMAND_TIMEOUT_MS);
    // An 'error' event without a listener would crash the process; record it as health instead.
    client.on('error', (err: Error) => this.markDown(err.message));
    client.on('close', () => this.markDown(this.closed ? 'closed' : (this.reason ?? 'connection closed')));
    client.on('end', () => this.markDown(this.closed ? 'closed' : 'connection ended'));
    client.on('ready', () => {
      this.up = true;
      this.reason = null;
      this.announceReady();
    });
    if (client instanceof Cluster) this.followSlotOwner(client);
    this.connecting = client.connect().catch(() => undefined);
  }

  /** Resolves once the first connection attempt settled (ready or failed; reconnects continue either way). */
  async connected(): Promise<boolean> {
    await this.connecting;
    return this.isReady();
  }

  isReady(): boolean {
    return this.client.status === 'ready';
  }

  /**
   * `listener` runs whenever Redis may have lost data since it last ran: on every ready connection (Redis may have
   * restarted empty) and, on a Cluster, when paneward's slot moves to another master (see followSlotOwner).
   */
  onReady(listener: () => void): () => void {
    this.readyListeners.add(listener);
    return () => this.readyListeners.delete(listener);
  }

  /**
   * The highest seq this process has seen (its change stream's, its reads'). Every write and removal first raises a
   * seq that is below it, in the same script as its INCR: a Redis that lost changes (a replica promoted before it
   * had the last writes) then never hands out a seq twice. See raiseSeqBeforeIncr in redis-scripts.ts.
   */
  noteSeq(seq: number): void {
    if (seq > this.seqFloor) this.seqFloor = seq;
  }

  private announceReady(): void {
    for (const listener of this.readyListeners) listener();
  }

  /**
   * ioredis's Cluster follows a failover by itself and emits no new 'ready'. When paneward's slot is served by
   * another master after a refresh of the slot map (a replica promoted, which may lack the last writes: replication
   * is asynchronous), the ready listeners hear it as a reconnect, so the resilient store writes its state again.
   */
  private followSlotOwner(cluster: Cluster): void {
    const slot = new Command('get', [this.key('seq')]).getSlot();
    let owner: string | undefined;
    cluster.on('refresh', () => {
      const now = cluster.slots[slot]?.[0];
      if (now === undefined) return;
      const moved = owner !== undefined && now !== owner;
      owner = now;
      if (!moved || this.closed || !this.isReady()) return;
      this.clock.restart(); // another master, perhaps on another host's clock
      this.announceReady();
    });
  }

  async write(observations: AgentObservation[]): Promise<WriteResult> {
    return summarize(await this.writeVersioned(observations.map((obs) => ({ obs, floor: 0 }))));
  }

  /** The CAS script for each observation, batched into pipelines. */
  async writeVersioned(items: VersionedWrite[]): Promise<VersionedResult[]> {
    await this.connecting;
    const results: VersionedResult[] = [];
    try {
      for (let start = 0; start < items.length; start += WRITE_BATCH) {
        results.push(...(await this.writeBatch(items.slice(start, start + WRITE_BATCH))));
      }
    } finally {
      this.cache.invalidate();
    }
    return results;
  }

  async remove(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.connecting;
    try {
      const pipeline = this.client.pipeline() as Scripted<ChainableCommander>;
      const deadline = this.clock.deadline();
      for (const id of ids) pipeline.panewardRemove(...this.removeKeys(id), id, this.removedLogLimit, '0', this.eventsLimit, this.seqFloor, deadline);
      this.scriptReplies(await pipeline.exec());
    } finally {
      this.cache.invalidate();
    }
  }

  /** Whether Redis answers a PING within `timeoutMs`; never rejects. */
  async ping(timeoutMs: number): Promise<boolean> {
    const timer = new AbortController();
    const answered = this.client.ping().then(
      () => true,
      () => false,
    );
    const late = sleep(timeoutMs, false, { signal: timer.signal, ref: false }).catch(() => false);
    try {
      return await Promise.race([answered, late]);
    } finally {
      timer.abort();
    }
  }

  /** Raise the global seq to at least `min` (used after Redis lost its data). */
  async raiseSeq(min: number): Promise<number> {
    await this.connecting;
    return Number(await this.client.panewardRaiseSeq(this.key('seq'), min));
  }

  /**
   * Writes back each agent's transitions that Redis lacks (a version above its stream's last), oldest first; the
   * script checks the versions itself, so a transition is never written twice. Returns how many were appended.
   */
  async backfillHistory(items: Array<{ id: string; transitions: StateTransition[] }>): Promise<number> {
    const pending = items.filter((item) => item.transitions.length > 0);
    if (pending.length === 0) return 0;
    await this.connecting;
    try {
      const pipeline = this.client.pipeline() as Scripted<ChainableCommander>;
      for (const { id, transitions } of pending) {
        const args: Array<string | number> = [this.ttlMs, this.historyLimit];
        for (const t of transitions) args.push(t.from ?? '', t.to, Date.parse(t.at), t.version, t.rule, t.evidence);
        pipeline.panewardBackfill(this.key(`history:${id}`), ...args);
      }
      return (unwrap(await pipeline.exec()) as number[]).reduce((sum, n) => sum + Number(n), 0);
    } finally {
      this.cache.invalidate();
    }
  }

  async get(id: string): Promise<AgentRecord | null> {
    return this.cache.read(`get\0${id}`, () => this.seq(), async () => {
      await this.connecting;
      const [seq, hash] = unwrap(await this.client.pipeline().get(this.key('seq')).hgetall(this.agentKey(id)).exec());
      return { seq: Number(seq ?? 0), value: parseAgent(hash) };
    });
  }

  async list(filter: AgentFilter, limit: number, cursor: string | null): Promise<ListPage> {
    const max = clampLimit(limit);
    const after = cursor === null ? null : decodeCursor(cursor);
    const key = `list\0${filterKey(filter)}\0${max}\0${cursor ?? ''}`;
    return this.cache.read<ListPage>(key, () => this.seq(), async () => {
      const seq = await this.reapThenSeq();
      const agents: AgentRecord[] = [];
      let from = after === null ? '-' : `(${after}`;
      for (;;) {
        const ids = await this.client.zrangebylex(this.key('ids'), from, '+', 'LIMIT', '0', String(Math.min(LIST_CHUNK, max + 1)));
        if (ids.length === 0) break;
        for (const record of await this.readAgents(ids)) {
          if (!matchesFilter(record, filter)) continue;
          if (agents.length === max) return { seq, value: { agents, nextCursor: encodeCursor(agents[max - 1]!.id), seq } };
          agents.push(record);
        }
        from = `(${ids[ids.length - 1]!}`;
      }
      return { seq, value: { agents, nextCursor: null, seq } };
    });
  }

  async since(seq: number, filter: AgentFilter): Promise<SinceResult> {
    return this.cache.read(`since\0${filterKey(filter)}\0${seq}`, () => this.seq(), async () => {
      const current = await this.reapThenSeq();
      const [floor, changedIds, removed] = unwrap(
        await this.client
          .pipeline()
          .get(this.key('removed-floor'))
          .zrangebyscore(this.key('changes'), `(${seq}`, '+inf')
          .zrangebyscore(this.key('removed'), `(${seq}`, '+inf')
          .exec(),
      ) as [string | null, string[], string[]];
      const full = seq < Number(floor ?? 0) || seq > current;
      const ids = full ? await this.client.zrange(this.key('ids'), '0', '-1') : changedIds;
      const agents = (await this.readAgents([...ids].sort(compareIds))).filter((r) => matchesFilter(r, filter));
      const value: SinceResult = full ? { agents, removed: [], seq: current, full: true } : { agents, removed, seq: current };
      return { seq: current, value };
    });
  }

  async screen(id: string): Promise<string | null> {
    await this.connecting;
    return this.client.get(this.key(`screen:${id}`));
  }

  async history(id: string, limit: number): Promise<StateTransition[]> {
    await this.connecting;
    const count = Math.min(clampLimit(limit), this.historyLimit);
    const entries = await this.client.xrevrange(this.key(`history:${id}`), '+', '-', 'COUNT', count);
    return entries.map(([, fields]) => parseTransition(fields));
  }

  async changeTag(): Promise<string> {
    return String(await this.seq());
  }

  async seq(): Promise<number> {
    await this.connecting;
    return Number((await this.client.get(this.key('seq'))) ?? 0);
  }

  health(): StoreHealth {
    return this.knownHealth();
  }

  knownHealth(): StoreHealth {
    return { backend: 'redis', up: this.up, reason: this.up ? null : this.reason };
  }

  cacheStats(): ReadCacheStats {
    return this.cache.stats();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.clock.close();
    this.markDown('closed');
    this.readyListeners.clear();
    this.cache.invalidate();
    await this.connecting;
    if (this.client.status === 'ready') {
      const ended = new Promise<void>((resolve) => this.client.once('end', () => resolve()));
      // QUIT lets Redis finish what this connection sent; a failure falls back to dropping the socket.
      await this.client.quit().catch(() => this.client.disconnect(false));
      await ended;
    } else {
      // Between reconnect attempts there is no socket to wait for: this clears the retry timer and we are done.
      this.client.disconnect(false);
    }
  }

  key(name: string): string {
    return this.prefix + name;
  }

  private agentKey(id: string): string {
    return this.key(`agent:${id}`);
  }

  /** One pipeline; the refreshes that turn out to move the version go again, in full, in a second one. */
  private async writeBatch(batch: VersionedWrite[]): Promise<VersionedResult[]> {
    const bodies = batch.map(({ obs }) => recordBody(obs));
    const replies = await this.execWrites(batch, bodies);
    const again = replies.flatMap((reply, i) => (reply[0] === NEEDS_FULL_WRITE ? [i] : []));
    if (again.length > 0) {
      const full = await this.execWrites(
        again.map((i) => ({ obs: batch[i]!.obs, floor: batch[i]!.floor })),
        again.map((i) => bodies[i]!),
      );
      again.forEach((i, k) => (replies[i] = full[k]!));
    }
    return replies.map((reply, i) => parseWriteReply(bodies[i]!, reply));
  }

  /** The write script over `writes` in calls of SCRIPT_BATCH, all in one pipeline; one reply per observation. */
  private async execWrites(writes: VersionedWrite[], bodies: RecordBody[]): Promise<unknown[][]> {
    const pipeline = this.client.pipeline() as Scripted<ChainableCommander>;
    const deadline = this.clock.deadline();
    for (let start = 0; start < writes.length; start += SCRIPT_BATCH) {
      const end = Math.min(writes.length, start + SCRIPT_BATCH);
      const keys = [this.key('seq'), this.key('ids'), this.key('changes'), this.key('expiry'), this.key('removed'), this.key('events')];
      const args: Array<string | number | Buffer> = [this.ttlMs, this.historyLimit, this.eventsLimit, this.seqFloor, deadline];
      for (let i = start; i < end; i++) {
        const { obs, floor, refresh } = writes[i]!;
        keys.push(this.agentKey(obs.id), this.key(`screen:${obs.id}`), this.key(`history:${obs.id}`));
        args.push(
          obs.id,
          obs.state,
          obs.screenHash,
          // Given only strings, ioredis joins the whole pipeline into one string before writing it, and encoding
          // that (two-byte as soon as one screen has a box-drawing character) cost more than all the rest of a
          // write. A Buffer makes it copy bytes instead; the screen is most of them.
          refresh ? '' : Buffer.from(obs.screen),
          refresh ? '' : JSON.stringify(bodies[i]),
          obs.observedAt,
          floor,
          refresh ? '' : obs.detail.rule,
          refresh ? '' : obs.detail.evidence,
          refresh ? '1' : writes[i]!.noHistory ? '2' : '0',
        );
      }
      pipeline.panewardWrite(keys.length, ...keys, ...args);
    }
    const replies: unknown[][] = [];
    for (const reply of this.scriptReplies(await pipeline.exec()) as unknown[][]) {
      for (let at = 0; at < reply.length; at += WRITE_REPLY) replies.push(reply.slice(at, at + WRITE_REPLY));
    }
    return replies;
  }

  /** The replies of a pipeline of scripts that carry a deadline; one refused as late makes the clock read again. */
  private scriptReplies(replies: Array<[Error | null, unknown]> | null): unknown[] {
    try {
      return unwrap(replies);
    } catch (err) {
      this.clock.noteFailure(err);
      throw err;
    }
  }

  private removeKeys(id: string): string[] {
    return [
      this.key('seq'),
      this.agentKey(id),
      this.key(`screen:${id}`),
      this.key(`history:${id}`),
      this.key('ids'),
      this.key('changes'),
      this.key('expiry'),
      this.key('removed'),
      this.key('removed-floor'),
      this.key('events'),
    ];
  }

  /**
   * Lazy TTL cleanup: agents whose hash expired are taken out of the indexes and logged as removed (so `since()`
   * reports them), then the seq is read. In the common case (nothing expired) this is one round trip.
   */
  private async reapThenSeq(): Promise<number> {
    await this.connecting;
    for (;;) {
      const pipeline = this.client.pipeline() as Scripted<ChainableCommander>;
      pipeline.panewardExpired(this.key('expiry'), REAP_BATCH);
      pipeline.get(this.key('seq'));
      const [expired, seq] = unwrap(await pipeline.exec()) as [string[], string | null];
      if (expired.length === 0) return Number(seq ?? 0);
      await this.reap(expired);
      if (expired.length < REAP_BATCH) return this.seq();
    }
  }

  private async reap(ids: string[]): Promise<void> {
    const pipeline = this.client.pipeline() as Scripted<ChainableCommander>;
    const deadline = this.clock.deadline();
    for (const id of ids) pipeline.panewardRemove(...this.removeKeys(id), id, this.removedLogLimit, '1', this.eventsLimit, this.seqFloor, deadline);
    this.scriptReplies(await pipeline.exec());
  }

  /** Read agent hashes in one round trip; ids whose hash has expired are reaped and left out. */
  private async readAgents(ids: string[]): Promise<AgentRecord[]> {
    if (ids.length === 0) return [];
    const pipeline = this.client.pipeline();
    for (const id of ids) pipeline.hgetall(this.agentKey(id));
    const hashes = unwrap(await pipeline.exec());
    const records: AgentRecord[] = [];
    const gone: string[] = [];
    hashes.forEach((hash, i) => {
      const record = parseAgent(hash);
      if (record) records.push(record);
      else gone.push(ids[i]!);
    });
    if (gone.length > 0) await this.reap(gone);
    return records;
  }

  private markDown(reason: string): void {
    this.up = false;
    this.reason = reason;
  }
}

/** Pipeline replies as values; the first error (e.g. the connection is gone) is thrown. */
function unwrap(replies: Array<[Error | null, unknown]> | null): unknown[] {
  if (!replies) throw new Error('redis pipeline was discarded');
  return replies.map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}

function parseWriteReply(body: RecordBody, reply: unknown): VersionedResult {
  const [changed, version, stateSince, changedAt, observedAt, moved, previous] = reply as [number, number, number, number, number, number, string];
  const from = moved === 1 ? null : moved === 2 ? (previous as AgentState) : undefined;
  const stamp = { version: Number(version), stateSince: Number(stateSince), changedAt: Number(changedAt), observedAt: Number(observedAt) };
  return { record: toRecord(body, stamp), changed: Number(changed) === 1, from, stamp };
}

function parseAgent(hash: unknown): AgentRecord | null {
  const fields = hash as Record<string, string> | null;
  if (!fields || fields.body === undefined || fields.v === undefined) return null;
  const body = JSON.parse(fields.body) as RecordBody;
  return toRecord(body, {
    version: Number(fields.v),
    stateSince: Number(fields.since),
    changedAt: Number(fields.chg),
    observedAt: Number(fields.obs),
  });
}

function parseTransition(fields: string[]): StateTransition {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i]!, fields[i + 1]!);
  const from = map.get('from') ?? '';
  return {
    from: from === '' ? null : (from as AgentState),
    to: map.get('to') as AgentState,
    at: new Date(Number(map.get('at'))).toISOString(),
    version: Number(map.get('version')),
    rule: map.get('rule') ?? '',
    evidence: map.get('evidence') ?? '',
  };
}

function filterKey(filter: AgentFilter): string {
  return [filter.state ?? '', filter.kind ?? '', filter.session ?? '', filter.monitor ?? ''].join('\0');
}

export function createRedisStore(opts: RedisStoreOptions): RedisStore {
  return new RedisStore(opts);
}
