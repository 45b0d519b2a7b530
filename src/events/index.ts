// Builds the change stream for a store: in-process for the embedded store, the Redis Stream reader (plus this
// process's stale changes while Redis is away) for the Redis store.
import { DEFAULT_KEY_PREFIX, MemoryStore, ResilientStore, toRedisTarget, type RedisTarget } from '../store/index.ts';
import type { AgentStore } from '../store/types.ts';
import { toChangeEvent } from './changes.ts';
import { ChangeHub, type ChangeHubOptions } from './hub.ts';
import { RedisChangeReader } from './redis-reader.ts';

export interface ChangeSource {
  hub: ChangeHub;
  close(): Promise<void>;
}

export interface ChangeSourceOptions extends ChangeHubOptions {
  /** Where the store's Redis is (a URL, a Cluster or Sentinels): the reader connects there too. */
  redis?: RedisTarget | string;
  keyPrefix?: string;
  onError?: (err: Error) => void;
}

export async function createChangeSource(store: AgentStore, opts: ChangeSourceOptions): Promise<ChangeSource> {
  if (store instanceof ResilientStore && opts.redis) {
    const hub = new ChangeHub({ ...opts, sourceSeq: async () => (store.knownHealth().up ? store.seq() : null) });
    const reader = new RedisChangeReader({
      target: toRedisTarget(opts.redis),
      keyPrefix: opts.keyPrefix ?? DEFAULT_KEY_PREFIX,
      hub,
      noteSeq: (seq) => store.noteSeq(seq),
      onError: opts.onError,
    });
    const stopStale = store.onStaleChange((c) => hub.publish(toChangeEvent(c, true)));
    return { hub, close: async () => (stopStale(), await reader.close()) };
  }
  if (store instanceof MemoryStore) {
    const hub = new ChangeHub({ ...opts, startSeq: await store.seq() });
    const stop = store.onChange((c) => hub.publish(toChangeEvent(c)));
    return { hub, close: async () => stop() };
  }
  // A store of another kind (an embedder's): no source of changes, so the stream only ever says "take a snapshot".
  return { hub: new ChangeHub(opts), close: async () => undefined };
}

export { ChangeHub } from './hub.ts';
export type { ChangeEvent, ChangeStream, StreamItem, Reset } from './schemas.ts';
