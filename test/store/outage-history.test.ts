// Transitions made while Redis is away reach /history once it is back: in order, none lost, none twice.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AgentState } from '../../src/agents/model.ts';
import { createStore, type AgentStore } from '../../src/store/index.ts';
import { startPrivateRedis, type PrivateRedis } from '../helpers/redis.ts';
import { T0, observation } from './fixtures.ts';

let server: PrivateRedis;
before(async () => {
  server = await startPrivateRedis();
});
after(async () => {
  await server.cleanup();
});

const STATES: AgentState[] = ['working', 'waiting', 'idle'];

/** Writes `count` observations of agent `id`, each in a new state (so each is one transition). */
async function transitions(store: AgentStore, id: string, from: number, count: number): Promise<void> {
  for (let i = from; i < from + count; i++) {
    await store.write([observation(id, { state: STATES[i % STATES.length]!, observedAt: T0 + i * 1000 })]);
  }
}

async function waitUntilSynced(store: AgentStore, id: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!store.health().up || (await store.get(id))?.stale !== false) {
    if (Date.now() > deadline) throw new Error(`Redis never came back: ${store.health().reason}`);
    await sleep(100);
  }
}

/** The full history, oldest first, as [from, to, version]. */
async function history(store: AgentStore, id: string): Promise<Array<[string | null, string, number]>> {
  return (await store.history(id, 100)).reverse().map((t) => [t.from, t.to, t.version]);
}

function expected(count: number): Array<[string | null, string, number]> {
  return Array.from({ length: count }, (_, i) => [i === 0 ? null : STATES[(i - 1) % 3]!, STATES[i % 3]!, i + 1]);
}

test('Redis paused: the transitions made meanwhile are written back in order when it answers again', async (t) => {
  const store = createStore({ monitor: 'm1', redis: server.url });
  t.after(() => store.close());
  t.after(() => server.resume());
  await transitions(store, 'paused', 0, 4);
  server.pause();
  await transitions(store, 'paused', 4, 4);
  assert.equal(store.health().up, false, 'the store noticed');
  server.resume();
  await waitUntilSynced(store, 'paused');
  await transitions(store, 'paused', 8, 4);
  assert.deepEqual(await history(store, 'paused'), expected(12));
});

test('Redis killed and restarted empty: history keeps the outage and says the agent was first seen at version 1', async (t) => {
  const store = createStore({ monitor: 'm2', redis: server.url });
  t.after(() => store.close());
  await transitions(store, 'restarted', 0, 4);
  await server.stop();
  await transitions(store, 'restarted', 4, 5);
  await server.start();
  await waitUntilSynced(store, 'restarted');
  await transitions(store, 'restarted', 9, 3);
  assert.deepEqual(await history(store, 'restarted'), expected(12));
});
