// The `read` cache in front of the Redis store: hits while the global seq stands still, misses after any write.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRedisStore, type RedisStoreOptions } from '../../src/store/index.ts';
import { usePrivateRedis } from '../helpers/redis.ts';
import { T0, observation } from './fixtures.ts';

const redis = usePrivateRedis();

async function storePair(t: { after(fn: () => Promise<void>): void }, opts: Partial<RedisStoreOptions> = {}) {
  await redis.raw.flushall();
  const events: boolean[] = [];
  const reader = createRedisStore({ monitor: 'm1', redis: redis.server.url, observer: { onCache: (layer, hit) => events.push(layer === 'read' && hit) }, ...opts });
  const other = createRedisStore({ monitor: 'm2', redis: redis.server.url });
  await Promise.all([reader.connected(), other.connected()]);
  t.after(async () => {
    await Promise.all([reader.close(), other.close()]);
  });
  return { reader, other, events };
}

test('a repeated read with no change in between is a hit, reported to the observer', async (t) => {
  const { reader, events } = await storePair(t);
  await reader.write([observation('a'), observation('b')]);
  const first = await reader.list({}, 10, null);
  const second = await reader.list({}, 10, null);
  assert.deepEqual(second, first);
  assert.deepEqual(reader.cacheStats(), { read: { hits: 1, misses: 1 } });
  assert.deepEqual(events, [false, true]);
  await reader.get('a');
  await reader.get('a');
  await reader.since(0, {});
  await reader.since(0, {});
  assert.deepEqual(reader.cacheStats(), { read: { hits: 3, misses: 3 } });
});

test("this process's writes invalidate the cache, even a refresh that does not move the seq", async (t) => {
  const { reader } = await storePair(t);
  await reader.write([observation('a')]);
  await reader.get('a');
  await reader.write([observation('a', { observedAt: T0 + 9000 })]);
  const record = await reader.get('a');
  assert.equal(record?.observedAt, new Date(T0 + 9000).toISOString());
  assert.deepEqual(reader.cacheStats(), { read: { hits: 0, misses: 2 } });
});

test("another monitor's change moves the global seq and turns the next read into a miss", async (t) => {
  const { reader, other } = await storePair(t);
  await other.write([observation('x', { monitor: 'm2' })]);
  assert.equal((await reader.get('x'))?.state, 'working');
  await other.write([observation('x', { monitor: 'm2', state: 'idle', observedAt: T0 + 1 })]);
  assert.equal((await reader.get('x'))?.state, 'idle');
  const page = await reader.list({}, 10, null);
  await other.remove(['x']);
  const after = await reader.list({}, 10, null);
  assert.deepEqual(after.agents, []);
  assert.equal(after.seq, page.seq + 1);
  assert.deepEqual(reader.cacheStats(), { read: { hits: 0, misses: 4 } });
});

test('an entry older than readCacheMaxAgeMs is re-read, so refreshes by others show up', async (t) => {
  const { reader, other } = await storePair(t, { readCacheMaxAgeMs: 100 });
  await other.write([observation('x')]);
  await reader.get('x');
  await other.write([observation('x', { observedAt: T0 + 5000 })]); // refresh only: the seq does not move
  assert.equal((await reader.get('x'))?.observedAt, new Date(T0).toISOString(), 'within the max age: cached');
  await sleep(150);
  assert.equal((await reader.get('x'))?.observedAt, new Date(T0 + 5000).toISOString());
  assert.deepEqual(reader.cacheStats(), { read: { hits: 1, misses: 2 } });
});

test('callers cannot corrupt the cache by mutating what they were given', async (t) => {
  const { reader } = await storePair(t);
  await reader.write([observation('a')]);
  const first = await reader.get('a');
  assert.ok(first);
  first.state = 'crashed';
  first.detail.rule = 'tampered';
  const second = await reader.get('a');
  assert.equal(second?.state, 'working');
  assert.equal(second?.detail.rule, 'rule-working');
  assert.equal(reader.cacheStats().read.hits, 1);
});
