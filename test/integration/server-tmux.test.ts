// The server end to end against a real tmux server on a private socket: panes become agents, dead panes
// exit or crash, vanished panes are removed, strategy switches live, tmux restarts are survived.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { configWith } from '../../src/config.ts';
import { controlClientPids, deadPane, startPrivateTmux, type PrivateTmux } from '../helpers/tmux.ts';

interface AgentJson {
  id: string;
  paneId: string;
  state: string;
  kind: string;
  version: number;
  target: string;
  session: string;
  detail: { rule: string; evidence: string };
}

let tmux: PrivateTmux;
let app: FastifyInstance;
const clientsBefore = controlClientPids().length;

before(async () => {
  tmux = await startPrivateTmux();
  await tmux.newSession('work', 'bash --norc --noprofile');
  app = await buildApp(configWith({ sockets: [tmux.socket], pollIntervalMs: 3_600_000, monitorId: 'itest' }), {
    logger: false, // the loop runs (readiness needs it) but ticks hourly: the tests drive cycles themselves
  });
  await app.ready();
});

after(async () => {
  await app.close();
  await tmux.cleanup();
  assert.equal(controlClientPids(tmux.socket).length, 0, 'no tmux -C client left on the test socket');
  assert.ok(controlClientPids().length <= clientsBefore, 'no orphaned tmux -C processes');
});

async function cycle() {
  const res = await app.inject({ method: 'POST', url: '/v1/monitor/cycle' });
  assert.equal(res.statusCode, 200, res.body);
  return res.json() as { panes: number; captured: number; captureCacheHits: number; errors: string[]; removed: number };
}

async function agents(): Promise<AgentJson[]> {
  const res = await app.inject({ url: '/v1/agents?limit=1000' });
  assert.equal(res.statusCode, 200, res.body);
  return (res.json() as { agents: AgentJson[] }).agents;
}

async function agentFor(paneId: string): Promise<AgentJson | undefined> {
  return (await agents()).find((a) => a.paneId === paneId);
}

test('every pane of the private server becomes an agent with its tmux target', async () => {
  const stats = await cycle();
  assert.deepEqual(stats.errors, []);
  assert.equal(stats.panes, 1);
  const [agent] = await agents();
  assert.ok(agent);
  assert.equal(agent.target, 'work:0.0');
  assert.equal(agent.session, 'work');
  assert.match(agent.id, /^itest-[0-9a-f]{8}-p\d+$/);
  assert.equal(agent.version, 1);
});

test('an unchanged pane is served from the capture cache on the next cycle', async () => {
  await new Promise((r) => setTimeout(r, 1100)); // tmux activity times are whole seconds
  await cycle();
  const stats = await cycle();
  assert.equal(stats.captureCacheHits, stats.panes);
  assert.equal(stats.captured, 0);
});

test('a pane that exits 0 is exited and one that exits non-zero is crashed', async () => {
  // tmux 3.3a often loses a pane's exit status when a client is connected as the process dies, and our pool is
  // one: run on exec (the pool closes) while the panes die.
  await app.inject({ method: 'PUT', url: '/v1/monitor/strategy', payload: { strategy: 'exec' } });
  await new Promise((r) => setTimeout(r, 300));
  const ok = await deadPane(tmux, 'work', 'sh -c "echo done; sleep 0.2; exit 0"', '0');
  const bad = await deadPane(tmux, 'work', 'sh -c "echo boom; sleep 0.2; exit 3"', '3');
  const killed = await deadPane(tmux, 'work', 'sh -c "sleep 0.2; kill -9 $$"', '9');
  await cycle();
  await cycle(); // state changes are confirmed over consecutive observations, except death
  assert.equal((await agentFor(ok))?.state, 'exited');
  const crashed = await agentFor(bad);
  assert.equal(crashed?.state, 'crashed');
  assert.match(crashed?.detail.evidence ?? '', /3/);
  const signalled = await agentFor(killed);
  assert.equal(signalled?.state, 'crashed');
  assert.match(signalled?.detail.evidence ?? '', /signal 9/);
  for (const pane of [ok, bad, killed]) await tmux.tmux('kill-pane', '-t', pane);
  await app.inject({ method: 'PUT', url: '/v1/monitor/strategy', payload: { strategy: 'pool' } });
});

test('a vanished pane is removed and reported by ?since', async () => {
  const pane = (await tmux.tmux('new-window', '-d', '-P', '-F', '#{pane_id}', '-t', 'work', 'sleep 600')).trim();
  await cycle();
  const id = (await agentFor(pane))?.id;
  assert.ok(id);
  const seq = ((await app.inject({ url: '/v1/agents' })).json() as { seq: number }).seq;
  await tmux.tmux('kill-pane', '-t', pane);
  const stats = await cycle();
  assert.ok(stats.removed >= 1);
  assert.equal(await agentFor(pane), undefined);
  const since = (await app.inject({ url: `/v1/agents?since=${seq}` })).json() as { removed: string[] };
  assert.ok(since.removed.includes(id));
  assert.equal((await app.inject({ url: `/v1/agents/${id}` })).statusCode, 404);
});

test('the strategy switches between pool and exec at runtime and both see the same panes', async () => {
  const viaPool = await cycle();
  let res = await app.inject({ method: 'PUT', url: '/v1/monitor/strategy', payload: { strategy: 'exec' } });
  assert.equal(res.statusCode, 200, res.body);
  const viaExec = await cycle();
  assert.deepEqual(viaExec.errors, []);
  assert.equal(viaExec.panes, viaPool.panes);
  let monitor = (await app.inject({ url: '/v1/monitor' })).json() as { strategy: string; tmux: Array<{ effectiveStrategy: string }> };
  assert.equal(monitor.strategy, 'exec');
  assert.equal(monitor.tmux[0]?.effectiveStrategy, 'exec');
  res = await app.inject({ method: 'PUT', url: '/v1/monitor/strategy', payload: { strategy: 'pool' } });
  assert.equal(res.statusCode, 200);
  await cycle();
  monitor = (await app.inject({ url: '/v1/monitor' })).json() as typeof monitor;
  assert.equal(monitor.tmux[0]?.effectiveStrategy, 'pool');
});

test('a killed tmux server empties the fleet and a new one is picked up by itself', async () => {
  await cycle();
  assert.equal((await app.inject({ url: '/readyz' })).statusCode, 200);
  await tmux.kill();
  const stats = await cycle();
  assert.equal(stats.panes, 0);
  assert.deepEqual(await agents(), []);
  const down = await app.inject({ url: '/readyz' });
  assert.equal(down.statusCode, 503);
  assert.match(down.body, /tmux/);
  const metrics = (await app.inject({ url: '/metrics' })).body;
  assert.match(metrics, /paneward_tmux_up\{socket="[^"]+"\} 0/);

  const pane = await tmux.newSession('again', 'sleep 600');
  let found: AgentJson | undefined;
  for (let i = 0; i < 20 && !found; i++) {
    await cycle();
    found = await agentFor(pane);
    if (!found) await new Promise((r) => setTimeout(r, 200));
  }
  assert.ok(found, 'the pane of the restarted server is seen');
  assert.equal(found.session, 'again');
  assert.equal((await app.inject({ url: '/readyz' })).statusCode, 200);
});
