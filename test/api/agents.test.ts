// GET /v1/agents and the per-agent routes, on a fake tmux server driven one poll cycle at a time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDetector, DetectionTraceSchema } from '../../src/detect/index.ts';
import { pastSecond } from '../helpers/fake-tmux.ts';
import { buildTestApp, cycle, getJson, MONITOR } from './helper.ts';

const AGENT_FIELDS = [
  'id', 'monitor', 'socket', 'target', 'session', 'windowIndex', 'windowName', 'paneIndex', 'paneId', 'pid',
  'command', 'kind', 'state', 'stateSince', 'version', 'observedAt', 'changedAt', 'detail', 'stale',
].sort();

const isIso = (s: unknown) => typeof s === 'string' && !Number.isNaN(Date.parse(s)) && new Date(s).toISOString() === s;

test('GET /v1/agents lists every pane as an agent with every documented field', async (t) => {
  const { app, fake, id } = await buildTestApp(t);
  fake.setPanes([
    { paneId: '%1', sessionName: 'work', windowIndex: 2, windowName: 'claude', paneIndex: 1, panePid: 501, currentCommand: 'node' },
    { paneId: '%2', sessionName: 'work', currentCommand: 'zsh' },
  ]);
  fake.setScreen('%1', 'hello\nworld');
  await cycle(app);

  const { res, body } = await getJson(app, '/v1/agents');
  assert.equal(res.statusCode, 200);
  assert.deepEqual(Object.keys(body).sort(), ['agents', 'nextCursor', 'seq']);
  assert.equal(body.nextCursor, null);
  assert.equal(body.agents.length, 2);
  const a = body.agents.find((x: { paneId: string }) => x.paneId === '%1');
  assert.deepEqual(Object.keys(a).sort(), AGENT_FIELDS);
  assert.equal(a.id, id('%1'));
  assert.equal(a.monitor, MONITOR);
  assert.equal(a.socket, fake.socket);
  assert.equal(a.target, 'work:2.1');
  assert.equal(a.session, 'work');
  assert.equal(a.windowIndex, 2);
  assert.equal(a.windowName, 'claude');
  assert.equal(a.paneIndex, 1);
  assert.equal(a.pid, 501);
  assert.equal(a.command, 'node');
  assert.equal(a.kind, 'program');
  assert.equal(a.state, 'working');
  assert.equal(a.version, 1);
  assert.equal(a.stale, false);
  for (const f of ['stateSince', 'observedAt', 'changedAt']) assert.ok(isIso(a[f]), `${f} is ISO 8601: ${a[f]}`);
  assert.equal(typeof a.detail.rule, 'string');
  assert.equal(typeof a.detail.evidence, 'string');
  assert.ok(a.detail.confidence >= 0 && a.detail.confidence <= 1);
  const shell = body.agents.find((x: { paneId: string }) => x.paneId === '%2');
  assert.equal(shell.kind, 'shell');
});

test('GET /v1/agents filters by state, kind and session', async (t) => {
  const { app, fake } = await buildTestApp(t);
  fake.setPanes([
    { paneId: '%1', sessionName: 'alpha', currentCommand: 'bash' },
    { paneId: '%2', sessionName: 'alpha', currentCommand: 'node' },
    { paneId: '%3', sessionName: 'beta', currentCommand: 'node', dead: true, deadStatus: 0 },
    { paneId: '%4', sessionName: 'beta', currentCommand: 'bash', dead: true, deadStatus: 2 },
  ]);
  await cycle(app);
  const panes = async (query: string) => {
    const { res, body } = await getJson(app, `/v1/agents?${query}`);
    assert.equal(res.statusCode, 200, res.body);
    return body.agents.map((a: { paneId: string }) => a.paneId).sort();
  };
  assert.deepEqual(await panes('state=working'), ['%1', '%2']);
  assert.deepEqual(await panes('state=exited'), ['%3']);
  assert.deepEqual(await panes('state=crashed'), ['%4']);
  assert.deepEqual(await panes('state=waiting'), []);
  assert.deepEqual(await panes('kind=shell'), ['%1', '%4']);
  assert.deepEqual(await panes('kind=program'), ['%2', '%3']);
  assert.deepEqual(await panes('session=beta'), ['%3', '%4']);
  assert.deepEqual(await panes('session=alpha&kind=program'), ['%2']);
  assert.deepEqual(await panes('session=nosuch'), []);
});

test('limit and cursor page through 7 agents 3 at a time, each agent exactly once', async (t) => {
  const { app, fake } = await buildTestApp(t);
  fake.setPanes(Array.from({ length: 7 }, (_, i) => ({ paneId: `%${i + 10}` })));
  await cycle(app);

  const seen: string[] = [];
  const sizes: number[] = [];
  let cursor: string | null = null;
  do {
    const url: string = `/v1/agents?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const { res, body } = await getJson(app, url);
    assert.equal(res.statusCode, 200, res.body);
    sizes.push(body.agents.length);
    seen.push(...body.agents.map((a: { id: string }) => a.id));
    cursor = body.nextCursor;
  } while (cursor && sizes.length < 10);
  assert.deepEqual(sizes, [3, 3, 1]);
  assert.equal(seen.length, 7);
  assert.equal(new Set(seen).size, 7);
});

test('a cursor the server did not issue is a 400 naming cursor', async (t) => {
  const { app } = await buildTestApp(t);
  const { res } = await getJson(app, '/v1/agents?cursor=not-a-cursor');
  assert.equal(res.statusCode, 400, res.body);
  assert.match(res.json().message, /cursor/);
});

test('seq grows when an agent changes and stays put when nothing does', async (t) => {
  const { app, fake } = await buildTestApp(t);
  fake.setPanes([{ paneId: '%1' }]);
  fake.setScreen('%1', 'one');
  const empty = (await getJson(app, '/v1/agents')).body.seq;
  await cycle(app);
  const first = (await getJson(app, '/v1/agents')).body.seq;
  assert.ok(first > empty, `seq ${first} > ${empty}`);
  await cycle(app);
  assert.equal((await getJson(app, '/v1/agents')).body.seq, first);
  fake.setScreen('%1', 'two');
  fake.updatePane('%1', { windowActivity: pastSecond(30) });
  await cycle(app);
  assert.ok((await getJson(app, '/v1/agents')).body.seq > first);
});

test('the list ETag answers 304 to If-None-Match until something changes, then 200 with a new ETag', async (t) => {
  const { app, fake } = await buildTestApp(t);
  fake.setPanes([{ paneId: '%1' }]);
  fake.setScreen('%1', 'one');
  await cycle(app);

  const first = await app.inject({ url: '/v1/agents' });
  assert.equal(first.statusCode, 200);
  const etag = first.headers.etag as string;
  assert.ok(etag, 'list has an ETag');

  const same = await app.inject({ url: '/v1/agents', headers: { 'if-none-match': etag } });
  assert.equal(same.statusCode, 304);
  assert.equal(same.body, '');

  await cycle(app); // nothing changed
  assert.equal((await app.inject({ url: '/v1/agents', headers: { 'if-none-match': etag } })).statusCode, 304);

  fake.setScreen('%1', 'two');
  fake.updatePane('%1', { windowActivity: pastSecond(30) });
  await cycle(app);
  const changed = await app.inject({ url: '/v1/agents', headers: { 'if-none-match': etag } });
  assert.equal(changed.statusCode, 200);
  assert.ok(changed.headers.etag);
  assert.notEqual(changed.headers.etag, etag);
  assert.equal(changed.json().agents.length, 1);
});

test('one agent has an ETag following its version: 304 while unchanged, 200 and a new ETag after a change', async (t) => {
  const { app, fake, id } = await buildTestApp(t);
  fake.setPanes([{ paneId: '%1' }, { paneId: '%2' }]);
  fake.setScreen('%1', 'one');
  await cycle(app);

  const url = `/v1/agents/${id('%1')}`;
  const first = await app.inject({ url });
  assert.equal(first.statusCode, 200);
  const etag = first.headers.etag as string;
  assert.ok(etag);
  assert.equal((await app.inject({ url, headers: { 'if-none-match': etag } })).statusCode, 304);

  // Another agent changing does not touch this one's ETag.
  fake.setScreen('%2', 'other');
  fake.updatePane('%2', { windowActivity: pastSecond(30) });
  await cycle(app);
  assert.equal((await app.inject({ url, headers: { 'if-none-match': etag } })).statusCode, 304);

  fake.setScreen('%1', 'two');
  fake.updatePane('%1', { windowActivity: pastSecond(30) });
  await cycle(app);
  const changed = await app.inject({ url, headers: { 'if-none-match': etag } });
  assert.equal(changed.statusCode, 200);
  assert.notEqual(changed.headers.etag, etag);
  assert.equal(changed.json().version, 2);
});

test('?since=<seq> returns only agents changed after it and the ids of panes that vanished', async (t) => {
  const { app, fake, id } = await buildTestApp(t);
  fake.setPanes([{ paneId: '%1' }, { paneId: '%2' }, { paneId: '%3' }]);
  await cycle(app);
  const { body: before } = await getJson(app, '/v1/agents');
  assert.equal(before.agents.length, 3);

  const nothing = (await getJson(app, `/v1/agents?since=${before.seq}`)).body;
  assert.deepEqual(nothing.agents, []);
  assert.deepEqual(nothing.removed, []);
  assert.equal(nothing.seq, before.seq);

  fake.setScreen('%2', 'new output');
  fake.setPanes([{ paneId: '%1' }, { paneId: '%2', windowActivity: pastSecond(30) }]); // %3 vanished
  await cycle(app);

  const { res, body } = await getJson(app, `/v1/agents?since=${before.seq}`);
  assert.equal(res.statusCode, 200);
  assert.deepEqual(body.agents.map((a: { id: string }) => a.id), [id('%2')]);
  assert.deepEqual(body.removed, [id('%3')]);
  assert.ok(body.seq > before.seq);

  const later = (await getJson(app, `/v1/agents?since=${body.seq}`)).body;
  assert.deepEqual(later.agents, []);
  assert.deepEqual(later.removed, []);
});

test('?since= newer than the store\'s sequence answers a full snapshot and says so with full: true', async (t) => {
  // SinceResult.full tells the caller to drop every agent it holds that is not listed; the API must pass it on.
  const { app, fake } = await buildTestApp(t);
  fake.setPanes([{ paneId: '%1' }, { paneId: '%2' }]);
  await cycle(app);
  const seq = (await getJson(app, '/v1/agents')).body.seq;

  const { res, body } = await getJson(app, `/v1/agents?since=${seq + 1000}`);
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(body.agents.length, 2);
  assert.equal(body.full, true, `a full snapshot must say so: ${JSON.stringify(body).slice(0, 200)}`);
  const incremental = (await getJson(app, `/v1/agents?since=${seq}`)).body;
  assert.notEqual(incremental.full, true);
});

test('an agent whose window is renamed or whose command changes is served with the new values', async (t) => {
  const { app, fake, id } = await buildTestApp(t);
  fake.setPanes([{ paneId: '%1', windowName: 'build', windowIndex: 0, currentCommand: 'bash' }]);
  await cycle(app);
  const url = `/v1/agents/${id('%1')}`;
  const before = await app.inject({ url });
  assert.equal(before.json().kind, 'shell');

  // Same screen, same state (working): only what tmux says about the pane moved.
  fake.updatePane('%1', { windowName: 'agent', windowIndex: 3, currentCommand: 'node' });
  await cycle(app);
  const after = await app.inject({ url, headers: { 'if-none-match': before.headers.etag as string } });
  assert.equal(after.statusCode, 200, 'a client holding the old ETag must get the new values');
  const a = after.json();
  assert.deepEqual([a.windowName, a.windowIndex, a.target, a.command, a.kind], ['agent', 3, 'main:3.0', 'node', 'program']);
  const programs = (await getJson(app, '/v1/agents?kind=program')).body.agents;
  assert.deepEqual(programs.map((x: { id: string }) => x.id), [id('%1')]);
});

test('GET /v1/summary counts agents by state and kind, overall and per monitor', async (t) => {
  const { app, fake } = await buildTestApp(t);
  fake.setPanes([
    { paneId: '%1', currentCommand: 'bash' },
    { paneId: '%2', currentCommand: 'node' },
    { paneId: '%3', currentCommand: 'node', dead: true, deadStatus: 1 },
  ]);
  await cycle(app);
  const { res, body } = await getJson(app, '/v1/summary');
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(body.total, 3);
  assert.deepEqual(body.byState, { working: 2, crashed: 1 });
  assert.deepEqual(body.byKind, { shell: 1, program: 2 });
  assert.deepEqual(Object.keys(body.monitors), [MONITOR]);
  assert.equal(body.monitors[MONITOR].total, 3);
  assert.equal(body.stale, false);
});

test('GET /v1/agents/{id} of an unknown agent is a 404 with a message', async (t) => {
  const { app, id } = await buildTestApp(t);
  for (const url of [`/v1/agents/${id('%99')}`, `/v1/agents/${id('%99')}/screen`, `/v1/agents/${id('%99')}/history`]) {
    const res = await app.inject({ url });
    assert.equal(res.statusCode, 404, url);
    const body = res.json();
    assert.equal(body.statusCode, 404);
    assert.match(body.message, /not found/);
    assert.ok(body.message.includes(id('%99')), body.message);
  }
});

test('/screen?lines=2 returns the last 2 lines of the captured screen', async (t) => {
  const { app, fake, id } = await buildTestApp(t);
  fake.setPanes([{ paneId: '%1' }]);
  fake.setScreen('%1', 'line 1\nline 2\nline 3\nline 4');
  await cycle(app);

  const { res, body } = await getJson(app, `/v1/agents/${id('%1')}/screen?lines=2`);
  assert.equal(res.statusCode, 200, res.body);
  assert.deepEqual(body.lines, ['line 3', 'line 4']);
  assert.equal(body.text, 'line 3\nline 4');
  assert.equal(body.id, id('%1'));
  assert.equal(body.version, 1);

  const all = (await getJson(app, `/v1/agents/${id('%1')}/screen`)).body;
  assert.deepEqual(all.lines, ['line 1', 'line 2', 'line 3', 'line 4']);
});

test('/history lists state transitions newest first', async (t) => {
  const { app, fake, id } = await buildTestApp(t);
  fake.setPanes([{ paneId: '%1', currentCommand: 'node' }]);
  await cycle(app);
  fake.updatePane('%1', { dead: true, deadStatus: 1 });
  await cycle(app);

  const { res, body } = await getJson(app, `/v1/agents/${id('%1')}/history`);
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(body.id, id('%1'));
  assert.deepEqual(
    body.transitions.map((tr: { from: string | null; to: string }) => [tr.from, tr.to]),
    [
      ['working', 'crashed'],
      [null, 'working'],
    ],
  );
  assert.ok(body.transitions[0].version > body.transitions[1].version);
  assert.equal(body.transitions[0].rule, 'stand-in.pane-dead');
  assert.deepEqual(
    (await getJson(app, `/v1/agents/${id('%1')}/history?limit=1`)).body.transitions.map((tr: { to: string }) => tr.to),
    ['crashed'],
  );
});

test('version is 1 when first seen, unchanged while nothing changes, +1 when the screen changes', async (t) => {
  const { app, fake, id } = await buildTestApp(t);
  fake.setPanes([{ paneId: '%1' }]);
  fake.setScreen('%1', 'first');
  await cycle(app);
  const version = async () => (await getJson(app, `/v1/agents/${id('%1')}`)).body.version;
  assert.equal(await version(), 1);

  await cycle(app);
  assert.equal(await version(), 1);
  // Activity moved but the text is the same: recaptured, still no change.
  fake.updatePane('%1', { windowActivity: pastSecond(40) });
  await cycle(app);
  assert.equal(await version(), 1);

  fake.setScreen('%1', 'second');
  fake.updatePane('%1', { windowActivity: pastSecond(30) });
  await cycle(app);
  assert.equal(await version(), 2);
  await cycle(app);
  assert.equal(await version(), 2);
});

test('/explain answers the detector\'s trace for an agent, in the documented shape', async (t) => {
  const detector = createDetector({ processes: () => [] });
  t.after(() => detector.close());
  const { app, fake, id } = await buildTestApp(t, { detector });
  fake.setPanes([{ paneId: '%1', currentCommand: 'zsh' }]);
  fake.setScreen('%1', 'user@host:~$ ');
  await cycle(app);

  const { res, body } = await getJson(app, `/v1/agents/${id('%1')}/explain`);
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(body.id, id('%1'));
  assert.equal(body.trace.id, id('%1'));
  assert.equal(body.trace.published.kind, 'shell');
  assert.deepEqual(DetectionTraceSchema.parse(body.trace), body.trace, 'every field of the trace is in the schema');
});
