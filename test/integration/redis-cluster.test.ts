// paneward on a real 3-master Redis Cluster and on a real Sentinel set-up, both started on free ports: the store
// contract holds, and when the master that owns paneward's slot dies the loop carries on and, once a replica is
// promoted, Redis holds every agent again at a version no lower than any a reader saw.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { Cluster } from 'ioredis';
import { buildApp } from '../../src/app.ts';
import { configWith } from '../../src/config.ts';
import { createRedisStore, parseHostPorts, type RedisTarget } from '../../src/store/index.ts';
import { startPrivateCluster, startPrivateSentinel, type PrivateCluster, type PrivateSentinel } from '../helpers/redis-cluster.ts';
import { startPrivateTmux, type PrivateTmux } from '../helpers/tmux.ts';
import { storeContract } from '../store/contract.ts';

interface Agent {
  id: string;
  version: number;
  state: string;
  stale: boolean;
}

async function cycle(app: FastifyInstance): Promise<{ errors: string[]; panes: number }> {
  return (await app.inject({ method: 'POST', url: '/v1/monitor/cycle' })).json();
}

async function agents(app: FastifyInstance): Promise<Agent[]> {
  return ((await app.inject({ url: '/v1/agents' })).json() as { agents: Agent[] }).agents;
}

/** Cycles until `done` holds for the agent list, or fails with `what` after `timeoutMs`. */
async function cycleUntil(app: FastifyInstance, what: string, done: (list: Agent[]) => boolean, timeoutMs = 30_000): Promise<Agent[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await cycle(app);
    const list = await agents(app);
    if (done(list)) return list;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}; last list ${JSON.stringify(list)}`);
    await sleep(200);
  }
}

function appOn(tmux: PrivateTmux, redis: RedisTarget, monitorId: string): Promise<FastifyInstance> {
  return buildApp(configWith({ sockets: [tmux.socket], redis, monitorId, pollIntervalMs: 3_600_000 }), { logger: false });
}

describe('Redis Cluster', () => {
  let cluster: PrivateCluster;
  let tmux: PrivateTmux;
  let target: RedisTarget;

  before(async () => {
    cluster = await startPrivateCluster();
    tmux = await startPrivateTmux();
    target = { type: 'cluster', nodes: parseHostPorts(cluster.nodes.join(',')) };
  });
  after(async () => {
    await tmux?.cleanup();
    await cluster?.cleanup();
  });

  let prefixes = 0;
  storeContract('redis cluster', async (opts) => {
    // Each store gets keys of its own (one slot each), so the suite needs no FLUSHALL across masters.
    const store = createRedisStore({ monitor: 'm1', redis: target, keyPrefix: `contract:{c${prefixes++}}:`, ...opts });
    assert.equal(await store.connected(), true, 'the store reaches the cluster');
    return store;
  });

  test('the loop writes every agent to the cluster; when the master of its slot dies the loop carries on and nothing is lost once a replica is promoted', { timeout: 120_000 }, async () => {
    await tmux.newSession('a', 'sleep 600');
    await tmux.newSession('b', 'sleep 600');
    const app = await appOn(tmux, target, 'cluster-itest');
    try {
      await app.ready();
      const before = await cycleUntil(app, 'both agents in the cluster', (list) => list.length === 2 && list.every((a) => !a.stale));

      const failover = cluster.failoverOwnerOf('paneward:{agents}:seq');
      // While the master is gone and a replica not yet promoted, panes come and go: the loop must keep up.
      await tmux.newSession('c', 'sleep 600');
      const during = await cycle(app);
      assert.equal(during.panes, 3, 'the cycle still lists tmux while the cluster fails over');
      const { killed, promoted } = await failover;
      assert.notEqual(killed, promoted);

      const afterwards = await cycleUntil(
        app,
        'all three agents fresh from the promoted replica',
        (list) => list.length === 3 && list.every((a) => !a.stale),
      );
      for (const old of before) {
        const now = afterwards.find((a) => a.id === old.id);
        assert.ok(now, `${old.id} is still there`);
        assert.ok(now.version >= old.version, `${old.id}: version ${now.version} went below ${old.version}`);
      }
      const raw = new Cluster(target.type === 'cluster' ? target.nodes : []);
      try {
        const ids = await raw.zrange('paneward:{agents}:ids', '0', '-1');
        assert.deepEqual(ids.sort(), afterwards.map((a) => a.id).sort(), 'the promoted replica holds every agent');
      } finally {
        raw.disconnect();
      }
      const ready = (await app.inject({ url: '/readyz' })).json() as { status: string };
      assert.equal(ready.status, 'ok');
    } finally {
      await app.close();
    }
  });
});

describe('Redis Sentinel', () => {
  let sentinel: PrivateSentinel;
  let tmux: PrivateTmux;
  let target: RedisTarget;

  before(async () => {
    sentinel = await startPrivateSentinel();
    tmux = await startPrivateTmux();
    target = { type: 'sentinel', sentinels: parseHostPorts(sentinel.sentinels.join(',')), name: sentinel.name };
  });
  after(async () => {
    await tmux?.cleanup();
    await sentinel?.cleanup();
  });

  test('the master named by the sentinels stores the agents, and after a failover the promoted replica does', { timeout: 120_000 }, async () => {
    await tmux.newSession('a', 'sleep 600');
    const app = await appOn(tmux, target, 'sentinel-itest');
    try {
      await app.ready();
      const before = await cycleUntil(app, 'the agent stored through the sentinel', (list) => list.length === 1 && !list[0]!.stale);
      const promoted = await sentinel.killMaster();
      await tmux.newSession('b', 'sleep 600');
      const afterwards = await cycleUntil(app, 'both agents fresh on the new master', (list) => list.length === 2 && list.every((a) => !a.stale));
      assert.equal(await sentinel.masterPort(), promoted);
      const old = afterwards.find((a) => a.id === before[0]!.id);
      assert.ok(old && old.version >= before[0]!.version, 'the first agent survived the failover');
    } finally {
      await app.close();
    }
  });
});
