// Panes that exit, crash or vanish, and readiness as the loop and tmux servers come and go.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeTmuxServer } from '../helpers/fake-tmux.ts';
import { buildTestApp, cycle, getJson } from './helper.ts';

test('a dead pane with exit status 0 is exited, with status 1 crashed', async (t) => {
  const { app, fake, id } = await buildTestApp(t);
  fake.setPanes([
    { paneId: '%1', currentCommand: 'node', dead: true, deadStatus: 0 },
    { paneId: '%2', currentCommand: 'node', dead: true, deadStatus: 1 },
    { paneId: '%3', currentCommand: 'node' },
  ]);
  await cycle(app);

  const exited = (await getJson(app, `/v1/agents/${id('%1')}`)).body;
  assert.equal(exited.state, 'exited');
  assert.equal(exited.detail.rule, 'stand-in.pane-dead');
  assert.match(exited.detail.evidence, /status 0/);
  const crashed = (await getJson(app, `/v1/agents/${id('%2')}`)).body;
  assert.equal(crashed.state, 'crashed');
  assert.match(crashed.detail.evidence, /status 1/);
  assert.equal((await getJson(app, `/v1/agents/${id('%3')}`)).body.state, 'working');
});

test('a live pane that dies moves to crashed with a new version and stateSince', async (t) => {
  const { app, fake, id } = await buildTestApp(t);
  fake.setPanes([{ paneId: '%1', currentCommand: 'node' }]);
  await cycle(app);
  const before = (await getJson(app, `/v1/agents/${id('%1')}`)).body;
  await new Promise((r) => setTimeout(r, 5));
  fake.updatePane('%1', { dead: true, deadStatus: 1 });
  await cycle(app);
  const after = (await getJson(app, `/v1/agents/${id('%1')}`)).body;
  assert.equal(after.state, 'crashed');
  assert.equal(after.version, before.version + 1);
  assert.ok(Date.parse(after.stateSince) > Date.parse(before.stateSince));
});

test('a pane that vanished disappears from the list and its id answers 404', async (t) => {
  const { app, fake, id } = await buildTestApp(t);
  fake.setPanes([{ paneId: '%1' }, { paneId: '%2' }]);
  await cycle(app);
  assert.equal((await getJson(app, '/v1/agents')).body.agents.length, 2);

  fake.setPanes([{ paneId: '%1' }]);
  const stats = await cycle(app);
  assert.equal(stats.removed, 1);
  const { body } = await getJson(app, '/v1/agents');
  assert.deepEqual(body.agents.map((a: { id: string }) => a.id), [id('%1')]);
  assert.equal((await app.inject({ url: `/v1/agents/${id('%2')}` })).statusCode, 404);
});

test('a new tmux server under the same socket gives its panes new ids, not the dead ones\' history', async (t) => {
  const first = new FakeTmuxServer({ socket: '/tmp/fake-restart', serverPid: 100 });
  const { app } = await buildTestApp(t, { fake: first });
  first.setPanes([{ paneId: '%0' }]);
  await cycle(app);
  const oldId = (await getJson(app, '/v1/agents')).body.agents[0].id;

  first.restart(200);
  first.setPanes([{ paneId: '%0' }]);
  await cycle(app);
  const ids = (await getJson(app, '/v1/agents')).body.agents.map((a: { id: string }) => a.id);
  assert.equal(ids.length, 1);
  assert.notEqual(ids[0], oldId);
});

test('/readyz is 503 before any cycle finished and 200 after a good one', async (t) => {
  const fake = new FakeTmuxServer();
  fake.setPanes([{ paneId: '%1' }]);
  const release = fake.hold(); // the loop's first cycle waits in list-panes
  const { app } = await buildTestApp(t, { fake, startLoop: true, config: { pollIntervalMs: 3_600_000 } });
  await app.ready();

  const waiting = await app.inject({ url: '/readyz' });
  assert.equal(waiting.statusCode, 503);
  assert.equal(waiting.json().status, 'unavailable');
  assert.equal(waiting.json().checks.loop.ok, false);
  assert.match(waiting.json().checks.loop.detail, /no cycle/);

  release();
  await cycle(app);
  const ready = await app.inject({ url: '/readyz' });
  assert.equal(ready.statusCode, 200, ready.body);
  assert.equal(ready.json().status, 'ok');
  assert.deepEqual(
    Object.fromEntries(Object.entries(ready.json().checks).map(([k, v]) => [k, (v as { ok: boolean }).ok])),
    { loop: true, tmux: true, store: true },
  );
});

test('/readyz is 503 when the only tmux server is down', async (t) => {
  const { app, fake } = await buildTestApp(t, { startLoop: true, config: { pollIntervalMs: 3_600_000 } });
  fake.setPanes([{ paneId: '%1' }]);
  await app.ready();
  await cycle(app);
  assert.equal((await app.inject({ url: '/readyz' })).statusCode, 200);

  fake.kill();
  await cycle(app);
  const res = await app.inject({ url: '/readyz' });
  assert.equal(res.statusCode, 503, res.body);
  assert.equal(res.json().checks.tmux.ok, false);
  assert.match(res.json().checks.tmux.detail, new RegExp(fake.socket));
  assert.equal(res.json().checks.loop.ok, true);

  fake.revive();
  await cycle(app);
  assert.equal((await app.inject({ url: '/readyz' })).statusCode, 200);
});

test('/readyz is 200 degraded when one of two tmux servers is down', async (t) => {
  const a = new FakeTmuxServer({ socket: '/tmp/fake-a' });
  const b = new FakeTmuxServer({ socket: '/tmp/fake-b' });
  const { app } = await buildTestApp(t, { servers: [a, b], startLoop: true, config: { pollIntervalMs: 3_600_000 } });
  await app.ready();
  b.kill();
  await cycle(app);
  const res = await app.inject({ url: '/readyz' });
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(res.json().status, 'degraded');
});

test('closing the app closes every tmux server', async (t) => {
  const a = new FakeTmuxServer({ socket: '/tmp/fake-a' });
  const b = new FakeTmuxServer({ socket: '/tmp/fake-b' });
  const { app } = await buildTestApp(t, { servers: [a, b] });
  await app.ready();
  await app.close();
  assert.equal(a.closed && b.closed, true);
});
