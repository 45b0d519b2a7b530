// Where Redis is and how to reach it: one server by URL, a Cluster by its seed nodes, or a master named by
// Sentinels. ioredis has a client for each; the store and the change stream take whichever this builds.
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';

export interface HostPort {
  host: string;
  port: number;
}

export type RedisTarget =
  | { type: 'standalone'; url: string }
  | { type: 'cluster'; nodes: HostPort[]; password?: string }
  | { type: 'sentinel'; sentinels: HostPort[]; name: string; password?: string };

export type RedisClient = Redis | Cluster;

export interface ClientOptions {
  /** Shown by CLIENT LIST on the server. */
  connectionName: string;
  commandTimeoutMs: number;
  connectTimeoutMs: number;
  /** Delay before reconnect attempt `times` (1-based). */
  retryDelayMs(times: number): number;
}

/** A string is a URL; anything else names a Cluster or Sentinel set-up. */
export function toRedisTarget(target: RedisTarget | string): RedisTarget {
  return typeof target === 'string' ? { type: 'standalone', url: target } : target;
}

/** A short description for logs: never the password. */
export function describeRedisTarget(target: RedisTarget): string {
  const list = (nodes: HostPort[]) => nodes.map((n) => `${n.host}:${n.port}`).join(',');
  if (target.type === 'cluster') return `redis cluster ${list(target.nodes)}`;
  if (target.type === 'sentinel') return `redis sentinel ${target.name} via ${list(target.sentinels)}`;
  const url = new URL(target.url);
  return `redis ${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
}

/**
 * A client that connects lazily and fails fast while disconnected instead of queueing commands: the resilient
 * store serves from memory meanwhile. A Cluster follows failovers and slot moves by itself; a Sentinel client asks
 * the sentinels for the master again on every reconnect.
 */
export function createRedisClient(target: RedisTarget, opts: ClientOptions): RedisClient {
  const common: RedisOptions = {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: opts.connectTimeoutMs,
    commandTimeout: opts.commandTimeoutMs,
    connectionName: opts.connectionName,
  };
  if (target.type === 'cluster') {
    const clusterOptions: ClusterOptions = {
      lazyConnect: true,
      enableOfflineQueue: false,
      clusterRetryStrategy: (times) => opts.retryDelayMs(times),
      // Slots move on failover: ask again soon rather than after the default 5 s.
      slotsRefreshTimeout: opts.connectTimeoutMs,
      redisOptions: { ...common, password: target.password },
    };
    return new Cluster(target.nodes, clusterOptions);
  }
  if (target.type === 'sentinel') {
    return new Redis({
      ...common,
      sentinels: target.sentinels,
      name: target.name,
      password: target.password,
      retryStrategy: (times) => opts.retryDelayMs(times),
      sentinelRetryStrategy: (times) => opts.retryDelayMs(times),
    });
  }
  return new Redis(target.url, { ...common, retryStrategy: (times) => opts.retryDelayMs(times) });
}

/** `host:port,host:port` as REDIS_CLUSTER_NODES and REDIS_SENTINELS take it; throws naming the bad entry. */
export function parseHostPorts(text: string): HostPort[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const match = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(entry);
      const port = match ? Number(match[2]) : 0;
      if (!match || port < 1 || port > 65535) throw new Error(`"${entry}" is not host:port`);
      return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
    });
}
