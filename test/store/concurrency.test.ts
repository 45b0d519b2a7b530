// Two monitors writing the same agent at once, through two connections: no lost update, no version going back.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AgentState } from '../../src/agents/model.ts';
import { createRedisStore, type RedisStore } from '../../src/store/index.ts';
import { usePrivateRedis } from '../helpers/redis.ts';
import { T0, observation } from './fixtures.ts';

const redis = usePrivateRedis();

const WRITES_PER_WORKER = 150;
const WORKERS_PER_STORE = 4;

/** One worker: alternates between two states of its own, recording the versions its writes produced. */
async function hammer(store: RedisStore, states: [AgentState, AgentState], clock: { t: number }) {
  const versions: number[] = [];
  let changes = 0;
  for (let i = 0; i < WRITES_PER_WORKER; i++) {
    const state = states[i % 2]!;
    const result = await store.write([observation('shared', { state, observedAt: T0 + clock.t++ })]);
    changes += result.changed.length;
    for (const record of result.changed) versions.push(record.version);
  }
  return { versions, changes };
}

test('two stores hammering one agent never lose an update and never move its version backwards', async () => {
  const one = createRedisStore({ monitor: 'm1', redis: redis.server.url, historyLimit: 100_000, keyPrefix: 'paneward:{race}:' });
  const two = createRedisStore({ monitor: 'm2', redis: redis.server.url, historyLimit: 100_000, keyPrefix: 'paneward:{race}:' });
  try {
    await Promise.all([one.connected(), two.connected()]);
    const clock = { t: 0 };
    const runs = await Promise.all([
      ...Array.from({ length: WORKERS_PER_STORE }, () => hammer(one, ['working', 'idle'], clock)),
      ...Array.from({ length: WORKERS_PER_STORE }, () => hammer(two, ['waiting', 'error'], clock)),
    ]);

    const final = await one.get('shared');
    assert.ok(final);
    const totalChanges = runs.reduce((sum, r) => sum + r.changes, 0);
    // Each change a writer was told about is one version step: a lost update would leave final.version lower.
    assert.equal(final.version, totalChanges);
    // Most writes really change the state (workers interleave), so this is not a trivially small number.
    assert.ok(totalChanges > WRITES_PER_WORKER, `changes: ${totalChanges}`);

    for (const { versions } of runs) {
      for (let i = 1; i < versions.length; i++) assert.ok(versions[i]! > versions[i - 1]!, 'versions seen by one writer only grow');
    }
    const all = runs.flatMap((r) => r.versions).sort((a, b) => a - b);
    assert.deepEqual(all, Array.from({ length: final.version }, (_, i) => i + 1), 'every version was issued exactly once');

    // Every change here is a state change, so the history holds each version once, newest first.
    const history = await two.history('shared', 100_000);
    assert.deepEqual(
      history.map((h) => h.version),
      Array.from({ length: final.version }, (_, i) => final.version - i),
    );
    for (let i = 0; i + 1 < history.length; i++) assert.equal(history[i]!.from, history[i + 1]!.to, 'transitions chain');
    assert.equal(await one.seq(), final.version, 'one seq step per change');
  } finally {
    await Promise.all([one.close(), two.close()]);
  }
});
