// Hooks on a real tmux server and the real detector: a hook's state is published at once (no cycle in between),
// names its source, outranks a screen that only guesses, loses to a screen rule that contradicts it long enough,
// turns stuck when nothing moves, and a hook from a pane listed later is applied when it appears.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { configWith, type Config } from '../../src/config.ts';
import { startPrivateTmux, type PrivateTmux } from '../helpers/tmux.ts';

interface Agent {
  id: string;
  paneId: string;
  kind: string;
  state: string;
  detail: { rule: string; evidence: string; confidence: number; source?: string };
}

interface Fixture {
  app: FastifyInstance;
  tmux: PrivateTmux;
  /** The X-Tmux value a process in this server's panes has. */
  tmuxVar: string;
}

async function setUp(t: TestContext, config: Partial<Config> = {}): Promise<Fixture> {
  const tmux = await startPrivateTmux();
  t.after(() => tmux.cleanup());
  await tmux.newSession('main', 'bash --norc --noprofile');
  const pid = (await tmux.tmux('display-message', '-p', '#{pid}')).trim();
  const app = await buildApp(configWith({ sockets: [tmux.socket], monitorId: 'hooks', hookConfirmMs: 600, ...config }), {
    startLoop: false,
    logger: false,
  });
  t.after(() => app.close());
  await app.ready();
  return { app, tmux, tmuxVar: `${tmux.socket},${pid},0` };
}

async function agentOf(app: FastifyInstance, paneId: string): Promise<Agent | undefined> {
  const res = await app.inject({ url: '/v1/agents?limit=1000' });
  return (res.json() as { agents: Agent[] }).agents.find((a) => a.paneId === paneId);
}

function post(f: Fixture, source: string, paneId: string, body: unknown, headers: Record<string, string> = {}) {
  return f.app.inject({
    method: 'POST',
    url: `/v1/hooks/${source}`,
    headers: { 'content-type': 'application/json', 'x-tmux-pane': paneId, 'x-tmux': f.tmuxVar, ...headers },
    payload: JSON.stringify(body),
  });
}

/** Runs cycles until the pane's agent is in `state`; fails with what it saw last. */
async function cycleUntil(app: FastifyInstance, paneId: string, state: string, timeoutMs = 20_000): Promise<Agent> {
  const end = Date.now() + timeoutMs;
  let last: Agent | undefined;
  while (Date.now() < end) {
    await app.poller.runNow();
    last = await agentOf(app, paneId);
    if (last?.state === state) return last;
    await sleep(100);
  }
  assert.fail(`never ${state}; last ${JSON.stringify(last)}`);
}

async function newWindow(tmux: PrivateTmux, command: string): Promise<string> {
  return (await tmux.tmux('new-window', '-d', '-P', '-F', '#{pane_id}', '-t', 'main:', command)).trim();
}

test('a hook state is in the store at once, before any cycle, marked as from the hook', async (t) => {
  const f = await setUp(t);
  const pane = await newWindow(f.tmux, 'sleep 600');
  await cycleUntil(f.app, pane, 'idle');
  const cyclesBefore = f.app.poller.cyclesRun;

  const res = await post(f, 'generic', pane, { state: 'waiting', message: 'deploy needs approval', event: 'approval' });
  assert.equal(res.statusCode, 202, res.body);
  assert.equal(res.json().matched, true);
  assert.equal(res.json().state, 'waiting');

  let agent: Agent | undefined;
  for (let i = 0; i < 50 && agent?.state !== 'waiting'; i++) {
    agent = await agentOf(f.app, pane);
    if (agent?.state !== 'waiting') await sleep(10);
  }
  assert.equal(f.app.poller.cyclesRun, cyclesBefore, 'no cycle ran in between');
  assert.equal(agent?.state, 'waiting');
  assert.deepEqual(agent?.detail, { rule: 'hook.generic.approval', evidence: 'deploy needs approval', confidence: 1, source: 'hook' });

  // The loop keeps reading the screen (a quiet program: a fallback, not a rule): the hook state stands.
  await f.app.poller.runNow();
  await f.app.poller.runNow();
  assert.equal((await agentOf(f.app, pane))?.state, 'waiting');
  const explain = (await f.app.inject({ url: `/v1/agents/${agent!.id}/explain` })).json() as {
    trace: { fusion: { winner: string; hook: { rule: string }; screen: { state: string; detail: { rule: string } } }; published: { state: string } };
  };
  assert.equal(explain.trace.fusion.winner, 'hook');
  assert.equal(explain.trace.fusion.hook.rule, 'hook.generic.approval');
  assert.equal(explain.trace.fusion.screen.state, 'idle', 'explain shows the screen side too');
  assert.equal(explain.trace.published.state, 'waiting');
});

test('a screen rule contradicting the hook for the confirmation window wins, and explain says why', async (t) => {
  const f = await setUp(t);
  const pane = (await f.tmux.tmux('list-panes', '-t', 'main:0', '-F', '#{pane_id}')).trim();
  await sleep(500); // the shell draws its prompt
  const idle = await cycleUntil(f.app, pane, 'idle');
  assert.equal(idle.detail.rule, 'shell.prompt');
  assert.equal(idle.detail.source, 'screen');

  await post(f, 'generic', pane, { state: 'working', message: 'pretending to build' });
  await f.app.poller.runNow();
  assert.equal((await agentOf(f.app, pane))?.state, 'working', 'the hook wins while the contradiction is young');

  const back = await cycleUntil(f.app, pane, 'idle');
  assert.equal(back.detail.source, 'screen');
  const explain = (await f.app.inject({ url: `/v1/agents/${back.id}/explain` })).json() as {
    trace: { fusion: { winner: string; overridden: { why: string; signal: { state: string } } } };
  };
  assert.equal(explain.trace.fusion.winner, 'screen');
  assert.equal(explain.trace.fusion.overridden.signal.state, 'working');
  assert.match(explain.trace.fusion.overridden.why, /showed idle \(shell\.prompt\)/);
});

test('a hook working with nothing moving on screen for STUCK_AFTER_MS is stuck', async (t) => {
  const f = await setUp(t, { stuckAfterMs: 1500 });
  const pane = await newWindow(f.tmux, 'sleep 600');
  await cycleUntil(f.app, pane, 'idle');
  await post(f, 'generic', pane, { state: 'working', message: 'long job' });
  await f.app.poller.runNow();
  assert.equal((await agentOf(f.app, pane))?.state, 'working');
  const stuck = await cycleUntil(f.app, pane, 'stuck');
  assert.equal(stuck.detail.rule, 'time.stuck');
  assert.equal(stuck.detail.source, 'hook');
});

test("an agent's own hook names its kind even when the pane shows another program (a wrapper)", async (t) => {
  const f = await setUp(t);
  const pane = await newWindow(f.tmux, 'sleep 600');
  const before = await cycleUntil(f.app, pane, 'idle');
  assert.equal(before.kind, 'program');
  await post(f, 'claude-code', pane, { hook_event_name: 'PermissionRequest', session_id: 's', tool_name: 'Bash', tool_input: { command: 'rm -rf build' } });
  const agent = await cycleUntil(f.app, pane, 'waiting');
  assert.equal(agent.kind, 'claude-code');
  assert.equal(agent.detail.rule, 'hook.claude-code.PermissionRequest');
  assert.equal(agent.detail.evidence, 'permission to run Bash: rm -rf build');
});

test('a hook from a pane not listed yet answers matched:false and is applied once the pane is listed', async (t) => {
  const f = await setUp(t);
  await cycleUntil(f.app, (await f.tmux.tmux('list-panes', '-t', 'main:0', '-F', '#{pane_id}')).trim(), 'idle');
  const pane = await newWindow(f.tmux, 'sleep 600');
  const res = await post(f, 'generic', pane, { state: 'waiting', message: 'new window asks' });
  assert.equal(res.statusCode, 202);
  assert.deepEqual(res.json(), { matched: false, state: 'waiting' });
  const agent = await cycleUntil(f.app, pane, 'waiting');
  assert.equal(agent.detail.source, 'hook');
  const metrics = (await f.app.inject({ url: '/metrics' })).body;
  assert.match(metrics, /paneward_hooks_total\{source="generic",outcome="late"\} 1/);
});

test('a hook from a pane no watched server has is 202 matched:false and counted', async (t) => {
  const f = await setUp(t);
  await f.app.poller.runNow();
  const res = await post(f, 'generic', '%999', { state: 'idle' }, { 'x-tmux': '/elsewhere/sock,1,0' });
  assert.equal(res.statusCode, 202);
  assert.equal(res.json().matched, false);
  const none = await f.app.inject({ method: 'POST', url: '/v1/hooks/generic', headers: { 'content-type': 'application/json' }, payload: '{"state":"idle"}' });
  assert.equal(none.json().matched, false, 'no pane headers: not in tmux');
  assert.match((await f.app.inject({ url: '/metrics' })).body, /paneward_hooks_total\{source="generic",outcome="unmatched"\} 2/);
});

test('a storm of hooks from one pane ends in its latest state, folded into few writes', async (t) => {
  const f = await setUp(t);
  const pane = await newWindow(f.tmux, 'sleep 600');
  await cycleUntil(f.app, pane, 'idle');
  const states = ['working', 'waiting'];
  await Promise.all(
    Array.from({ length: 200 }, (_, i) => post(f, 'generic', pane, { state: states[i % 2], message: `event ${i}`, event: `e${i}` })),
  );
  const last = await post(f, 'generic', pane, { state: 'error', message: 'the last word' });
  assert.equal(last.statusCode, 202);
  let agent: Agent | undefined;
  for (let i = 0; i < 100 && agent?.detail.evidence !== 'the last word'; i++) {
    await sleep(20);
    agent = await agentOf(f.app, pane);
  }
  assert.equal(agent?.state, 'error');
  assert.equal(agent?.detail.evidence, 'the last word');
  const metrics = (await f.app.inject({ url: '/metrics' })).body;
  const coalesced = Number(/paneward_hooks_total\{source="generic",outcome="coalesced"\} (\d+)/.exec(metrics)?.[1] ?? 0);
  assert.ok(coalesced > 0, `a storm is coalesced (${coalesced})`);
});

test('a hook saying the state the screen already shows replaces the screen as the source', async (t) => {
  const f = await setUp(t);
  const pane = await newWindow(f.tmux, 'sleep 600');
  const before = await cycleUntil(f.app, pane, 'idle');
  assert.equal(before.detail.source, 'screen');
  await post(f, 'generic', pane, { state: 'idle', message: 'done here', event: 'done' });
  let agent: Agent | undefined;
  for (let i = 0; i < 100 && agent?.detail.source !== 'hook'; i++) {
    await sleep(10);
    agent = await agentOf(f.app, pane);
  }
  assert.deepEqual([agent?.state, agent?.detail.rule, agent?.detail.source], ['idle', 'hook.generic.done', 'hook']);
});

test('a hook state reaches the change stream at once, like any observation', async (t) => {
  const f = await setUp(t);
  const pane = await newWindow(f.tmux, 'sleep 600');
  const idle = await cycleUntil(f.app, pane, 'idle');
  const seen: Array<{ state: string; source?: string; from: string | null }> = [];
  const unsubscribe = f.app.events.subscribe(null, (item) => {
    if (item.type === 'agent' && item.agent.id === idle.id) seen.push({ state: item.agent.state, source: item.agent.detail.source, from: item.from });
  });
  t.after(unsubscribe);
  const cycles = f.app.poller.cyclesRun;
  await post(f, 'generic', pane, { state: 'waiting', message: 'stream me' });
  for (let i = 0; i < 100 && !seen.some((e) => e.state === 'waiting'); i++) await sleep(10);
  assert.equal(f.app.poller.cyclesRun, cycles, 'no cycle ran in between');
  assert.deepEqual(seen.find((e) => e.state === 'waiting'), { state: 'waiting', source: 'hook', from: 'idle' });
});
