import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { HookSchema, type Hook } from '../../src/notify/schemas.ts';
import type { NotifiedAgent } from '../../src/notify/source.ts';
import { Trigger } from '../../src/notify/trigger.ts';
import { agent, Emitter, SECRET, waitFor } from './helpers.ts';

function setup(hooks: Array<Record<string, unknown>>, now?: () => number) {
  const parsed = hooks.map((h) => HookSchema.parse({ url: 'https://example.org/x', secret: SECRET, ...h }));
  const fired: Array<{ hook: string; agent: NotifiedAgent; from: string | null }> = [];
  const suppressed: string[] = [];
  const trigger = new Trigger({
    monitor: 'mon-a',
    hooks: () => parsed,
    fire: (hook: Hook, a, tr) => fired.push({ hook: hook.name, agent: a, from: tr.from }),
    suppressed: (hook) => suppressed.push(hook.name),
    now,
  });
  const stream = new Emitter();
  stream.subscribe(null, (e) => trigger.handle(e));
  return { trigger, stream, fired, suppressed };
}

test('a transition of an agent this monitor owns fires every hook whose filters match', (t) => {
  const { trigger, stream, fired } = setup([
    { name: 'all' },
    { name: 'waiting', states: ['waiting'] },
    { name: 'idle', states: ['idle'] },
    { name: 'codex', kinds: ['codex'] },
    { name: 'work', sessions: ['work'], kinds: ['claude-code'] },
    { name: 'other-session', sessions: ['play'] },
    { name: 'mon-a', monitors: ['mon-a'] },
    { name: 'mon-b', monitors: ['mon-b'] },
  ]);
  t.after(() => trigger.close());
  stream.transition(agent(), 'working');
  assert.deepEqual(fired.map((f) => f.hook).sort(), ['all', 'mon-a', 'waiting', 'work']);
  assert.equal(fired[0]!.from, 'working');
});

test("another monitor's agents never fire here: their own monitor notifies of them", (t) => {
  const { trigger, stream, fired } = setup([{ name: 'all' }]);
  t.after(() => trigger.close());
  stream.transition(agent({ monitor: 'mon-b', id: 'mon-b-1-p1' }), 'working');
  assert.equal(fired.length, 0);
});

test('a change of screen only is no transition; a new agent already waiting is', (t) => {
  const { trigger, stream, fired } = setup([{ name: 'all' }]);
  t.after(() => trigger.close());
  stream.transition(agent({ id: 'seen-first-on-screen-change' }), 'waiting');
  assert.equal(fired.length, 0);
  stream.transition(agent({ id: 'brand-new' }), null);
  assert.deepEqual(fired.map((f) => [f.agent.id, f.from]), [['brand-new', null]]);
  stream.transition(agent({ id: 'brand-new', version: 9, detail: { rule: 'r', evidence: 'other text', confidence: 1 } }), 'waiting');
  assert.equal(fired.length, 1);
});

test('afterMs: a state answered sooner is no news; one that holds fires once, with the agent as it is then', async (t) => {
  const { trigger, stream, fired } = setup([{ name: 'slow', states: ['waiting'], afterMs: 400 }]);
  t.after(() => trigger.close());
  stream.transition(agent({ id: 'answered' }), 'working');
  await sleep(50);
  stream.transition(agent({ id: 'answered', state: 'working' }), 'waiting');

  const since = new Date().toISOString();
  stream.transition(agent({ id: 'held', stateSince: since }), 'working');
  stream.transition(agent({ id: 'held', stateSince: since, detail: { rule: 'r', evidence: 'newer evidence', confidence: 1 } }), 'waiting');
  assert.equal(fired.length, 0, 'fired before afterMs');
  await waitFor('the held state to fire', () => fired.length > 0);
  await sleep(600);
  assert.deepEqual(fired.map((f) => f.agent.id), ['held']);
  assert.equal(fired[0]!.agent.detail.evidence, 'newer evidence');
  assert.ok(Date.now() - Date.parse(since) >= 400);
});

test('afterMs counts from stateSince: a state that already held long enough fires at once', (t) => {
  const { trigger, stream, fired } = setup([{ name: 'slow', afterMs: 60_000 }]);
  t.after(() => trigger.close());
  stream.transition(agent({ stateSince: new Date(Date.now() - 120_000).toISOString() }), 'working');
  assert.equal(fired.length, 1);
});

test('a removed agent fires nothing pending', async (t) => {
  const { trigger, stream, fired } = setup([{ name: 'slow', afterMs: 200 }]);
  t.after(() => trigger.close());
  stream.transition(agent(), 'working');
  stream.removed(agent().id);
  await sleep(500);
  assert.equal(fired.length, 0);
});

test('cooldownMs: the same agent and state stay quiet until the cooldown ends; other states and agents do not wait', (t) => {
  let now = Date.parse('2026-12-06T01:00:00Z');
  const { trigger, stream, fired, suppressed } = setup([{ name: 'c', cooldownMs: 60_000 }], () => now);
  t.after(() => trigger.close());
  const at = (ms: number) => new Date(ms).toISOString();
  stream.transition(agent({ stateSince: at(now) }), 'working');
  now += 10_000;
  stream.transition(agent({ state: 'working', stateSince: at(now) }), 'waiting');
  now += 10_000;
  stream.transition(agent({ stateSince: at(now) }), 'working');
  stream.transition(agent({ id: 'other', stateSince: at(now) }), 'working');
  assert.deepEqual(fired.map((f) => `${f.agent.id}:${f.agent.state}`), ['mon-a-1a2b3c4d-p1:waiting', 'mon-a-1a2b3c4d-p1:working', 'other:waiting']);
  assert.deepEqual(suppressed, ['c']);
  now += 41_000; // waiting's cooldown (from 0 s) is over, working's (from 10 s) is not
  stream.transition(agent({ state: 'working', stateSince: at(now) }), 'waiting');
  stream.transition(agent({ stateSince: at(now) }), 'working');
  assert.deepEqual(fired.slice(3).map((f) => f.agent.state), ['waiting']);
  assert.deepEqual(suppressed, ['c', 'c']);
});

test('a transition published again (made while Redis was away, then written back) fires once', (t) => {
  const { trigger, stream, fired } = setup([{ name: 'all' }]);
  t.after(() => trigger.close());
  const a = agent();
  stream.transition(a, 'working');
  stream.transition({ ...a, version: a.version + 1 }, 'working');
  assert.equal(fired.length, 1);
});
