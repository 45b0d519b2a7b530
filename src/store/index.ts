// Builds the agent store: embedded memory without a Redis URL, otherwise Redis behind the resilient wrapper.
import { createMemoryStore } from './memory.ts';
import { createRedisStore } from './redis.ts';
import type { RedisTarget } from './redis-connection.ts';
import { ResilientStore } from './resilient.ts';
import type { AgentStore, ReadCacheStats, StoreObserver } from './types.ts';

export interface CreateStoreOptions {
  monitor: string; // this monitor's id
  /** A redis:// URL, or a Cluster or Sentinel set-up; unset → embedded memory store. */
  redis?: RedisTarget | string;
  ttlSeconds?: number; // agent TTL (default 60; refreshed by every write)
  historyLimit?: number; // per-agent transitions kept (default 100)
  observer?: StoreObserver;
}

export type CachedAgentStore = AgentStore & { cacheStats(): ReadCacheStats };

export function createStore(opts: CreateStoreOptions): CachedAgentStore {
  const shared = { ttlSeconds: opts.ttlSeconds, historyLimit: opts.historyLimit };
  if (!opts.redis) return createMemoryStore(shared);
  const redis = createRedisStore({ ...shared, monitor: opts.monitor, redis: opts.redis, observer: opts.observer });
  // The mirror only needs current state; `since()` against it always answers with a full snapshot.
  const mirror = createMemoryStore({ ...shared, removedLogLimit: 1 });
  return new ResilientStore(redis, mirror);
}

export { createMemoryStore, MemoryStore, type MemoryStoreOptions } from './memory.ts';
export { createRedisStore, RedisStore, DEFAULT_KEY_PREFIX, type RedisStoreOptions } from './redis.ts';
export { ResilientStore } from './resilient.ts';
export { createRedisClient, describeRedisTarget, parseHostPorts, toRedisTarget, type RedisTarget } from './redis-connection.ts';
export { InvalidCursorError } from './records.ts';
export type * from './types.ts';
