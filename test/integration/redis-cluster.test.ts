// paneward on a real 3-master Redis Cluster and on a real Sentinel set-up, both started on free ports: the store
// contract holds, and when the master that owns paneward's slot dies the loop carries on and, once a replica is
// promoted, Redis holds every agent again at a version no lower than any a reader saw. The change stream on the
// Cluster: a client of one monitor gets another's changes, and across a failover of the slot's master no id repeats
// and a resume with Last-Event-ID equals GET /v1/agents?since.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { Cluster, Redis } from 'ioredis';
import { buildApp } from '../../src/app.ts';
import { configWith } from '../../src/config.ts';
import { createRedisStore, parseHostPorts, type RedisTarget } from '../../src/store/index.ts';
import { startPrivateCluster, startPrivateSentinel, type PrivateCluster, type PrivateSentinel } from '../helpers/redis-cluster.ts';
import { fold, openSse, type SseConnection, type SseEvent } from '../helpers/sse.ts';
import { startPrivateTmux, type PrivateTmux } from '../helpers/tmux.ts';
import { waitFor } from '../helpers/wait.ts';
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

describe('Redis Cluster: the change stream', () => {
  const SEQ_KEY = 'paneward:{agents}:seq';
  const EVENTS_KEY = 'paneward:{agents}:events';

  interface Monitor {
    tmux: PrivateTmux;
    app: FastifyInstance;
    base: string;
    panes: string[];
  }
  /** Two monitors on a cluster of their own (a failover leaves the slot on a master without a replica). */
  interface Fleet {
    cluster: PrivateCluster;
    target: RedisTarget;
    a: Monitor;
    b: Monitor;
    /** A client of GET /v1/events on monitor a, since before either monitor's changes. */
    live: SseConnection;
  }
  /** What a test started, stopped in reverse order when it ends. */
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** A monitor with its own tmux server and `panes` panes running cat; its loop ticks hourly. */
  async function startMonitor(target: RedisTarget, name: string, panes: number): Promise<Monitor> {
    const tmux = await startPrivateTmux();
    cleanups.push(() => tmux.cleanup());
    const ids = [await tmux.newSession(name, 'cat')];
    for (let i = 1; i < panes; i++) ids.push((await tmux.tmux('new-window', '-d', '-P', '-F', '#{pane_id}', '-t', `${name}:`, 'cat')).trim());
    const app = await appOn(tmux, target, name);
    cleanups.push(() => app.close());
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    return { tmux, app, base, panes: ids };
  }

  let said = 0;
  /** Types a new line into a pane (running cat, so its screen changes) and runs a cycle of its monitor. */
  async function change(m: Monitor, pane: string) {
    await m.tmux.tmux('send-keys', '-t', pane, '-l', `line ${++said}`);
    await m.tmux.tmux('send-keys', '-t', pane, 'Enter');
    await sleep(30);
    return cycle(m.app);
  }

  async function sse(m: Monitor, headers: Record<string, string> = {}) {
    const c = await openSse(m.base, '/v1/events', headers);
    cleanups.push(async () => c.close());
    return c;
  }

  async function listOf(m: Monitor) {
    const res = await m.app.inject({ url: '/v1/agents?limit=1000' });
    return res.json() as { agents: Array<{ id: string; version: number; stale: boolean; monitor: string }>; seq: number };
  }

  const versions = (m: Map<string, { version: number }>) => Object.fromEntries([...m].map(([id, r]) => [id, r.version]).sort());
  const monitorOf = (e: SseEvent) => (JSON.parse(e.data) as { monitor: string }).monitor;
  const idOf = (e: SseEvent) => (JSON.parse(e.data) as { id: string }).id;

  /** Every id the stream handed out is above the one before (a snapshot may restate the last seq): none repeats. */
  function assertIdsAscend(events: SseEvent[]) {
    const withId = events.filter((e) => e.id !== undefined);
    const shown = withId.map((e) => `${e.event}:${e.id}`).join(',');
    for (let i = 1; i < withId.length; i++) {
      const [prev, id] = [Number(withId[i - 1]!.id), Number(withId[i]!.id)];
      assert.ok(withId[i]!.event === 'snapshot' ? id >= prev : id > prev, `id ${id} after ${prev}: ${shown}`);
    }
    const changes = withId.filter((e) => e.event !== 'snapshot').map((e) => e.id);
    assert.equal(new Set(changes).size, changes.length, `an id repeated: ${shown}`);
  }

  /** A client of one node (not of the cluster), for commands that concern that node alone. */
  function nodeClient(port: number): Redis {
    const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined);
    return client;
  }

  async function answers(port: number): Promise<boolean> {
    const probe = nodeClient(port);
    try {
      await probe.connect();
      return (await probe.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      probe.disconnect();
    }
  }

  /** The cluster, both monitors, and a client of a that has had a snapshot and then changes of b. */
  async function startFleet(): Promise<Fleet> {
    const cluster = await startPrivateCluster();
    cleanups.push(() => cluster.cleanup());
    const target: RedisTarget = { type: 'cluster', nodes: parseHostPorts(cluster.nodes.join(',')) };
    const a = await startMonitor(target, 'clu-a', 2);
    const b = await startMonitor(target, 'clu-b', 3);
    await cycle(a.app);
    await cycle(b.app);
    const live = await sse(a);
    const snap = JSON.parse((await live.waitFor((e) => e.event === 'snapshot', 20_000)).data) as { agents: Array<{ monitor: string }>; seq: number };
    assert.deepEqual(new Set(snap.agents.map((x) => x.monitor)), new Set(['clu-a', 'clu-b']), 'the snapshot holds both monitors');
    assert.equal(snap.agents.length, 5);
    for (const pane of b.panes) await change(b, pane);
    await change(a, a.panes[0]!);
    const { seq } = await listOf(a);
    await waitFor(`the stream of clu-a to reach seq ${seq}`, () => Number(live.lastEventId()) >= seq, 20_000);
    const fromB = live.events.filter((e) => e.event === 'agent' && monitorOf(e) === 'clu-b');
    assert.ok(fromB.length >= 3, "clu-b's changes reach a client of clu-a");
    assert.ok(fromB.every((e) => Number(e.id) > snap.seq));
    assertIdsAscend(live.events);
    return { cluster, target, a, b, live };
  }

  /**
   * Replication is asynchronous: the replica of paneward's slot stops applying what its master sends (as one that
   * lags does) while `write` runs, then the master dies and the replica takes its place without that write. The
   * client of a has seen it first; `whileDown` runs between the master's death and the promotion. Returns the id
   * of that lost change (the last id the client saw before the failover).
   */
  async function failoverLosing(fleet: Fleet, write: () => Promise<unknown>, whileDown: () => Promise<void>): Promise<number> {
    const seed = nodeClient(fleet.target.type === 'cluster' ? fleet.target.nodes[0]!.port : 0);
    let master = 0;
    let replicaPort = 0;
    try {
      const slot = Number(await seed.call('CLUSTER', 'KEYSLOT', SEQ_KEY));
      await waitFor(`a replica of slot ${slot} in CLUSTER SLOTS`, async () => {
        const ranges = (await seed.call('CLUSTER', 'SLOTS')) as Array<[number, number, ...Array<[string, number]>]>;
        const range = ranges.find(([from, to]) => slot >= from && slot <= to);
        [master, replicaPort] = [Number(range?.[2]?.[1] ?? 0), Number(range?.[3]?.[1] ?? 0)];
        return replicaPort > 0;
      });
    } finally {
      seed.disconnect();
    }
    const replica = nodeClient(replicaPort);
    try {
      await replica.connect();
      await replica.call('CLIENT', 'PAUSE', '30000', 'WRITE');
      const seqBefore = (await listOf(fleet.a)).seq;
      await write();
      const { seq } = await listOf(fleet.a);
      assert.ok(seq > seqBefore, 'the change to be lost was written');
      // Both monitors' change streams have read it (so each process knows the seq went that far).
      await waitFor('both monitors to read the change that will be lost', () => fleet.a.app.events.seq >= seq && fleet.b.app.events.seq >= seq, 20_000);
      await waitFor('the client to see the change that will be lost', () => Number(fleet.live.lastEventId()) >= seq, 20_000);
      assert.equal(Number(fleet.live.lastEventId()), seq);

      let promotedYet = false;
      const failover = fleet.cluster.failoverOwnerOf(SEQ_KEY).finally(() => (promotedYet = true));
      await waitFor('the master of the slot to be gone', async () => !(await answers(master)), 20_000);
      await replica.call('CLIENT', 'UNPAUSE');
      do await whileDown();
      while (!promotedYet);
      const { killed, promoted } = await failover;
      assert.deepEqual([killed, promoted], [master, replicaPort]);
      return seq;
    } finally {
      await replica.call('CLIENT', 'UNPAUSE').catch(() => undefined);
      replica.disconnect();
    }
  }

  /**
   * After the failover: the change at `lost` is gone from the stream and its id was not handed out again; further
   * changes of both monitors reach the client with ids above every earlier one; the stream folds to the store; a
   * client resuming with Last-Event-ID `lost` gets exactly what GET /v1/agents?since=`lost` returns.
   */
  async function assertStreamCarriesOn(fleet: Fleet, lost: number, seenBefore: number, lostAgent: string) {
    const { a, b, live } = fleet;
    const mark = live.events.length;
    for (const pane of b.panes.slice(1)) await change(b, pane);
    await change(a, a.panes[1]!);
    await waitFor('both monitors to be in step with the promoted master', async () => {
      await cycle(a.app);
      await cycle(b.app);
      return a.app.store.health().up && b.app.store.health().up;
    }, 60_000);
    const truth = await listOf(a);
    assert.equal(truth.agents.length, 5);
    assert.ok(truth.agents.every((x) => !x.stale), 'every agent fresh after the failover');
    await waitFor(`the stream to reach seq ${truth.seq} after the failover`, () => Number(live.lastEventId()) >= truth.seq, 30_000);
    const later = live.events.slice(mark).filter((e) => e.event === 'agent' && e.id !== undefined);
    assert.ok(later.filter((e) => monitorOf(e) === 'clu-b').length >= 2, `clu-b's changes after the failover: ${later.map((e) => e.id).join(',')}`);
    assert.ok(later.some((e) => monitorOf(e) === 'clu-a'));
    const raw = new Cluster(fleet.target.type === 'cluster' ? fleet.target.nodes : []);
    try {
      assert.deepEqual(await raw.xrange(EVENTS_KEY, `${lost}-0`, `${lost}-0`), [], `the change at ${lost} was lost with the master, and its id not handed out again`);
    } finally {
      raw.disconnect();
    }
    assertIdsAscend(live.events);
    const afterFailover = live.events.slice(seenBefore).filter((e) => e.id !== undefined);
    assert.ok(afterFailover.every((e) => Number(e.id) > lost), `no id at or below ${lost} after the failover: ${afterFailover.map((e) => e.id).join(',')}`);
    const held = versions(fold(live.events));
    const stored = versions(new Map(truth.agents.map((x) => [x.id, x])));
    assert.ok(stored[lostAgent]! >= held[lostAgent]!, `${lostAgent} is stored at version ${stored[lostAgent]}, below the ${held[lostAgent]} the client saw`);
    assert.deepEqual(held, stored, 'the stream folds to the store');

    // A client that was away since just before the failover comes back with the last id it had seen.
    const changed = (await a.app.inject({ url: `/v1/agents?since=${lost}` })).json() as {
      agents: Array<{ id: string; version: number }>;
      removed: string[];
      seq: number;
      full?: boolean;
    };
    assert.ok(!changed.full, `?since=${lost} answers with the changes, not the full list`);
    assert.ok(changed.agents.length >= 3, `changed since ${lost}: ${changed.agents.map((x) => x.id).join(',')}`);
    const resumed = await sse(a, { 'last-event-id': String(lost) });
    await resumed.waitFor((e) => e.id === String(changed.seq), 20_000);
    assert.ok(!resumed.events.some((e) => e.event === 'snapshot'), 'a resume, not a snapshot');
    const idsAndVersions = (list: Array<{ id: string; version: number }>) => list.map((x) => `${x.id}@${x.version}`).sort();
    const replayed = resumed.events.filter((e) => e.event === 'agent').map((e) => JSON.parse(e.data) as { id: string; version: number });
    assert.deepEqual(idsAndVersions(replayed), idsAndVersions(changed.agents));
    assert.deepEqual(resumed.events.filter((e) => e.event === 'removed').map((e) => JSON.parse(e.data).id), changed.removed);
    assertIdsAscend(resumed.events);
  }

  test(
    "a client of one monitor gets the other's changes with ascending ids, and still after the slot's master dies having lost the last change while panes change; a resume equals ?since",
    { timeout: 180_000 },
    async () => {
      const fleet = await startFleet();
      const { a, b, live } = fleet;
      let rounds = 0;
      const lost = await failoverLosing(
        fleet,
        () => change(b, b.panes[0]!),
        async () => {
          rounds++;
          await change(a, a.panes[rounds % a.panes.length]!);
          await change(b, b.panes[rounds % b.panes.length]!);
        },
      );
      const seenBefore = live.events.length;
      await waitFor('both monitors to write to the promoted master again', async () => {
        await cycle(a.app);
        await cycle(b.app);
        return a.app.store.health().up && b.app.store.health().up;
      }, 60_000);
      await assertStreamCarriesOn(fleet, lost, seenBefore, idOf(live.events.find((e) => e.id === String(lost))!));
    },
  );

  test(
    'when the master dies having lost the last change and nothing is written until a replica is promoted, the first write after it takes an id above every one handed out, and the lost change is written again',
    { timeout: 180_000 },
    async () => {
      const fleet = await startFleet();
      const { b, live } = fleet;
      const lost = await failoverLosing(fleet, () => change(b, b.panes[0]!), () => sleep(100));
      const seenBefore = live.events.length;
      await assertStreamCarriesOn(fleet, lost, seenBefore, idOf(live.events.find((e) => e.id === String(lost))!));
    },
  );
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
