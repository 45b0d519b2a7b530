// The Redis store against the shared contract, plus what only Redis has: key layout, TTLs, the CAS script,
// pipelining and lazy cleanup of the index. Uses a private redis-server on a free port.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRedisStore, type RedisStore } from '../../src/store/index.ts';
import { usePrivateRedis } from '../helpers/redis.ts';
import { storeContract, type ContractOptions } from './contract.ts';
import { T0, observation } from './fixtures.ts';

const redis = usePrivateRedis();

async function freshStore(opts: ContractOptions = {}): Promise<RedisStore> {
  await redis.raw.flushall();
  const store = createRedisStore({ monitor: 'm1', redis: redis.server.url, ...opts });
  assert.equal(await store.connected(), true);
  return store;
}

storeContract('redis', freshStore);

describe('Redis store specifics', () => {
  test('every key lives under paneward:{agents}: with the expected type and a TTL on per-agent keys', async (t) => {
    const store = await freshStore({ ttlSeconds: 30 });
    t.after(() => store.close());
    await store.write([observation('a'), observation('b')]);
    await store.write([observation('a', { state: 'idle', observedAt: T0 + 1 })]);
    await store.remove(['b']);
    const keys = (await redis.raw.keys('*')).sort();
    assert.deepEqual(keys, [
      'paneward:{agents}:agent:a',
      'paneward:{agents}:changes',
      'paneward:{agents}:events',
      'paneward:{agents}:expiry',
      'paneward:{agents}:history:a',
      'paneward:{agents}:ids',
      'paneward:{agents}:removed',
      'paneward:{agents}:screen:a',
      'paneward:{agents}:seq',
    ]);
    assert.equal(await redis.raw.type('paneward:{agents}:agent:a'), 'hash');
    assert.equal(await redis.raw.type('paneward:{agents}:history:a'), 'stream');
    assert.equal(await redis.raw.type('paneward:{agents}:screen:a'), 'string');
    assert.equal(await redis.raw.get('paneward:{agents}:screen:a'), 'screen of a while idle');
    for (const key of ['agent:a', 'screen:a', 'history:a']) {
      const ttl = await redis.raw.pttl(`paneward:{agents}:${key}`);
      assert.ok(ttl > 25_000 && ttl <= 30_000, `${key} has the agent TTL (got ${ttl})`);
    }
    assert.equal(await redis.raw.hget('paneward:{agents}:agent:a', 'v'), '2');
    assert.equal(await redis.raw.hget('paneward:{agents}:agent:a', 'sh'), 'hash-idle');
    assert.equal(await redis.raw.hexists('paneward:{agents}:agent:a', 'screen'), 0, 'the screen is not in the record');
    assert.equal(await redis.raw.get('paneward:{agents}:seq'), '4');
    assert.equal(await redis.raw.zscore('paneward:{agents}:removed', 'b'), '4');
    const events = await redis.raw.xrange('paneward:{agents}:events', '-', '+');
    assert.deepEqual(
      events.map(([id, f]) => [id, f[1], f[3], f.includes('from') ? f[f.indexOf('from') + 1] : null]),
      [['1-0', 'a', 'a', ''], ['2-0', 'a', 'b', ''], ['3-0', 'a', 'a', 'working'], ['4-0', 'r', 'b', null]],
      'every change is an events entry at <seq>-0, in the script that took the seq',
    );
  });

  test('writes go through the CAS script (EVAL/EVALSHA), never WATCH/MULTI', async (t) => {
    const store = await freshStore();
    t.after(() => store.close());
    // One write first: the reading of Redis's clock on connect (a script too) is answered before it is.
    await store.write([observation('warm-up')]);
    await redis.raw.config('RESETSTAT');
    for (let i = 0; i < 3; i++) await store.write([observation('a', { state: i % 2 ? 'idle' : 'working', observedAt: T0 + i })]);
    const stats = await redis.raw.info('commandstats');
    const calls = (name: string) => Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
    assert.equal(calls('eval') + calls('evalsha'), 3);
    assert.equal(calls('evalsha'), 3, 'the script was sent once, and is called by sha since');
    assert.equal(calls('watch'), 0);
    assert.equal(calls('multi'), 0);
  });

  test('a cycle of 1000 observations is one pipeline', async (t) => {
    const store = await freshStore();
    t.after(() => store.close());
    let pipelines = 0;
    const original = store.client.pipeline.bind(store.client);
    store.client.pipeline = ((...args: Parameters<typeof original>) => {
      pipelines++;
      return original(...args);
    }) as typeof store.client.pipeline;
    const batch = Array.from({ length: 1000 }, (_, i) => observation(`agent-${i}`));
    await store.write(batch);
    assert.equal(pipelines, 1);
    assert.equal(await redis.raw.zcard('paneward:{agents}:ids'), 1000);
  });

  test('history is a capped stream', async (t) => {
    const store = await freshStore({ historyLimit: 10 });
    t.after(() => store.close());
    for (let i = 0; i < 500; i++) await store.write([observation('a', { state: i % 2 ? 'idle' : 'working', observedAt: T0 + i })]);
    const length = await redis.raw.xlen('paneward:{agents}:history:a');
    // MAXLEN ~ trims whole stream nodes (100 entries by default), so the stream holds "about" the limit.
    assert.ok(length < 500 && length >= 10, `stream trimmed (length ${length})`);
    assert.equal((await store.history('a', 1000)).length, 10);
  });

  test('an expired agent leaves the indexes lazily and is logged as removed', async (t) => {
    const store = await freshStore({ ttlSeconds: 0.3 });
    t.after(() => store.close());
    await store.write([observation('a')]);
    await sleep(500);
    assert.equal(await redis.raw.exists('paneward:{agents}:agent:a'), 0, 'Redis expired the hash');
    assert.equal(await redis.raw.zscore('paneward:{agents}:ids', 'a'), '0', 'the index still names it until someone reads');
    const page = await store.list({}, 10, null);
    assert.deepEqual(page.agents, []);
    assert.equal(await redis.raw.zscore('paneward:{agents}:ids', 'a'), null);
    assert.equal(await redis.raw.zscore('paneward:{agents}:expiry', 'a'), null);
    assert.equal(await redis.raw.zscore('paneward:{agents}:removed', 'a'), String(page.seq));
  });

  test('a version is never raised past a floor it already passed, and a floor below it changes nothing', async (t) => {
    const store = await freshStore();
    t.after(() => store.close());
    await store.write([observation('a')]);
    const [raised] = await store.writeVersioned([{ obs: observation('a', { observedAt: T0 + 1 }), floor: 7 }]);
    assert.equal(raised?.record.version, 7);
    assert.equal(raised?.changed, true);
    const [same] = await store.writeVersioned([{ obs: observation('a', { observedAt: T0 + 2 }), floor: 3 }]);
    assert.equal(same?.record.version, 7);
    assert.equal(same?.changed, false);
  });

  test('a refresh-only write refreshes an unchanged agent without its screen or body', async (t) => {
    const store = await freshStore({ ttlSeconds: 30 });
    t.after(() => store.close());
    await store.write([observation('a')]);
    await redis.raw.pexpire('paneward:{agents}:screen:a', 1000);
    // Text the script must not store: a refresh-only write leaves it out.
    const [result] = await store.writeVersioned([
      { obs: observation('a', { observedAt: T0 + 5, screen: 'not sent' }), floor: 1, refresh: true },
    ]);
    assert.equal(result?.changed, false);
    assert.equal(result?.record.version, 1);
    assert.equal(result?.record.observedAt, new Date(T0 + 5).toISOString());
    assert.equal(result?.record.detail.rule, 'rule-working', 'the record comes from the observation');
    assert.equal(await redis.raw.get('paneward:{agents}:screen:a'), 'screen of a while working');
    assert.ok((await redis.raw.pttl('paneward:{agents}:screen:a')) > 25_000, 'the screen TTL is refreshed too');
    assert.equal(await redis.raw.hget('paneward:{agents}:agent:a', 'obs'), String(T0 + 5));
  });

  test('a refresh-only write whose version would move is sent again in full', async (t) => {
    const store = await freshStore();
    const other = await freshStore();
    t.after(() => Promise.all([store.close(), other.close()]));
    await store.write([observation('a'), observation('gone')]);
    // Another monitor changed the screen in between, and 'gone' expired: the caller's belief is out of date.
    await other.write([observation('a', { screenHash: 'theirs', screen: 'their screen', observedAt: T0 + 1 })]);
    await redis.raw.del('paneward:{agents}:agent:gone');
    const seq = await store.seq();
    const results = await store.writeVersioned([
      { obs: observation('a', { observedAt: T0 + 2 }), floor: 1, refresh: true },
      { obs: observation('gone', { observedAt: T0 + 2 }), floor: 1, refresh: true },
      { obs: observation('b', { observedAt: T0 + 2 }), floor: 0 },
    ]);
    assert.deepEqual(
      results.map((r) => [r.record.id, r.record.version, r.changed]),
      [['a', 3, true], ['gone', 1, true], ['b', 1, true]],
    );
    assert.equal(await store.seq(), seq + 3);
    assert.equal(await store.screen('a'), 'screen of a while working');
    assert.equal(await redis.raw.hget('paneward:{agents}:agent:a', 'sh'), 'hash-working');
    assert.equal(await store.screen('gone'), 'screen of gone while working');
    assert.equal((await store.get('gone'))?.detail.rule, 'rule-working');
  });

  test('a write larger than one script call answers every observation in order', async (t) => {
    const store = await freshStore();
    const other = await freshStore();
    t.after(() => Promise.all([store.close(), other.close()]));
    const ids = Array.from({ length: 230 }, (_, i) => `agent-${String(i).padStart(3, '0')}`);
    await store.write(ids.map((id) => observation(id)));
    // Every seventh agent moves on another monitor; every third one is a new state here.
    await other.write(ids.filter((_, i) => i % 7 === 0).map((id) => observation(id, { screenHash: 'theirs', observedAt: T0 + 1 })));
    const results = await store.writeVersioned(
      ids.map((id, i) => ({
        obs: observation(id, { state: i % 3 === 0 ? 'idle' : 'working', observedAt: T0 + 2 }),
        floor: 1,
        refresh: i % 3 !== 0,
      })),
    );
    results.forEach((r, i) => {
      const expected = (i % 7 === 0 ? 1 : 0) + (i % 3 === 0 || i % 7 === 0 ? 1 : 0) + 1;
      assert.deepEqual([r.record.id, r.record.version, r.changed], [ids[i], expected, expected > 1]);
      assert.equal(r.record.state, i % 3 === 0 ? 'idle' : 'working');
    });
    const stored = await store.list({}, 1000, null);
    assert.deepEqual(
      stored.agents.map((a) => a.version),
      results.map((r) => r.record.version),
    );
  });

  test('close() ends the connection', async () => {
    const store = await freshStore();
    await store.write([observation('a')]);
    await store.close();
    assert.equal(store.health().up, false);
    assert.ok(['end', 'close'].includes(store.client.status));
  });
});
