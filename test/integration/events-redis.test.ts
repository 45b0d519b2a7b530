// The change stream fleet-wide: two monitors (each with its own real tmux server) on one real redis-server, SSE
// clients of one of them; Redis stopped and paused under the stream; a client that stops reading.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { configWith, type Config } from '../../src/config.ts';
import { startPrivateRedis, type PrivateRedis } from '../helpers/redis.ts';
import { fold, openSse, type SseConnection, type SseEvent } from '../helpers/sse.ts';
import { startPrivateTmux, type PrivateTmux } from '../helpers/tmux.ts';

interface Monitor {
  tmux: PrivateTmux;
  app: FastifyInstance;
  base: string;
  panes: string[];
}

let redis: PrivateRedis;
let a: Monitor;
let b: Monitor;
const opened: SseConnection[] = [];

async function startMonitor(name: string, panes: number, config: Partial<Config> = {}): Promise<Monitor> {
  const tmux = await startPrivateTmux();
  const ids = [await tmux.newSession(name, 'cat')];
  for (let i = 1; i < panes; i++) ids.push((await tmux.tmux('new-window', '-d', '-P', '-F', '#{pane_id}', '-t', `${name}:`, 'cat')).trim());
  // The loop ticks hourly: the tests run cycles themselves, so each change lands when they say.
  const app = await buildApp(configWith({ sockets: [tmux.socket], redis: redis.url, monitorId: name, pollIntervalMs: 3_600_000, ...config }), { logger: false });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  return { tmux, app, base, panes: ids };
}

before(async () => {
  redis = await startPrivateRedis();
  a = await startMonitor('mon-a', 3, { eventsClientBufferBytes: 16 * 1024 });
  b = await startMonitor('mon-b', 3);
  await cycle(a);
  await cycle(b);
});

after(async () => {
  for (const c of opened) c.close();
  for (const m of [a, b]) {
    await m?.app.close();
    await m?.tmux.cleanup();
  }
  await redis?.cleanup();
});

async function cycle(m: Monitor) {
  const res = await m.app.inject({ method: 'POST', url: '/v1/monitor/cycle' });
  assert.equal(res.statusCode, 200, res.body);
  return res.json() as { ok: boolean; changed: number; errors: string[] };
}

let said = 0;
/** Types a new line into a pane (running cat, so the screen changes) and runs a cycle of its monitor. */
async function change(m: Monitor, pane: string) {
  await m.tmux.tmux('send-keys', '-t', pane, '-l', `line ${++said}`);
  await m.tmux.tmux('send-keys', '-t', pane, 'Enter');
  await new Promise((r) => setTimeout(r, 30));
  return cycle(m);
}

async function sse(m: Monitor, path = '/v1/events', headers: Record<string, string> = {}) {
  const c = await openSse(m.base, path, headers);
  opened.push(c);
  return c;
}

async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function list(m: Monitor) {
  const res = await m.app.inject({ url: '/v1/agents?limit=1000' });
  return res.json() as { agents: Array<{ id: string; version: number; stale: boolean }>; seq: number };
}

/** Ids the stream handed out (snapshots included): each strictly above the one before, so none repeats. */
function assertIdsAscend(events: SseEvent[]) {
  const ids = events.filter((e) => e.id !== undefined).map((e) => Number(e.id));
  for (let i = 1; i < ids.length; i++) {
    if (events.filter((e) => e.id !== undefined)[i]!.event === 'snapshot') continue; // a snapshot may restate a seq
    assert.ok(ids[i]! > ids[i - 1]!, `id ${ids[i]} after ${ids[i - 1]}: ${ids.join(',')}`);
  }
}

const versions = (m: Map<string, { version: number }>) => Object.fromEntries([...m].map(([id, r]) => [id, r.version]).sort());

test("two monitors on one Redis: a client of one gets the other's changes, in seq order", async () => {
  const c = await sse(a);
  const snap = JSON.parse((await c.waitFor((e) => e.event === 'snapshot')).data);
  assert.deepEqual(new Set(snap.agents.map((x: { monitor: string }) => x.monitor)), new Set(['mon-a', 'mon-b']));
  await change(b, b.panes[0]!);
  const fromB = await c.waitFor((e) => e.event === 'agent' && JSON.parse(e.data).monitor === 'mon-b');
  await change(a, a.panes[0]!);
  await c.waitFor((e) => e.event === 'agent' && JSON.parse(e.data).monitor === 'mon-a');
  assert.ok(Number(fromB.id) > snap.seq);
  assertIdsAscend(c.events);
  assert.deepEqual(versions(fold(c.events)), versions(new Map((await list(a)).agents.map((x) => [x.id, x]))));
});

test('a stream resumed with Last-Event-ID equals GET /v1/agents?since, across both monitors and a removal', async () => {
  const { seq: n } = await list(a);
  await change(a, a.panes[1]!);
  await change(b, b.panes[1]!);
  await change(b, b.panes[1]!);
  const extra = (await b.tmux.tmux('new-window', '-d', '-P', '-F', '#{pane_id}', '-t', 'mon-b:', 'cat')).trim();
  await cycle(b);
  await b.tmux.tmux('kill-pane', '-t', extra);
  await cycle(b);
  const since = (await a.app.inject({ url: `/v1/agents?since=${n}` })).json() as { agents: Array<{ id: string }>; removed: string[]; seq: number };
  assert.equal(since.removed.length, 1);
  assert.ok(since.agents.length >= 3);
  for (const headers of [{ 'last-event-id': String(n) }, {}] as Array<Record<string, string>>) {
    const c = await sse(a, Object.keys(headers).length ? '/v1/events' : `/v1/events?since=${n}`, headers);
    await c.waitFor((e) => e.id === String(since.seq));
    assert.ok(!c.events.some((e) => e.event === 'snapshot'));
    const agents = c.events.filter((e) => e.event === 'agent').map((e) => JSON.parse(e.data));
    assert.deepEqual(agents.map((x) => x.id).sort(), since.agents.map((x) => x.id).sort());
    assert.deepEqual(agents.sort((x, y) => x.id.localeCompare(y.id)), [...since.agents].sort((x, y) => x.id.localeCompare(y.id)));
    assert.deepEqual(c.events.filter((e) => e.event === 'removed').map((e) => JSON.parse(e.data).id), since.removed);
    assertIdsAscend(c.events);
  }
});

for (const outage of ['stopped and started empty', 'paused and resumed'] as const) {
  test(`Redis ${outage}: local changes flow marked stale, and afterwards no change is lost or its id repeated`, async () => {
    const live = await sse(a);
    await live.waitFor((e) => e.event === 'snapshot');
    const before = Number(live.lastEventId());
    if (outage === 'paused and resumed') redis.pause();
    else await redis.stop();
    await change(a, a.panes[2]!);
    const stale = await live.waitFor((e) => e.event === 'agent' && JSON.parse(e.data).stale === true, 20_000);
    assert.equal(stale.id, undefined, 'a stale event carries no id: Last-Event-ID stays at the last shared seq');
    await change(a, a.panes[0]!);
    await change(b, b.panes[2]!); // the other monitor, which nobody reads from, changes too
    if (outage === 'paused and resumed') redis.resume();
    else await redis.start();
    await waitUntil('the store to be back', async () => {
      await cycle(b);
      await cycle(a);
      return a.app.store.health().up && b.app.store.health().up;
    });
    const truth = await list(a);
    assert.ok(truth.agents.every((x) => !x.stale));
    await waitUntil('the live stream to catch up', () => Number(live.lastEventId()) >= truth.seq && versions(fold(live.events)).toString() !== '');
    await waitUntil('the live stream to match the store', async () => JSON.stringify(versions(fold(live.events))) === JSON.stringify(versions(new Map((await list(a)).agents.map((x) => [x.id, x])))));
    assertIdsAscend(live.events);
    // A client that was away for all of it and comes back with the id it had before the outage misses nothing.
    const resumed = await sse(a, '/v1/events', { 'last-event-id': String(before) });
    const now = await list(a);
    await resumed.waitFor((e) => e.id !== undefined && Number(e.id) >= now.seq);
    const held = fold(live.events.filter((e) => e.id !== undefined && Number(e.id) <= before));
    assert.deepEqual(versions(fold(resumed.events, held)), versions(new Map(now.agents.map((x) => [x.id, x]))));
    assertIdsAscend(resumed.events);
  });
}

test('a client that stops reading is cut; the loop and a reading client go on and miss nothing', async (t) => {
  // Loopback TCP buffers take a few MB before the server sees backpressure: a fleet of 40 panes with long window
  // names (part of every record) fills them in a few dozen cycles.
  const c = await startMonitor('mon-c', 1, { eventsClientBufferBytes: 16 * 1024 });
  t.after(async () => {
    await c.app.close();
    await c.tmux.cleanup();
  });
  for (let i = 1; i < 40; i++) {
    c.panes.push((await c.tmux.tmux('new-window', '-d', '-P', '-F', '#{pane_id}', '-n', `w${i}-${'x'.repeat(2000)}`, '-t', 'mon-c:', 'cat')).trim());
  }
  await cycle(c);
  const reader = await sse(c);
  await reader.waitFor((e) => e.event === 'snapshot');
  const gauge = async () => Number(/^paneward_events_clients (\d+)$/m.exec((await c.app.inject({ url: '/metrics' })).body)?.[1]);
  const { port } = new URL(c.base);
  // A raw socket with a tiny receive buffer that never reads: what a stalled browser tab or a dead link looks like.
  const stalled = spawn('python3', ['-c', [
    'import socket, sys, time',
    's = socket.socket()',
    's.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)',
    `s.connect(("127.0.0.1", ${port}))`,
    `s.sendall(b"GET /v1/events HTTP/1.1\\r\\nHost: 127.0.0.1:${port}\\r\\nAccept: text/event-stream\\r\\n\\r\\n")`,
    'print("connected", flush=True)',
    'time.sleep(120)',
  ].join('\n')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((r) => stalled.on('exit', () => r()));
  await new Promise<void>((r) => stalled.stdout!.once('data', () => r()));
  await waitUntil('the stalled client to be counted', async () => (await gauge()) === 2);
  let rounds = 0;
  while ((await gauge()) > 1 && rounds < 300) {
    rounds++;
    const keys = c.panes.flatMap((p, i) => [...(i ? [';'] : []), 'send-keys', '-t', p, '-l', `round ${rounds}`, ';', 'send-keys', '-t', p, 'Enter']);
    await c.tmux.tmux(...keys);
    await new Promise((r) => setTimeout(r, 30));
    const stats = await cycle(c);
    assert.ok(stats.ok, JSON.stringify(stats.errors));
  }
  assert.equal(await gauge(), 1, `the stalled client was cut (after ${rounds} rounds of changes)`);
  const truth = await list(c);
  await waitUntil('the reading client to have every change', () => Number(reader.lastEventId()) >= truth.seq);
  assert.deepEqual(versions(fold(reader.events)), versions(new Map(truth.agents.map((x) => [x.id, x]))));
  stalled.kill();
  await exited;
});
