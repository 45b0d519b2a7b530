// The monitor API: strategy switching, loop and cache statistics, and the capture cache seen through the fake.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeTmuxServer, pastSecond } from '../helpers/fake-tmux.ts';
import { buildTestApp, cycle, getJson } from './helper.ts';

test('PUT /v1/monitor/strategy switches every tmux server and GET /v1/monitor reports it', async (t) => {
  const servers = [new FakeTmuxServer({ socket: '/tmp/fake-a' }), new FakeTmuxServer({ socket: '/tmp/fake-b' })];
  const { app } = await buildTestApp(t, { servers });

  const res = await app.inject({ method: 'PUT', url: '/v1/monitor/strategy', payload: { strategy: 'exec' } });
  assert.equal(res.statusCode, 200, res.body);
  assert.deepEqual(res.json(), { strategy: 'exec', previous: 'pool' });
  for (const s of servers) assert.deepEqual(s.strategyChanges, ['exec']);

  const { body } = await getJson(app, '/v1/monitor');
  assert.equal(body.strategy, 'exec');
  assert.deepEqual(body.tmux.map((s: { socket: string; strategy: string }) => [s.socket, s.strategy]), [
    ['/tmp/fake-a', 'exec'],
    ['/tmp/fake-b', 'exec'],
  ]);

  const back = await app.inject({ method: 'PUT', url: '/v1/monitor/strategy', payload: { strategy: 'pool' } });
  assert.deepEqual(back.json(), { strategy: 'pool', previous: 'exec' });
  for (const s of servers) assert.deepEqual(s.strategyChanges, ['exec', 'pool']);
  assert.equal((await getJson(app, '/v1/monitor')).body.strategy, 'pool');
});

test('GET /v1/monitor reports loop statistics, capture cache hits and misses, tmux and store health', async (t) => {
  const { app, fake } = await buildTestApp(t, { config: { pollIntervalMs: 1000 } });
  fake.setPanes([{ paneId: '%1' }, { paneId: '%2' }]);

  const before = (await getJson(app, '/v1/monitor')).body;
  assert.equal(before.loop.running, false);
  assert.equal(before.loop.cyclesRun, 0);
  assert.equal(before.loop.lastCycle, null);
  assert.equal(before.loop.lastSuccessAt, null);
  assert.deepEqual(before.cache.capture, { hits: 0, misses: 0, hitRatio: 0 });

  await cycle(app); // two misses: both panes are new
  await cycle(app); // two hits: nothing moved

  const { res, body } = await getJson(app, '/v1/monitor');
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(body.monitor, 'testmon');
  assert.equal(body.strategy, 'pool');
  assert.equal(body.loop.intervalMs, 1000);
  assert.equal(body.loop.cyclesRun, 2);
  assert.equal(body.loop.cyclesSkipped, 0);
  assert.equal(body.loop.lastCycle.panes, 2);
  assert.equal(body.loop.lastCycle.captured, 0);
  assert.equal(body.loop.lastCycle.captureCacheHits, 2);
  assert.equal(body.loop.lastCycle.ok, true);
  assert.ok(!Number.isNaN(Date.parse(body.loop.lastSuccessAt)));
  assert.deepEqual(body.cache.capture, { hits: 2, misses: 2, hitRatio: 0.5 });
  assert.deepEqual(Object.keys(body.cache.read).sort(), ['hitRatio', 'hits', 'misses']);
  assert.equal(body.tmux.length, 1);
  assert.equal(body.tmux[0].socket, fake.socket);
  assert.equal(body.tmux[0].up, true);
  assert.equal(body.tmux[0].pool, null);
  assert.equal(typeof body.tmux[0].lastOkAt, 'string');
  assert.deepEqual(body.store, { backend: 'memory', up: true, reason: null });
});

test('a pane whose activity and size are unchanged since a capture in a later second is not captured again', async (t) => {
  const { app, fake } = await buildTestApp(t);
  fake.setPanes([{ paneId: '%1', windowActivity: pastSecond(120) }, { paneId: '%2', windowActivity: pastSecond(120) }]);

  const first = await cycle(app);
  assert.equal(first.captured, 2);
  assert.equal(fake.captureCount, 2);

  for (let i = 0; i < 3; i++) {
    const again = await cycle(app);
    assert.equal(again.captured, 0);
    assert.equal(again.captureCacheHits, 2);
  }
  assert.equal(fake.captureCount, 2, 'no capture requested for unchanged panes');
  assert.equal(fake.captureRequests.length, 1, 'capturePanes not even called with an empty list');
});

test('a pane whose activity moved is captured again, and only that pane', async (t) => {
  const { app, fake } = await buildTestApp(t);
  fake.setPanes([{ paneId: '%1', windowActivity: pastSecond(120) }, { paneId: '%2', windowActivity: pastSecond(120) }]);
  await cycle(app);

  fake.updatePane('%2', { windowActivity: pastSecond(60) });
  const stats = await cycle(app);
  assert.equal(stats.captured, 1);
  assert.equal(stats.captureCacheHits, 1);
  assert.deepEqual(fake.captureRequests.at(-1), ['%2']);
  assert.equal(fake.capturesOf('%1'), 1);
  assert.equal(fake.capturesOf('%2'), 2);
});

test('a pane that was resized or died is captured again', async (t) => {
  const { app, fake } = await buildTestApp(t);
  fake.setPanes([{ paneId: '%1' }, { paneId: '%2' }]);
  await cycle(app);

  fake.updatePane('%1', { width: 120 });
  await cycle(app);
  assert.deepEqual(fake.captureRequests.at(-1), ['%1']);

  fake.updatePane('%2', { dead: true, deadStatus: 0 });
  await cycle(app);
  assert.deepEqual(fake.captureRequests.at(-1), ['%2']);
});

test('a pane that moved in two cycles in a row is captured with the next list; one that stopped is not captured again', async (t) => {
  const { app, fake, id } = await buildTestApp(t);
  fake.setPanes([{ paneId: '%1', windowActivity: pastSecond(120) }, { paneId: '%2', windowActivity: pastSecond(120) }]);
  await cycle(app);
  const listed = () => fake.captureRequests.length;

  // %1 prints in cycles 2 and 3 (a working agent); %2 prints once.
  fake.updatePane('%1', { windowActivity: pastSecond(100) });
  fake.updatePane('%2', { windowActivity: pastSecond(100) });
  let stats = await cycle(app);
  assert.equal(stats.prefetched, 0, 'one move is no streak');
  fake.updatePane('%1', { windowActivity: pastSecond(90) });
  stats = await cycle(app);
  assert.equal(stats.prefetched, 0, 'the streak shows only after this cycle');

  fake.updatePane('%1', { windowActivity: pastSecond(80) });
  fake.setScreen('%1', 'step 4');
  let before = listed();
  stats = await cycle(app);
  assert.deepEqual(fake.captureRequests.slice(before), [['%1']], 'asked with the list, no capture of its own');
  assert.deepEqual([stats.prefetched, stats.prefetchUnused, stats.captured], [1, 0, 1]);
  assert.equal((await getJson(app, `/v1/agents/${id('%1')}/screen`)).body.text, 'step 4');

  // %1 stops: the one screen asked with the next list is not used, and nothing is asked after that.
  before = listed();
  stats = await cycle(app);
  assert.deepEqual([stats.prefetched, stats.prefetchUnused, stats.captured, stats.captureCacheHits], [1, 1, 0, 2]);
  stats = await cycle(app);
  assert.deepEqual([stats.prefetched, stats.captured], [0, 0]);
  assert.deepEqual(fake.captureRequests.slice(before), [['%1']], 'one capture after the streak ended, then none');
});

test('a pane with activity in the capture\'s own second is captured again, since output may have followed', async (t) => {
  const { app, fake } = await buildTestApp(t);
  // An activity second that no capture during this test can be later than.
  fake.setPanes([{ paneId: '%1', windowActivity: Math.floor(Date.now() / 1000) + 3600 }]);
  await cycle(app);
  await cycle(app);
  await cycle(app);
  assert.equal(fake.capturesOf('%1'), 3);
});

test('a screen that changed is served after the pane is captured again', async (t) => {
  const { app, fake, id } = await buildTestApp(t);
  fake.setPanes([{ paneId: '%1', windowActivity: pastSecond(120) }]);
  fake.setScreen('%1', 'old');
  await cycle(app);
  fake.setScreen('%1', 'new');
  await cycle(app); // activity unchanged: the cached screen stands
  assert.equal((await getJson(app, `/v1/agents/${id('%1')}/screen`)).body.text, 'old');
  fake.updatePane('%1', { windowActivity: pastSecond(60) });
  await cycle(app);
  assert.equal((await getJson(app, `/v1/agents/${id('%1')}/screen`)).body.text, 'new');
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a pane past the capture max age is captured after the cycle, and what changed is served by the next one', async (t) => {
  const { app, fake, id } = await buildTestApp(t, { config: { captureMaxAgeMs: 200 } });
  fake.setPanes([{ paneId: '%1', windowActivity: pastSecond(120) }, { paneId: '%2', windowActivity: pastSecond(120) }]);
  fake.setScreen('%1', 'old');
  await cycle(app);
  // The screen changes without tmux reporting activity (what the max age is a safety net for).
  fake.setScreen('%1', 'new');
  await sleep(250);
  const stale = await cycle(app);
  assert.equal(stale.captured, 0, 'nothing moved: the cycle itself captures nothing');
  assert.equal(stale.capturesAfter, 2, 'both panes are past the max age');
  assert.equal((await getJson(app, `/v1/agents/${id('%1')}/screen`)).body.text, 'old');
  const next = await cycle(app); // waits for the captures after the last cycle
  assert.equal(next.capturesAfter, 0, 'captured after the last cycle: fresh again');
  assert.equal(fake.capturesOf('%1'), 2);
  assert.equal((await getJson(app, `/v1/agents/${id('%1')}/screen`)).body.text, 'new');
});

test('output printed while a capture was in flight is captured next cycle even when the reply came a second later', async (t) => {
  const { app, fake, id } = await buildTestApp(t);
  // Start early in a second, so listing and snapshot both fall in second S.
  while (Date.now() % 1000 > 300) await sleep(20);
  const s = Math.floor(Date.now() / 1000);
  fake.setPanes([{ paneId: '%1', windowActivity: s }]);
  fake.setScreen('%1', 'thinking');
  fake.afterSnapshot = async () => {
    // tmux took the snapshot; the agent prints its answer in the same second, then the reply arrives in S+1.
    fake.setScreen('%1', 'thinking\ndone');
    fake.updatePane('%1', { windowActivity: s });
    fake.afterSnapshot = null;
    while (Math.floor(Date.now() / 1000) <= s) await sleep(20);
  };
  await cycle(app);
  assert.equal((await getJson(app, `/v1/agents/${id('%1')}/screen`)).body.text, 'thinking');

  // window_activity still says S: only a capture issued after S may be trusted to include all of S's output.
  await cycle(app);
  assert.equal(fake.capturesOf('%1'), 2, 'a capture issued in second S does not cover output later in S');
  assert.equal((await getJson(app, `/v1/agents/${id('%1')}/screen`)).body.text, 'thinking\ndone');
});
