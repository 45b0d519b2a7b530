// Pending deliveries in Redis: they survive a restart of paneward, and the instances of one monitor share them
// without sending one twice at the same time (claims are atomic and leased). Scripts: redis-scripts.ts.
import { randomUUID } from 'node:crypto';
import { clockOf, type RedisClock } from '../../store/redis-clock.ts';
import { createRedisClient, toRedisTarget, type RedisClient, type RedisTarget } from '../../store/redis-connection.ts';
import { CLAIM_LUA, ENQUEUE_LUA, FINISH_LUA, RETRY_LUA } from './redis-scripts.ts';
import { FINISHED_MEMORY_MAX, FINISHED_MEMORY_MS, type Claimed, type Delivery, type DeliveryQueue, type EnqueueResult } from './types.ts';

/** Beside the store's `paneward:{agents}:` keys; one queue per monitor, since only its owner notifies of an agent. */
export const WEBHOOK_KEY_PREFIX = 'paneward:{webhooks}:';
const COMMAND_TIMEOUT_MS = 2000;

type Scripted = RedisClient & {
  panewardHookEnqueue(...args: Array<string | number>): Promise<string>;
  panewardHookClaim(...args: Array<string | number>): Promise<string[]>;
  panewardHookFinish(...args: Array<string | number>): Promise<number>;
  panewardHookRetry(...args: Array<string | number>): Promise<number>;
};

export interface RedisQueueOptions {
  /** A redis:// URL, a Cluster or Sentinels, as the store's. */
  redis: RedisTarget | string;
  monitor: string;
  maxPending: number;
  keyPrefix?: string;
}

export class RedisQueue implements DeliveryQueue {
  readonly backend = 'redis' as const;
  private readonly client: Scripted;
  private readonly keys: { due: string; data: string; leases: string; finished: string; depth: string };
  /** The first connection attempt: commands wait for it once, then fail fast while Redis is away. */
  private readonly connecting: Promise<void>;
  /** Deadlines for enqueues: one Redis runs after the caller fell back to memory must queue nothing. */
  private readonly clock: RedisClock;

  constructor(private readonly opts: RedisQueueOptions) {
    const base = `${opts.keyPrefix ?? WEBHOOK_KEY_PREFIX}${opts.monitor}:`;
    this.keys = { due: `${base}due`, data: `${base}data`, leases: `${base}leases`, finished: `${base}finished`, depth: `${base}depth` };
    // Fails fast while Redis is away: the notifier keeps such deliveries in memory meanwhile.
    const client = createRedisClient(toRedisTarget(opts.redis), {
      connectionName: `paneward-webhooks:${opts.monitor}`,
      commandTimeoutMs: COMMAND_TIMEOUT_MS,
      connectTimeoutMs: 2000,
      retryDelayMs: (times) => Math.min(50 * 2 ** Math.min(times, 10), 2000),
    });
    client.defineCommand('panewardHookEnqueue', { numberOfKeys: 4, lua: ENQUEUE_LUA });
    client.defineCommand('panewardHookClaim', { numberOfKeys: 3, lua: CLAIM_LUA });
    client.defineCommand('panewardHookFinish', { numberOfKeys: 5, lua: FINISH_LUA });
    client.defineCommand('panewardHookRetry', { numberOfKeys: 3, lua: RETRY_LUA });
    // Without a listener an 'error' event would end the process; the failing commands report the outage.
    client.on('error', () => undefined);
    this.clock = clockOf(client, this.keys.due, COMMAND_TIMEOUT_MS);
    this.client = client as Scripted;
    this.connecting = client.connect().catch(() => undefined);
  }

  async enqueue(d: Delivery): Promise<EnqueueResult> {
    await this.connecting;
    const k = this.keys;
    const deadline = this.clock.deadline();
    try {
      const result = await this.client.panewardHookEnqueue(k.due, k.data, k.finished, k.depth, d.id, d.hook, stored(d), d.createdAt, this.opts.maxPending, deadline);
      return result as EnqueueResult;
    } catch (err) {
      this.clock.noteFailure(err);
      throw err;
    }
  }

  async claim(now: number, limit: number, leaseMs: number): Promise<Claimed[]> {
    await this.connecting;
    const k = this.keys;
    const lease = randomUUID();
    const reply = await this.client.panewardHookClaim(k.due, k.data, k.leases, now, limit, leaseMs, lease);
    const out: Claimed[] = [];
    for (let i = 0; i + 1 < reply.length; i += 2) out.push({ ...(JSON.parse(reply[i + 1]!) as Omit<Delivery, 'id'>), id: reply[i]!, lease });
    return out;
  }

  async finish(c: Claimed, now: number): Promise<void> {
    await this.connecting;
    const k = this.keys;
    await this.client.panewardHookFinish(k.due, k.data, k.leases, k.finished, k.depth, c.id, c.lease, c.hook, now, FINISHED_MEMORY_MS, FINISHED_MEMORY_MAX);
  }

  async retry(c: Claimed, at: number): Promise<void> {
    await this.connecting;
    const k = this.keys;
    await this.client.panewardHookRetry(k.due, k.data, k.leases, c.id, c.lease, stored({ ...c, attempts: c.attempts + 1 }), at);
  }

  async depth(): Promise<Record<string, number>> {
    await this.connecting;
    const raw = await this.client.hgetall(this.keys.depth);
    return Object.fromEntries(Object.entries(raw).map(([hook, n]) => [hook, Number(n)]));
  }

  async close(): Promise<void> {
    this.clock.close();
    this.client.disconnect();
  }
}

function stored(d: Delivery): string {
  const { hook, agent, contentType, body, createdAt, attempts } = d;
  return JSON.stringify({ hook, agent, contentType, body, createdAt, attempts });
}
