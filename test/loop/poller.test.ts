// The loop's scheduling: cycles never overlap, late ticks are skipped and counted, stop waits for the cycle
// in flight, and a store that throws does not stop the loop. What it writes: changes at once, the rest on refresh.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AgentObservation } from '../../src/agents/model.ts';
import type { Classification } from '../../src/detect/types.ts';
import { agentId } from '../../src/loop/agent-id.ts';
import { createStandInClassifier } from '../helpers/stand-in-classifier.ts';
import { Poller, type PollerOptions } from '../../src/loop/poller.ts';
import { createMemoryStore } from '../../src/store/index.ts';
import type { AgentStore } from '../../src/store/types.ts';
import type { PaneInfo, TmuxServer } from '../../src/tmux/types.ts';
import { FakeTmuxServer, pastSecond } from '../helpers/fake-tmux.ts';
import { pane } from '../helpers/pane.ts';

/** Pane number n of the fake server. */
function paneN(n: number): PaneInfo {
  return pane({ socket: '/fake/sock', sessionId: '$0', sessionName: 's', windowId: `@${n}`, windowIndex: n, windowName: 'w', paneId: `%${n}`, panePid: 100 + n, currentCommand: 'sleep', windowActivity: 1, width: 80, height: 24 });
}

/** A tmux server whose list-panes takes `delayMs`, recording how many queries ran at once. */
function slowServer(delayMs: number) {
  let inFlight = 0;
  const server = {
    maxInFlight: 0,
    lists: 0,
    socket: '/fake/sock',
    async listPanes() {
      inFlight++;
      server.maxInFlight = Math.max(server.maxInFlight, inFlight);
      server.lists++;
      await sleep(delayMs);
      inFlight--;
      return [paneN(1), paneN(2)];
    },
    async listAndCapture(capture: readonly string[]) {
      return { panes: await server.listPanes(), screens: server.capturePanes(capture) };
    },
    async capturePanes(ids: readonly string[]) {
      return new Map(ids.map((id) => [id, `screen of ${id}`]));
    },
    status: () => ({ socket: '/fake/sock', up: true, reason: null, strategy: 'pool' as const, effectiveStrategy: 'pool' as const, lastOkAt: Date.now() }),
    poolStats: () => null,
    setStrategy() {},
    async close() {},
  };
  return server satisfies TmuxServer;
}

function poller(server: TmuxServer, store: AgentStore, intervalMs: number) {
  const classifier = createStandInClassifier({ idleAfterMs: 5000 });
  return new Poller({
    monitor: 't',
    servers: () => [server],
    store,
    classifier: () => classifier,
    intervalMs,
    captureMaxAgeMs: 10_000,
    refreshEveryMs: 20_000,
  });
}

test('a cycle slower than the interval never overlaps the next; the late ticks are skipped and counted', async () => {
  const server = slowServer(250);
  const p = poller(server, createMemoryStore(), 100);
  p.start();
  await sleep(1100);
  await p.stop();
  assert.equal(server.maxInFlight, 1, 'never two cycles at once');
  assert.ok(p.cyclesRun >= 3 && p.cyclesRun <= 5, `ran ${p.cyclesRun} cycles`);
  assert.ok(p.cyclesSkipped >= 2 * (p.cyclesRun - 1), `skipped ${p.cyclesSkipped} ticks over ${p.cyclesRun} cycles`);
});

test('stop waits for the cycle in flight to finish', async () => {
  const server = slowServer(300);
  const p = poller(server, createMemoryStore(), 1000);
  p.start();
  await sleep(50);
  const stopped = Date.now();
  await p.stop();
  assert.ok(Date.now() - stopped >= 200, 'stop returned only after the cycle finished');
  assert.equal(p.cyclesRun, 1);
  assert.equal(p.lastCycle?.panes, 2);
});

test('runNow waits for the cycle in flight instead of running beside it', async () => {
  const server = slowServer(150);
  const p = poller(server, createMemoryStore(), 10_000);
  p.start();
  await sleep(20);
  const stats = await p.runNow();
  await p.stop();
  assert.equal(server.maxInFlight, 1);
  assert.equal(stats.panes, 2);
  assert.equal(p.cyclesRun, 2);
});

test('a store that throws makes the cycle an error and the loop keeps going', async () => {
  const server = slowServer(1);
  const broken = createMemoryStore();
  broken.write = async () => {
    throw new Error('store is on fire');
  };
  const p = poller(server, broken, 50);
  p.start();
  await sleep(300);
  await p.stop();
  assert.ok(p.cyclesRun >= 3, `kept cycling (${p.cyclesRun})`);
  assert.equal(p.lastCycle?.ok, false);
  assert.match(p.lastCycle?.errors.join(' ') ?? '', /store is on fire/);
  assert.equal(p.lastSuccessAt, null);
});

test('a pane where nothing moved is written again only when its refresh is due; a window rename alone is written at once', async () => {
  const server = new FakeTmuxServer();
  server.setPanes([{ paneId: '%1', windowName: 'build', windowActivity: pastSecond() }]);
  server.setScreen('%1', '$ make\nok');
  // The same classification object every time, as the detector returns while its memo holds.
  const same: Classification = { kind: 'shell', state: 'idle', detail: { rule: 'shell.prompt', evidence: '$', confidence: 1 } };
  const store = createMemoryStore();
  const written: AgentObservation[][] = [];
  const write = store.write.bind(store);
  store.write = async (obs) => {
    written.push(obs);
    return write(obs);
  };
  const refreshEveryMs = 1000; // refreshes come 0-500 ms early
  const p = new Poller({
    monitor: 't',
    servers: () => [server],
    store,
    classifier: () => ({ classify: () => same, forget() {} }),
    intervalMs: 1000,
    captureMaxAgeMs: 60_000,
    refreshEveryMs,
  });
  const id = agentId('t', { socket: server.socket, serverPid: server.serverPid, paneId: '%1' });

  assert.equal((await p.runNow()).written, 1);
  assert.equal((await p.runNow()).written, 0, 'nothing moved');
  server.updatePane('%1', { windowName: 'agent' });
  assert.equal((await p.runNow()).written, 1, 'the rename is written');
  assert.notEqual(written[1]![0]!.screenHash, written[0]![0]!.screenHash);
  assert.equal((await store.get(id))?.windowName, 'agent');
  assert.equal((await store.get(id))?.version, 2, 'a rename is a new version');

  const observedBefore = (await store.get(id))!.observedAt;
  await sleep(refreshEveryMs + 50);
  const due = await p.runNow();
  assert.equal(due.written, 0, 'a refresh tells readers nothing new: not written in the cycle');
  assert.equal(due.refreshesAfter, 1, 'the refresh is due');
  await p.stop(); // waits for the work after the cycle
  assert.equal(written.length, 3, 'the refresh was written after the cycle');
  assert.equal(written[2]![0]!.screenHash, written[1]![0]!.screenHash);
  const refreshed = (await store.get(id))!;
  assert.equal(refreshed.version, 2, 'a refresh is no new version');
  assert.ok(Date.parse(refreshed.observedAt) > Date.parse(observedBefore), 'observedAt renewed');
  const next = await p.runNow();
  assert.equal(next.written + next.refreshesAfter, 0, 'refreshed: nothing due again');
});

const IDLE: Classification = { kind: 'shell', state: 'idle', detail: { rule: 'shell.prompt', evidence: '$', confidence: 1 } };

/** A poller over one pane whose classification never changes: after its first write, only refreshes come due. */
function idlePanePoller(store: AgentStore, refreshEveryMs: number) {
  const server = new FakeTmuxServer();
  server.setPanes([{ paneId: '%1', windowActivity: pastSecond() }]);
  server.setScreen('%1', '$ ');
  const warnings: string[] = [];
  const poller = new Poller({
    monitor: 't',
    servers: () => [server],
    store,
    classifier: () => ({ classify: () => IDLE, forget() {} }),
    intervalMs: 1000,
    captureMaxAgeMs: 60_000,
    refreshEveryMs,
    log: { warn: (obj, msg) => void warnings.push(`${msg}: ${JSON.stringify(obj)}`) },
  });
  return { server, poller, warnings };
}

test('a refresh that fails after the cycle is due again in the next cycle', async () => {
  const store = createMemoryStore();
  const write = store.write.bind(store);
  let failing = false;
  store.write = async (obs) => {
    if (failing) throw new Error('store is away');
    return write(obs);
  };
  const { poller: p, warnings } = idlePanePoller(store, 200);
  await p.runNow();
  await sleep(250);
  failing = true;
  assert.equal((await p.runNow()).refreshesAfter, 1);
  await p.stop();
  assert.match(warnings.join('\n'), /refresh after the cycle failed/);
  failing = false;
  assert.equal((await p.runNow()).refreshesAfter, 1, 'still due');
});

test('upkeep that fails for one server still waits for the refresh write, and stop() waits for both', async () => {
  const store = createMemoryStore();
  const write = store.write.bind(store);
  let writes = 0;
  let refreshDone = false;
  store.write = async (obs) => {
    const result = await write(obs);
    if (writes++ > 0) {
      await sleep(300); // the refresh write is slow
      refreshDone = true;
    }
    return result;
  };
  const { server, poller: p, warnings } = idlePanePoller(store, 200);
  Object.assign(server, { refreshQuiet: async () => Promise.reject(new Error('tmux went away')) });
  await p.runNow();
  await sleep(250);
  assert.equal((await p.runNow()).refreshesAfter, 1);
  await p.stop();
  assert.equal(refreshDone, true, 'stop() returned only after the refresh write');
  assert.match(warnings.join('\n'), /upkeep between cycles failed.*tmux went away/);
});

test("the classifier's upkeep runs while the lists are in flight, and an upkeep that throws is an error, not a crash", async () => {
  const server = slowServer(50);
  let listsInFlight = -1;
  const listPanes = server.listPanes.bind(server);
  let inFlight = 0;
  server.listPanes = async () => {
    inFlight++;
    try {
      return await listPanes();
    } finally {
      inFlight--;
    }
  };
  const generic = createStandInClassifier({ idleAfterMs: 5000 });
  let fail = false;
  const classifier = {
    classify: generic.classify.bind(generic),
    forget: generic.forget.bind(generic),
    prepare() {
      listsInFlight = inFlight;
      if (fail) throw new Error('proc is unreadable');
    },
  };
  const p = new Poller({ monitor: 't', servers: () => [server], store: createMemoryStore(), classifier: () => classifier, intervalMs: 1000, captureMaxAgeMs: 10_000, refreshEveryMs: 20_000 });
  assert.equal((await p.runNow()).ok, true);
  assert.equal(listsInFlight, 1, 'prepare ran while the list was in flight');
  fail = true;
  const stats = await p.runNow();
  assert.equal(stats.panes, 2, 'the cycle went on');
  assert.match(stats.errors.join(' '), /classifier upkeep failed: proc is unreadable/);
});

test('quiet panes are classified while the store writes the captured changes; what they bring is written in the same cycle', async () => {
  const server = new FakeTmuxServer();
  server.setPanes([
    { paneId: '%1', windowActivity: pastSecond(120) },
    { paneId: '%2', windowActivity: pastSecond(120), windowName: 'build' },
  ]);
  const store = createMemoryStore();
  const events: string[] = [];
  const write = store.write.bind(store);
  store.write = async (obs) => {
    events.push(`write ${obs.map((o) => o.paneId).join(',')}`);
    await sleep(5); // a round trip, as to Redis
    const result = await write(obs);
    events.push('written');
    return result;
  };
  const generic = createStandInClassifier({ idleAfterMs: 60_000 });
  const p = new Poller({
    monitor: 't',
    servers: () => [server],
    store,
    classifier: () => ({
      classify(input) {
        events.push(`classify ${input.pane.paneId}`);
        return generic.classify(input);
      },
      forget: (id) => generic.forget(id),
    }),
    intervalMs: 1000,
    captureMaxAgeMs: 60_000,
    refreshEveryMs: 60_000,
  });
  await p.runNow();
  // %1 prints in every cycle: from the third move on its capture comes with the list, no round trip to hide the
  // quiet panes' classification in.
  for (let i = 1; i <= 3; i++) {
    server.updatePane('%1', { windowActivity: pastSecond(100 - i) });
    server.setScreen('%1', `output ${i}`);
    if (i === 3) {
      server.updatePane('%2', { windowName: 'test' }); // quiet, but renamed: a change found among the quiet panes
      events.length = 0;
    }
    await p.runNow();
  }
  const stats = p.lastCycle!;
  assert.equal(stats.prefetched, 1);
  assert.equal(stats.written, 2);
  assert.deepEqual(events, ['classify %1', 'write %1', 'classify %2', 'written', 'write %2', 'written']);
  await p.stop();
});

/** A poller of `server` over an embedded store, whose captures and refreshes never come due in a test. */
function quietPoller(server: FakeTmuxServer, more: Partial<PollerOptions>): Poller {
  return new Poller({
    monitor: 't',
    servers: () => [server],
    store: createMemoryStore(),
    classifier: () => createStandInClassifier({ idleAfterMs: 5000 }),
    intervalMs: 1000,
    captureMaxAgeMs: 60_000,
    refreshEveryMs: 60_000,
    ...more,
  });
}

test('the between-cycles hook runs once per cycle, after the upkeep that followed it', async () => {
  const server = new FakeTmuxServer();
  server.setPanes([{ paneId: '%1', windowActivity: pastSecond() }]);
  const events: string[] = [];
  const listAndCapture = server.listAndCapture.bind(server);
  Object.assign(server, {
    listAndCapture(capture: readonly string[]) {
      events.push('list');
      return listAndCapture(capture);
    },
    async refreshQuiet() {
      events.push('upkeep starts');
      await sleep(20);
      events.push('upkeep ends');
    },
  });
  const p = quietPoller(server, { betweenCycles: () => events.push('between cycles') });
  await p.runNow();
  await p.runNow();
  await p.stop();
  const cycle = ['list', 'upkeep starts', 'upkeep ends', 'between cycles'];
  assert.deepEqual(events, [...cycle, ...cycle]);
});

test('upkeep waits for beforeUpkeep (the stream handing out the cycle\'s changes), and starts even when it fails', async () => {
  const server = new FakeTmuxServer();
  server.setPanes([{ paneId: '%1', windowActivity: pastSecond() }]);
  const events: string[] = [];
  Object.assign(server, {
    async refreshQuiet() {
      events.push('upkeep');
    },
  });
  let calls = 0;
  const p = quietPoller(server, {
    async beforeUpkeep() {
      calls++;
      events.push('delivery starts');
      await sleep(30);
      events.push('delivery ends');
      if (calls === 2) throw new Error('stream away');
    },
  });
  await p.runNow();
  await p.runNow();
  await p.stop();
  const cycle = ['delivery starts', 'delivery ends', 'upkeep'];
  assert.deepEqual(events, [...cycle, ...cycle]);
});

test('a beforeUpkeep that never settles delays upkeep a bounded time: cycles go on and stop() returns', async () => {
  const server = new FakeTmuxServer();
  server.setPanes([{ paneId: '%1', windowActivity: pastSecond() }]);
  let upkeeps = 0;
  Object.assign(server, {
    async refreshQuiet() {
      upkeeps++;
    },
  });
  const p = quietPoller(server, { beforeUpkeep: () => new Promise(() => undefined) });
  await p.runNow();
  await p.runNow();
  const started = performance.now();
  await p.stop();
  assert.equal(upkeeps, 2);
  assert.ok(performance.now() - started < 1000, 'stop() waited on nothing unbounded');
});

test('each phase records its own errors: a failed list under list, a failed capture under capture, a failed write under store', async () => {
  const fake = new FakeTmuxServer({ socket: '/fake/sock' });
  fake.setPanes([{ paneId: '%1' }]);
  fake.setScreen('%1', 'hello');
  const store = createMemoryStore();
  const byPhase: Array<Record<string, number>> = [];
  const p = new Poller({
    monitor: 't',
    servers: () => [fake],
    store,
    classifier: () => createStandInClassifier({ idleAfterMs: 5000 }),
    intervalMs: 1000,
    captureMaxAgeMs: 10_000,
    refreshEveryMs: 20_000,
    onCycle: (_stats, errors) => byPhase.push({ ...errors }),
  });
  const capture = fake.capturePanes.bind(fake);
  const list = fake.listAndCapture.bind(fake);
  const write = store.write.bind(store);

  fake.capturePanes = async () => {
    throw new Error('capture broke');
  };
  let stats = await p.runNow();
  assert.deepEqual(byPhase.at(-1), { list: 0, capture: 1, classify: 0, store: 0 });
  assert.match(stats.errors.join('\n'), /\/fake\/sock: capture failed: capture broke/);

  fake.capturePanes = capture;
  store.write = async () => {
    throw new Error('store broke');
  };
  stats = await p.runNow();
  assert.deepEqual(byPhase.at(-1), { list: 0, capture: 0, classify: 0, store: 1 });
  assert.match(stats.errors.join('\n'), /store write failed: store broke/);

  store.write = write;
  fake.listAndCapture = async () => {
    throw new Error('list broke');
  };
  stats = await p.runNow();
  assert.deepEqual(byPhase.at(-1), { list: 1, capture: 0, classify: 0, store: 0 });
  assert.match(stats.errors.join('\n'), /list-panes failed: list broke/);

  fake.listAndCapture = list;
  stats = await p.runNow();
  assert.equal(stats.ok, true, stats.errors.join('\n'));
  await p.stop();
});
