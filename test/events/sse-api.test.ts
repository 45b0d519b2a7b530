// GET /v1/events on a fake tmux server and the embedded store: snapshot, live events, resume, filters, auth, CORS.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { buildTestApp, cycle, getJson, TOKEN, assertBadRequestNaming } from '../api/helper.ts';
import { openSse, type SseConnection } from '../helpers/sse.ts';
import { pastSecond } from '../helpers/fake-tmux.ts';
import type { Config } from '../../src/config.ts';

async function listen(t: TestContext, config: Partial<Config> = {}) {
  const built = await buildTestApp(t, { config });
  const base = await built.app.listen({ host: '127.0.0.1', port: 0 });
  return { ...built, base };
}

function sse(t: TestContext, base: string, path: string, headers: Record<string, string> = {}): Promise<SseConnection> {
  return openSse(base, path, headers).then((c) => {
    t.after(() => c.close());
    return c;
  });
}

let activityAgo = 50;
/** New screen text with a later activity time, so the next cycle captures the pane again. */
function touch(fake: { setScreen(p: string, t: string): void; updatePane(p: string, patch: object): void }, paneId: string, text: string): void {
  fake.setScreen(paneId, text);
  fake.updatePane(paneId, { windowActivity: pastSecond(--activityAgo) });
}

const agentOf = (c: SseConnection, id: string, version: number) =>
  c.waitFor((e) => e.event === 'agent' && JSON.parse(e.data).id === id && JSON.parse(e.data).version === version);

test('a fresh connection gets retry, then one snapshot of the agents with their seq, then live agent events with ids', async (t) => {
  const { app, fake, id, base } = await listen(t);
  fake.setPanes([{ paneId: '%1', sessionName: 'work' }, { paneId: '%2', sessionName: 'play' }]);
  fake.setScreen('%1', 'one');
  await cycle(app);

  const c = await sse(t, base, '/v1/events');
  assert.equal(c.status, 200);
  assert.match(String(c.headers['content-type']), /^text\/event-stream/);
  const snap = await c.waitFor((e) => e.event === 'snapshot');
  assert.equal(c.events[0]!.retry, 2000, 'retry: comes first');
  const body = JSON.parse(snap.data);
  const { body: listed } = await getJson(app, '/v1/agents');
  assert.deepEqual(body, { agents: listed.agents, seq: listed.seq });
  assert.equal(snap.id, String(listed.seq));

  touch(fake, '%1', 'two');
  await cycle(app);
  const ev = await agentOf(c, id('%1'), 2);
  const { body: agent } = await getJson(app, `/v1/agents/${id('%1')}`);
  assert.deepEqual(JSON.parse(ev.data), agent, 'data is the full agent record');
  assert.equal(Number(ev.id), listed.seq + 1);

  fake.setPanes([{ paneId: '%1', sessionName: 'work' }]);
  await cycle(app);
  const gone = await c.waitFor((e) => e.event === 'removed');
  assert.deepEqual(JSON.parse(gone.data), { id: id('%2') });
  assert.equal(Number(gone.id), listed.seq + 2);
});

test('clients connecting at one seq share one read of the store; one connecting after a change gets a fresh snapshot', async (t) => {
  const { app, fake, id, base } = await listen(t);
  fake.setPanes([{ paneId: '%1', sessionName: 'work' }, { paneId: '%2', sessionName: 'play' }]);
  fake.setScreen('%1', 'one');
  await cycle(app);
  let reads = 0;
  const list = app.store.list.bind(app.store);
  app.store.list = (...args) => {
    reads++;
    return list(...args);
  };

  // All at once, as dashboards reconnecting after a restart do: they share the read under way.
  const [first, ...others] = await Promise.all(Array.from({ length: 6 }, () => sse(t, base, '/v1/events')));
  const snapshot = (await first!.waitFor((e) => e.event === 'snapshot')).data;
  for (const c of others) assert.equal((await c.waitFor((e) => e.event === 'snapshot')).data, snapshot);
  const filtered = await sse(t, base, '/v1/events?session=work');
  assert.deepEqual(JSON.parse((await filtered.waitFor((e) => e.event === 'snapshot')).data).agents.map((a: { id: string }) => a.id), [id('%1')]);
  assert.equal(reads, 2, 'one read for the unfiltered snapshot, one for the filtered one');

  touch(fake, '%1', 'two');
  await cycle(app);
  await agentOf(first!, id('%1'), 2);
  const later = await sse(t, base, '/v1/events');
  const fresh = JSON.parse((await later.waitFor((e) => e.event === 'snapshot')).data);
  assert.equal(fresh.agents.find((a: { id: string }) => a.id === id('%1')).version, 2, 'a snapshot taken after the change');
  assert.equal(reads, 3);
});

test('Last-Event-ID (or ?since) resumes with exactly what GET /v1/agents?since returns, then live events', async (t) => {
  const { app, fake, id, base } = await listen(t);
  fake.setPanes([{ paneId: '%1' }, { paneId: '%2' }, { paneId: '%3' }]);
  await cycle(app);
  const { body: before } = await getJson(app, '/v1/agents');
  touch(fake, '%1', 'a');
  await cycle(app);
  fake.setPanes([{ paneId: '%1' }, { paneId: '%3' }, { paneId: '%4' }]);
  touch(fake, '%1', 'b'); // %1 moves twice: the resume gives its last version once
  await cycle(app);

  const { body: since } = await getJson(app, `/v1/agents?since=${before.seq}`);
  for (const [name, headers, path] of [
    ['Last-Event-ID', { 'last-event-id': String(before.seq) }, '/v1/events'],
    ['?since', {}, `/v1/events?since=${before.seq}`],
  ] as const) {
    const c = await sse(t, base, path, headers);
    await c.waitFor((e) => e.event === 'removed').catch((err) => assert.fail(`${name}: ${err.message}; since: ${JSON.stringify({ ...since, agents: since.agents.map((a: { id: string; version: number }) => [a.id, a.version]) })}`));
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(!c.events.some((e) => e.event === 'snapshot'), `${name}: no snapshot`);
    const agents = c.events.filter((e) => e.event === 'agent').map((e) => JSON.parse(e.data));
    const removed = c.events.filter((e) => e.event === 'removed').map((e) => JSON.parse(e.data).id);
    assert.deepEqual(agents.map((a) => a.id).sort(), since.agents.map((a: { id: string }) => a.id).sort(), name);
    assert.deepEqual(agents.sort((a, b) => a.id.localeCompare(b.id)), [...since.agents].sort((a, b) => a.id.localeCompare(b.id)), name);
    assert.deepEqual(removed, since.removed, name);
    const ids = c.events.filter((e) => e.id !== undefined && e.event !== 'snapshot').map((e) => Number(e.id));
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b), `${name}: ids ascend`);
    assert.equal(Math.max(...ids), since.seq, `${name}: ends at the store's seq`);
  }

  const { body: three } = await getJson(app, `/v1/agents/${id('%3')}`);
  touch(fake, '%3', 'live');
  const c = await sse(t, base, '/v1/events', { 'last-event-id': String(since.seq) });
  await cycle(app);
  await agentOf(c, id('%3'), three.version + 1);
});

test('a Last-Event-ID newer than the store or not a number gets a snapshot instead', async (t) => {
  const { app, fake, base } = await listen(t);
  fake.setPanes([{ paneId: '%1' }]);
  await cycle(app);
  for (const lastId of ['999999', 'garbage']) {
    const c = await sse(t, base, '/v1/events', { 'last-event-id': lastId });
    const snap = await c.waitFor((e) => e.event === 'snapshot');
    assert.equal(JSON.parse(snap.data).agents.length, 1, lastId);
  }
});

test('filters apply to the snapshot and the live events; a bad filter is a 400 naming the field', async (t) => {
  const { app, fake, id, base } = await listen(t);
  fake.setPanes([{ paneId: '%1', sessionName: 'work' }, { paneId: '%2', sessionName: 'play' }]);
  await cycle(app);
  const c = await sse(t, base, '/v1/events?session=work');
  const snap = JSON.parse((await c.waitFor((e) => e.event === 'snapshot')).data);
  assert.deepEqual(snap.agents.map((a: { id: string }) => a.id), [id('%1')]);
  touch(fake, '%2', 'play changes');
  touch(fake, '%1', 'work changes');
  await cycle(app);
  await agentOf(c, id('%1'), 2);
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(!c.events.some((e) => e.event === 'agent' && JSON.parse(e.data).session !== 'work'), 'no agent of another session');

  for (const [query, field] of [['state=sleepy', 'querystring.state'], ['kind=robot', 'querystring.kind'], ['since=-1', 'querystring.since'], ['session=', 'querystring.session'], ['nope=1', 'querystring']] as const) {
    const res = await app.inject({ method: 'GET', url: `/v1/events?${query}`, headers: { accept: 'text/event-stream' } });
    assertBadRequestNaming(res, field);
  }
});

test('with API_TOKEN the stream wants the bearer token, or ?access_token= (on this route only)', async (t) => {
  const { app, fake, base } = await listen(t, { apiToken: TOKEN });
  fake.setPanes([{ paneId: '%1' }]);
  await cycle(app, { authorization: `Bearer ${TOKEN}` });
  assert.equal((await app.inject({ url: '/v1/events' })).statusCode, 401);
  assert.equal((await app.inject({ url: '/v1/events?access_token=wrong-token-0123456789' })).statusCode, 401);
  assert.equal((await app.inject({ url: `/v1/agents?access_token=${TOKEN}` })).statusCode, 401, 'not on other routes');
  const viaHeader = await sse(t, base, '/v1/events', { authorization: `Bearer ${TOKEN}` });
  await viaHeader.waitFor((e) => e.event === 'snapshot');
  const viaQuery = await sse(t, base, `/v1/events?access_token=${TOKEN}`);
  await viaQuery.waitFor((e) => e.event === 'snapshot');
});

test('a heartbeat comment comes at least every EVENTS_HEARTBEAT_MS', async (t) => {
  const { base } = await listen(t, { eventsHeartbeatMs: 1000 });
  const c = await sse(t, base, '/v1/events');
  await c.waitFor((e) => e.event === 'snapshot');
  const started = Date.now();
  while (c.comments.length < 2 && Date.now() - started < 5000) await new Promise((r) => setTimeout(r, 50));
  assert.ok(c.comments.length >= 2, `comments: ${c.comments.length}`);
});

test('a client that accepts gzip gets the same stream compressed, each event decodable the moment it is written', async (t) => {
  const { app, fake, id, base } = await listen(t, { eventsHeartbeatMs: 500 });
  fake.setPanes([{ paneId: '%1', sessionName: 'work' }]);
  fake.setScreen('%1', 'one');
  await cycle(app);
  const plain = await sse(t, base, '/v1/events');
  const gzip = await sse(t, base, '/v1/events', { 'accept-encoding': 'br;q=0.9, gzip;q=0.8' });
  const refused = await sse(t, base, '/v1/events', { 'accept-encoding': 'gzip;q=0' });
  assert.equal(gzip.headers['content-encoding'], 'gzip');
  assert.equal(plain.headers['content-encoding'], undefined);
  assert.equal(refused.headers['content-encoding'], undefined, 'q=0 refuses gzip');
  for (const c of [plain, gzip, refused]) assert.match(String(c.headers.vary), /accept-encoding/i);

  const snapshots = await Promise.all([plain, gzip].map((c) => c.waitFor((e) => e.event === 'snapshot')));
  assert.deepEqual(snapshots[1], snapshots[0]);
  touch(fake, '%1', 'two');
  await cycle(app);
  const changes = await Promise.all([plain, gzip].map((c) => agentOf(c, id('%1'), 2)));
  assert.deepEqual(changes[1], changes[0]);
  assert.equal(gzip.events[0]!.retry, 2000);
  const started = Date.now();
  while (gzip.comments.length < 2 && Date.now() - started < 5000) await new Promise((r) => setTimeout(r, 50));
  assert.ok(gzip.comments.length >= 2, `heartbeats through the compression: ${gzip.comments.length}`);
});

test('paneward_events_delivery_seconds counts each hand-over of a change to a subscriber', async (t) => {
  const { app, fake, id, base } = await listen(t);
  fake.setPanes([{ paneId: '%1', sessionName: 'work' }]);
  fake.setScreen('%1', 'one');
  await cycle(app);
  const count = async () => Number(/^paneward_events_delivery_seconds_count (\d+)$/m.exec((await app.inject({ url: '/metrics' })).body)?.[1]);
  const before = await count();
  const clients = [await sse(t, base, '/v1/events'), await sse(t, base, '/v1/events')];
  for (const c of clients) await c.waitFor((e) => e.event === 'snapshot');
  touch(fake, '%1', 'two');
  await cycle(app);
  for (const c of clients) await agentOf(c, id('%1'), 2);
  // Each subscriber (the two clients, the transition log, ...) was handed the cycle's changes, in one run or more.
  const handed = (await count()) - before;
  assert.ok(handed >= app.events.subscriberCount && app.events.subscriberCount >= 3, `${handed} hand-overs to ${app.events.subscriberCount} subscribers`);
});

test('paneward_events_clients counts the open streams', async (t) => {
  const { app, base } = await listen(t);
  const gauge = async () => Number(/^paneward_events_clients (\d+)$/m.exec((await app.inject({ url: '/metrics' })).body)?.[1]);
  assert.equal(await gauge(), 0);
  const a = await sse(t, base, '/v1/events');
  const b = await sse(t, base, '/v1/events');
  await a.waitFor((e) => e.event === 'snapshot');
  await b.waitFor((e) => e.event === 'snapshot');
  assert.equal(await gauge(), 2);
  a.close();
  await a.ended;
  for (let i = 0; i < 100 && (await gauge()) !== 1; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(await gauge(), 1);
});

test('a client that leaves while its resume waits for the stream leaves nothing behind: no client, no subscriber, no timer', async (t) => {
  const { app, fake, base } = await listen(t, { eventsHeartbeatMs: 200 });
  fake.setPanes([{ paneId: '%1' }]);
  await cycle(app);
  const gauge = async () => Number(/^paneward_events_clients (\d+)$/m.exec((await app.inject({ url: '/metrics' })).body)?.[1]);
  const subscribers = app.events.subscriberCount;
  const seq = app.store.seq.bind(app.store);
  app.store.seq = async () => {
    await new Promise((r) => setTimeout(r, 300)); // the resume's read of the store's seq, slow
    return seq();
  };
  const timeouts = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const timersBefore = timeouts();
  for (const encoding of ['identity', 'gzip']) {
    const req = request(new URL('/v1/events', base), { headers: { accept: 'text/event-stream', 'last-event-id': '1', 'accept-encoding': encoding } });
    req.on('error', () => undefined);
    req.end();
    await new Promise((r) => setTimeout(r, 100));
    req.destroy();
  }
  await new Promise((r) => setTimeout(r, 700)); // past the resumes, and past a few heartbeats
  app.store.seq = seq;
  assert.equal(await gauge(), 0);
  assert.equal(app.events.subscriberCount, subscribers);
  assert.ok(timeouts() <= timersBefore, `timers: ${timersBefore} before, ${timeouts()} after`);
});

test('CORS_ORIGINS: a listed origin gets its preflight and CORS headers on the API and the stream; others none', async (t) => {
  const { app, base } = await listen(t, { corsOrigins: ['https://board.example.com'] });
  const preflight = await app.inject({
    method: 'OPTIONS',
    url: '/v1/events',
    headers: { origin: 'https://board.example.com', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization,last-event-id' },
  });
  assert.equal(preflight.statusCode, 204);
  assert.equal(preflight.headers['access-control-allow-origin'], 'https://board.example.com');
  assert.match(String(preflight.headers['access-control-allow-headers']), /authorization/i);
  assert.match(String(preflight.headers['access-control-allow-headers']), /last-event-id/i);
  const list = await app.inject({ url: '/v1/agents', headers: { origin: 'https://board.example.com' } });
  assert.equal(list.headers['access-control-allow-origin'], 'https://board.example.com');
  const other = await app.inject({ url: '/v1/agents', headers: { origin: 'https://evil.example.com' } });
  assert.equal(other.headers['access-control-allow-origin'], undefined);
  const c = await sse(t, base, '/v1/events', { origin: 'https://board.example.com' });
  assert.equal(c.headers['access-control-allow-origin'], 'https://board.example.com');
  assert.equal(c.headers.vary, 'Origin, Accept-Encoding', 'caches keep the answer per origin and per encoding');
});

test('without CORS_ORIGINS no CORS headers are sent', async (t) => {
  const { app } = await listen(t);
  const res = await app.inject({ url: '/v1/agents', headers: { origin: 'https://board.example.com' } });
  assert.equal(res.headers['access-control-allow-origin'], undefined);
});

