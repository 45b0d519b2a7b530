// The server on a real Redis: agents land in Redis; when Redis goes away the loop keeps going and the API
// serves memory marked stale; when Redis returns the state is written back.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { buildApp } from '../../src/app.ts';
import { configWith } from '../../src/config.ts';
import { startPrivateRedis, type PrivateRedis } from '../helpers/redis.ts';
import { startPrivateTmux, type PrivateTmux } from '../helpers/tmux.ts';

let tmux: PrivateTmux;
let redis: PrivateRedis;
let app: FastifyInstance;

before(async () => {
  tmux = await startPrivateTmux();
  redis = await startPrivateRedis();
  await tmux.newSession('a', 'sleep 600');
  await tmux.newSession('b', 'sleep 600');
  app = await buildApp(
    configWith({ sockets: [tmux.socket], redis: redis.url, monitorId: 'redis-itest', pollIntervalMs: 3_600_000 }),
    { logger: false }, // the loop runs (readiness needs it) but ticks hourly: the tests drive cycles themselves
  );
  await app.ready();
});

after(async () => {
  await app.close();
  await redis.cleanup();
  await tmux.cleanup();
});

const cycle = async () =>
  (await app.inject({ method: 'POST', url: '/v1/monitor/cycle' })).json() as { errors: string[]; panes: number };
const list = async () => (await app.inject({ url: '/v1/agents' })).json() as { agents: Array<{ id: string; stale: boolean }> };

async function redisKeys(): Promise<string[]> {
  const raw = new Redis(redis.port, '127.0.0.1');
  try {
    return await raw.keys('paneward:*');
  } finally {
    raw.disconnect();
  }
}

test('agents are written to Redis under the paneward: prefix', async () => {
  const stats = await cycle();
  assert.deepEqual(stats.errors, []);
  const { agents } = await list();
  assert.equal(agents.length, 2);
  assert.ok(agents.every((a) => !a.stale));
  const keys = await redisKeys();
  assert.ok(keys.length > 0);
  for (const a of agents) assert.ok(keys.some((k) => k.includes(a.id)), `a key for ${a.id}`);
});

test('with Redis down the loop keeps cycling, reads are stale and readiness is degraded', async () => {
  await redis.stop();
  await sleep(200);
  const stats = await cycle();
  assert.equal(stats.panes, 2, 'the cycle still lists tmux while Redis is down');
  const etag = (await app.inject({ url: '/v1/agents' })).headers.etag as string;
  await tmux.newSession('c', 'sleep 600');
  await cycle();
  const changed = await app.inject({ url: '/v1/agents', headers: { 'if-none-match': etag } });
  assert.equal(changed.statusCode, 200, 'the seq stands still while Redis is down, yet the ETag moved with the new agent');
  assert.equal((await app.inject({ url: '/v1/agents', headers: { 'if-none-match': changed.headers.etag as string } })).statusCode, 304);
  const { agents } = await list();
  assert.equal(agents.length, 3, 'the new pane is served from memory');
  assert.ok(agents.every((a) => a.stale), 'every agent is marked stale');
  const ready = await app.inject({ url: '/readyz' });
  assert.equal(ready.statusCode, 200);
  assert.equal((ready.json() as { status: string }).status, 'degraded');
  assert.match((await app.inject({ url: '/metrics' })).body, /^paneward_redis_up 0$/m);
});

test('when Redis returns the state is written back and reads are fresh again', async () => {
  await redis.start();
  let fresh = false;
  for (let i = 0; i < 50 && !fresh; i++) {
    await sleep(200);
    await cycle();
    const { agents } = await list();
    fresh = agents.length === 3 && agents.every((a) => !a.stale);
  }
  assert.ok(fresh, 'reads are fresh after Redis is back');
  const keys = await redisKeys();
  const { agents } = await list();
  for (const a of agents) assert.ok(keys.some((k) => k.includes(a.id)), `${a.id} re-written to Redis`);
  assert.match((await app.inject({ url: '/metrics' })).body, /^paneward_redis_up 1$/m);
});

test('a Redis that stops answering costs one command timeout; the loop and the API go on from memory and catch up after', { timeout: 60_000 }, async (t) => {
  t.after(() => redis.resume());
  redis.pause();
  // The first command to Redis (a write, or here the list's read) meets the command timeout; memory answers it.
  assert.deepEqual((await cycle()).errors, []);
  assert.ok((await list()).agents.every((a) => a.stale));
  // Nothing after that waits on the stopped Redis (a command timeout is 2 s).
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    await cycle();
    const { agents } = await list();
    const ms = performance.now() - started;
    assert.ok(ms < 1000, `cycle and list took ${Math.round(ms)} ms: they waited on the stopped Redis`);
    assert.ok(agents.length === 3 && agents.every((a) => a.stale));
    await sleep(300);
  }
  const ready = await app.inject({ url: '/readyz' });
  assert.equal((ready.json() as { status: string }).status, 'degraded');

  redis.resume();
  let fresh = false;
  for (let i = 0; i < 50 && !fresh; i++) {
    await sleep(200);
    await cycle();
    fresh = (await list()).agents.every((a) => !a.stale);
  }
  assert.ok(fresh, 'reads are fresh once Redis answers again');
  assert.equal(((await app.inject({ url: '/readyz' })).json() as { status: string }).status, 'ok');
});
