// Redis going away and coming back: the store keeps working on its memory mirror, serves it marked stale,
// reports itself down, and rewrites its state into Redis when Redis returns.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createMemoryStore, createRedisStore, createStore, ResilientStore } from '../../src/store/index.ts';
import { usePrivateRedis } from '../helpers/redis.ts';
import { waitFor } from '../helpers/wait.ts';
import { storeContract } from './contract.ts';
import { T0, observation } from './fixtures.ts';

const redis = usePrivateRedis();

/** stop()/start() that tolerate being called twice, so cleanup hooks can always bring the server back. */
let redisDown = false;
async function stopRedis(): Promise<void> {
  await redis.server.stop();
  redisDown = true;
}
async function startRedis(): Promise<void> {
  if (!redisDown) return;
  await redis.server.start();
  redisDown = false;
}


storeContract('resilient (Redis up)', async (opts) => {
  await redis.raw.flushall();
  return new ResilientStore(
    createRedisStore({ monitor: 'm1', redis: redis.server.url, ...opts }),
    createMemoryStore({ ttlSeconds: opts.ttlSeconds, historyLimit: opts.historyLimit, removedLogLimit: 1 }),
  );
});

describe('Refreshes through the mirror', () => {
  const inputBytes = async () => Number(/total_net_input_bytes:(\d+)/.exec(await redis.raw.info('stats'))?.[1]);

  test('an agent the mirror holds unchanged is refreshed without sending its screen again', async (t) => {
    await redis.raw.flushall();
    const store = createStore({ monitor: 'm1', redis: redis.server.url });
    t.after(() => store.close());
    const screen = 'x'.repeat(100_000);
    await store.write([observation('a', { screen })]);
    const before = await inputBytes();
    const result = await store.write([observation('a', { screen, observedAt: T0 + 1 })]);
    const sent = (await inputBytes()) - before;
    assert.equal(result.refreshed, 1);
    assert.ok(sent < 5_000, `a refresh sent ${sent} bytes`);
    assert.equal((await store.get('a'))?.observedAt, new Date(T0 + 1).toISOString());
  });

  test('two monitors writing one agent: a refresh after the other monitor changed it is written in full', async (t) => {
    await redis.raw.flushall();
    const one = createStore({ monitor: 'm1', redis: redis.server.url });
    const two = createStore({ monitor: 'm2', redis: redis.server.url });
    t.after(() => Promise.all([one.close(), two.close()]));
    await one.write([observation('a')]);
    await two.write([observation('a', { screenHash: 'theirs', screen: 'their screen', observedAt: T0 + 1 })]);
    const result = await one.write([observation('a', { observedAt: T0 + 2 })]);
    assert.deepEqual(result.changed.map((r) => [r.id, r.version, r.stale]), [['a', 3, false]]);
    assert.equal(await one.screen('a'), 'screen of a while working');
    assert.equal((await two.get('a'))?.version, 3);
    assert.equal((await one.write([observation('a', { observedAt: T0 + 3 })])).refreshed, 1);
  });
});

describe('Redis outage', () => {
  test('while Redis is down writes succeed locally, reads are stale, health is down; on return Redis gets the state back', async (t) => {
    await redis.raw.flushall();
    const store = createStore({ monitor: 'm1', redis: redis.server.url });
    t.after(() => store.close());
    t.after(() => startRedis()); // leave the server running for the next test even if this one fails

    await store.write([observation('a'), observation('b')]);
    const before = await store.since(0, {});
    assert.equal(before.seq, 2);
    assert.deepEqual(store.health(), { backend: 'redis', up: true, reason: null });

    const tagUp = await store.changeTag();
    assert.equal(tagUp, '2');
    await stopRedis();
    const whileDown = await store.write([observation('a', { state: 'waiting', observedAt: T0 + 1 }), observation('c')]);
    assert.deepEqual(whileDown.changed.map((r) => [r.id, r.version, r.stale]), [['a', 2, true], ['c', 1, true]]);
    assert.deepEqual(whileDown.transitions, [{ id: 'a', from: 'working', to: 'waiting' }, { id: 'c', from: null, to: 'working' }]);
    await store.remove(['b']);

    const health = store.health();
    assert.equal(health.up, false);
    assert.equal(health.backend, 'redis');
    assert.match(health.reason ?? '', /\S/);

    const a = await store.get('a');
    assert.equal(a?.stale, true);
    assert.equal(a?.version, 2);
    assert.equal(a?.state, 'waiting');
    const page = await store.list({}, 10, null);
    assert.deepEqual(page.agents.map((r) => [r.id, r.stale]), [['a', true], ['c', true]]);
    assert.equal(page.seq, 2, 'the last seq Redis gave out');
    const since = await store.since(2, {});
    assert.equal(since.full, true);
    assert.deepEqual(since.agents.map((r) => r.id), ['a', 'c']);
    assert.equal(await store.screen('a'), 'screen of a while waiting');
    assert.equal((await store.history('a', 5))[0]?.to, 'waiting');

    // The seq stands still while Redis is away; list ETags still move with every change the mirror takes.
    const tagDown = await store.changeTag();
    assert.match(tagDown, /^2-stale-\d+$/);
    assert.notEqual(tagDown, tagUp);
    await store.write([observation('c', { observedAt: T0 + 2 })]); // a refresh: nothing a reader sees moved
    assert.equal(await store.changeTag(), tagDown);
    await store.write([observation('c', { state: 'idle', observedAt: T0 + 3 })]);
    assert.notEqual(await store.changeTag(), tagDown);

    // A loop that keeps running for many cycles holds one entry per live agent, not a queue of writes.
    for (let i = 2; i < 200; i++) {
      await store.write([observation('a', { state: i % 2 ? 'idle' : 'waiting', observedAt: T0 + i }), observation('c', { observedAt: T0 + i })]);
    }
    assert.equal((store as ResilientStore).mirrorSize(), 2);
    const lastLocal = await store.get('a');
    assert.ok(lastLocal && lastLocal.version > 100);
    const lastC = await store.get('c');

    await startRedis(); // an empty Redis: no persistence in the test server
    await waitFor('redis to be back and resynced', () => store.health().up);
    assert.deepEqual(store.health(), { backend: 'redis', up: true, reason: null });

    assert.equal(await redis.raw.hget('paneward:{agents}:agent:a', 'v'), String(lastLocal.version), 'version continues, never back to 1');
    assert.equal(await redis.raw.hget('paneward:{agents}:agent:a', 'state'), lastLocal.state);
    assert.equal(await redis.raw.hget('paneward:{agents}:agent:c', 'v'), String(lastC?.version));
    assert.equal(await redis.raw.exists('paneward:{agents}:agent:b'), 0);
    assert.ok(Number(await redis.raw.get('paneward:{agents}:seq')) > 2, 'the global seq did not restart below what callers saw');

    const fresh = await store.get('a');
    assert.equal(fresh?.stale, false);
    assert.equal(fresh?.version, lastLocal.version);
    const caughtUp = await store.since(2, {});
    assert.ok(!caughtUp.full);
    assert.deepEqual(caughtUp.agents.map((r) => [r.id, r.stale]), [['a', false], ['c', false]]);

    const next = await store.write([observation('a', { state: 'error', observedAt: T0 + 500 })]);
    assert.equal(next.changed[0]?.version, lastLocal.version + 1);
    assert.equal(next.changed[0]?.stale, false);
  });

  test('a monitor that starts while Redis is down runs on memory and fills Redis once it appears', async (t) => {
    await stopRedis();
    t.after(() => startRedis());
    const store = createStore({ monitor: 'm1', redis: redis.server.url });
    t.after(() => store.close());

    const result = await store.write([observation('early')]);
    assert.deepEqual(result.changed.map((r) => [r.id, r.version, r.stale]), [['early', 1, true]]);
    assert.equal(store.health().up, false);
    assert.equal((await store.list({}, 10, null)).agents[0]?.stale, true);

    await startRedis();
    await waitFor('redis to be back and resynced', () => store.health().up);
    await waitFor('raw client to reconnect', async () => (await redis.raw.ping().catch(() => null)) === 'PONG');
    assert.equal(await redis.raw.hget('paneward:{agents}:agent:early', 'v'), '1');
    assert.equal((await store.get('early'))?.stale, false);
  });

  test('close() while Redis is down returns and stops reconnecting', { timeout: 20_000 }, async () => {
    const store = createStore({ monitor: 'closer', redis: redis.server.url });
    await store.write([observation('a')]);
    await stopRedis();
    await store.write([observation('a', { observedAt: T0 + 1 })]);
    await store.close();
    assert.equal(store.health().up, false);
    await startRedis();
    await waitFor('raw client to reconnect', async () => (await redis.raw.ping().catch(() => null)) === 'PONG');
    // Longer than the store's reconnect backoff at this point: a live retry timer would have reconnected by now.
    await sleep(2500);
    const clients = await redis.raw.client('LIST');
    assert.doesNotMatch(String(clients), /name=paneward:closer/);
  });
});

describe('Stale list ETags', () => {
  test('while Redis is down, an agent expiring from the mirror moves the list ETag', async (t) => {
    let now = T0;
    const store = new ResilientStore(
      createRedisStore({ monitor: 'm1', redis: redis.server.url }),
      createMemoryStore({ ttlSeconds: 5, removedLogLimit: 1, now: () => now }),
    );
    t.after(() => store.close());
    t.after(() => startRedis());
    await stopRedis();
    await store.write([observation('a'), observation('b')]);
    const tag = await store.changeTag();
    now += 6000; // past the mirror's TTL: a reader would no longer see them
    assert.notEqual(await store.changeTag(), tag);
    assert.deepEqual((await store.list({}, 10, null)).agents, []);
  });
});

describe('A Redis that stops answering', () => {
  test('costs one command timeout; then nothing waits on it, the mirror serves stale, and it catches up once Redis answers', { timeout: 60_000 }, async (t) => {
    await redis.raw.flushall();
    const store = createStore({ monitor: 'm1', redis: redis.server.url });
    t.after(() => store.close());
    t.after(() => redis.server.resume());
    await store.write([observation('a')]);

    redis.server.pause();
    const first = await store.write([observation('a', { state: 'waiting', observedAt: T0 + 1 })]);
    assert.equal(first.changed[0]?.stale, true, 'the write that met the timeout went to the mirror');
    assert.equal(store.health().up, false);
    assert.match(store.health().reason ?? '', /timed? ?out/i);

    // Every call below would take the 2 s command timeout if it waited on Redis; the probes run aside.
    const slowest = { ms: 0, what: '' };
    const timed = async (what: string, call: () => Promise<unknown>) => {
      const started = performance.now();
      await call();
      const ms = performance.now() - started;
      if (ms > slowest.ms) Object.assign(slowest, { ms, what });
    };
    let version = first.changed[0]!.version;
    const until = Date.now() + 3000; // past several probe retries (0.5 s, 1 s, 2 s)
    for (let i = 2; Date.now() < until; i++) {
      await timed('write', async () => {
        const result = await store.write([observation('a', { state: i % 2 ? 'waiting' : 'idle', observedAt: T0 + i })]);
        assert.equal(result.changed[0]?.stale, true);
        version = result.changed[0]!.version;
      });
      await timed('get', async () => assert.equal((await store.get('a'))?.stale, true));
      await timed('list', () => store.list({}, 10, null));
      await timed('changeTag', () => store.changeTag());
      await sleep(100);
    }
    assert.ok(slowest.ms < 1000, `the slowest call (${slowest.what}) took ${Math.round(slowest.ms)} ms: it waited on the stopped Redis`);

    redis.server.resume();
    await waitFor('the probe to find Redis answering and the rewrite', async () => {
      await store.write([observation('a', { state: 'error', observedAt: T0 + 10_000 })]);
      return store.health().up;
    });
    version += 1; // the state just written
    assert.equal(await redis.raw.hget('paneward:{agents}:agent:a', 'v'), String(version), 'the versions counted meanwhile reached Redis');
    assert.equal((await store.get('a'))?.stale, false);
  });
});

describe('Redis restarting between two cycles', () => {
  test('a restart nobody noticed (no command failed) is still followed by a rewrite of the state', async (t) => {
    await redis.raw.flushall();
    const store = createStore({ monitor: 'm1', redis: redis.server.url });
    t.after(() => store.close());
    t.after(() => startRedis());
    await store.write([observation('a'), observation('a2')]);
    await store.write([observation('a', { state: 'idle', observedAt: T0 + 1 })]);
    assert.equal((await store.since(0, {})).seq, 3);
    await stopRedis();
    await startRedis();
    await waitFor('the rewrite after reconnecting', async () => {
      await redis.raw.ping().catch(() => null);
      return store.health().up && (await redis.raw.exists('paneward:{agents}:agent:a').catch(() => 0)) === 1;
    });
    assert.equal(await redis.raw.hget('paneward:{agents}:agent:a', 'v'), '2');
    assert.equal(await redis.raw.hget('paneward:{agents}:agent:a2', 'v'), '1');
    // Raised to the 3 callers saw, then one step per rewritten agent: seqs already handed out are not reissued.
    assert.equal(await redis.raw.get('paneward:{agents}:seq'), '5');
  });
});
