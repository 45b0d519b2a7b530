// A Redis that stalls (stopped, swapping, a long fork) runs what it was sent when it resumes, seconds after the
// caller's command timeout failed it and the caller moved on. Scripts carry a deadline on Redis's clock and do
// nothing past it: a late store write would otherwise put an older version into Redis and the change stream after
// the newer ones served meanwhile, and a late webhook enqueue would leave in Redis a delivery queued in memory.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisQueue, WEBHOOK_KEY_PREFIX } from '../../src/notify/queue/redis.ts';
import { createRedisStore } from '../../src/store/index.ts';
import { usePrivateRedis } from '../helpers/redis.ts';
import { T0, observation } from './fixtures.ts';

const redis = usePrivateRedis();
const AGENT = 'paneward:{agents}:agent:a';
const EVENTS = 'paneward:{agents}:events';

test('a write or removal that Redis runs after the caller gave up on it changes nothing', { timeout: 30_000 }, async (t) => {
  await redis.raw.flushall();
  const store = createRedisStore({ monitor: 'm1', redis: redis.server.url });
  t.after(() => store.close());
  t.after(() => redis.server.resume());
  // Redis's clock is read on connect, before the first write's answer (one connection, in order).
  await store.write([observation('a')]);
  assert.equal(await redis.raw.hget(AGENT, 'state'), 'working');

  redis.server.pause();
  await assert.rejects(store.write([observation('a', { state: 'idle', observedAt: T0 + 1 })]), /timed out/i);
  await assert.rejects(store.remove(['a']), /timed out/i);
  redis.server.resume();
  await sleep(300);

  assert.deepEqual(await redis.raw.hmget(AGENT, 'state', 'v'), ['working', '1'], 'the late write did not apply');
  assert.equal(await redis.raw.xlen(EVENTS), 1, 'nor reached the change stream');
  assert.equal(await redis.raw.exists(AGENT), 1, 'the late removal did not apply');
  // Commands sent after the stall run as ever.
  await store.write([observation('a', { state: 'idle', observedAt: T0 + 2 })]);
  assert.deepEqual(await redis.raw.hmget(AGENT, 'state', 'v'), ['idle', '2']);
});

test('a webhook enqueue that Redis runs after the caller gave up on it leaves nothing queued', { timeout: 30_000 }, async (t) => {
  await redis.raw.flushall();
  const queue = new RedisQueue({ redis: redis.server.url, monitor: 'm1', maxPending: 100 });
  t.after(() => queue.close());
  t.after(() => redis.server.resume());
  const delivery = (id: string) => ({ id, hook: 'ops', agent: 'a', contentType: 'application/json', body: '{}', createdAt: T0, attempts: 0 });
  assert.equal(await queue.enqueue(delivery('msg_before')), 'queued');

  redis.server.pause();
  await assert.rejects(queue.enqueue(delivery('msg_late')), /timed out/i);
  redis.server.resume();
  await sleep(300);

  const data = `${WEBHOOK_KEY_PREFIX}m1:data`;
  assert.deepEqual((await redis.raw.hkeys(data)).sort(), ['msg_before'], 'the late enqueue did not apply');
  assert.equal(await queue.enqueue(delivery('msg_after')), 'queued');
});
