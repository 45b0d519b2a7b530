// The board's model of the fleet (web/fleet.js), run in node: the order rows are listed in, the filters, and how
// changes that arrive out of order or while the store is away are kept.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { z } from 'zod';
import type { AgentSchema } from '../../src/schemas.ts';
import { Fleet, boardOrder, matches } from '../../web/fleet.js';

type Agent = z.infer<typeof AgentSchema>;

function agent(target: string, state: Agent['state'], over: Partial<Agent> = {}): Agent {
  const [session, rest] = target.split(':') as [string, string];
  const [w, p] = rest.split('.').map(Number) as [number, number];
  return {
    id: `m-00000000-p${session}${w}${p}`,
    monitor: 'm',
    socket: '/tmp/sock',
    target,
    session,
    windowIndex: w,
    windowName: 'win',
    paneIndex: p,
    paneId: `%${w}`,
    pid: 1,
    command: 'claude',
    kind: 'claude-code',
    state,
    stateSince: '2026-12-06T01:00:00.000Z',
    version: 1,
    observedAt: '2026-12-06T01:00:00.000Z',
    changedAt: '2026-12-06T01:00:00.000Z',
    detail: { rule: 'r', evidence: 'Do you want to proceed?', confidence: 1 },
    stale: false,
    ...over,
  };
}

const NO_FILTER = { state: '', kind: '', session: '', monitor: '', text: '' };

test('agents that need a human come first, longest in their state on top; the rest keep tmux order', () => {
  const fleet = new Fleet();
  fleet.replace([
    agent('s10:0.0', 'working'),
    agent('s2:1.0', 'idle'),
    agent('s2:0.1', 'working'),
    agent('s9:0.0', 'crashed', { stateSince: '2026-12-06T01:05:00.000Z' }),
    agent('s1:0.0', 'waiting', { stateSince: '2026-12-06T01:02:00.000Z' }),
    agent('s3:0.0', 'rate_limited', { stateSince: '2026-12-06T00:59:00.000Z' }),
    agent('s4:0.0', 'unsubmitted'),
  ]);
  assert.deepEqual(
    fleet.view(NO_FILTER).map((a) => a.target),
    ['s3:0.0', 's1:0.0', 's9:0.0', 's2:0.1', 's2:1.0', 's4:0.0', 's10:0.0'],
  );
  assert.equal([agent('a:0.0', 'stuck'), agent('a:1.0', 'idle')].sort(boardOrder)[0]!.state, 'stuck');
});

test('filters by state, kind, session, monitor and text (target, command, evidence)', () => {
  const a = agent('api:0.0', 'waiting');
  assert.ok(matches(a, { ...NO_FILTER, state: 'waiting', kind: 'claude-code', session: 'api', monitor: 'm' }));
  assert.ok(!matches(a, { ...NO_FILTER, state: 'idle' }));
  assert.ok(!matches(a, { ...NO_FILTER, session: 'web' }));
  assert.ok(matches(a, { ...NO_FILTER, text: 'PROCEED' }));
  assert.ok(matches(a, { ...NO_FILTER, text: 'api:0' }));
  assert.ok(!matches(a, { ...NO_FILTER, text: 'nothing like it' }));
});

test('an older record does not replace a newer one, but its stale flag is taken', () => {
  const fleet = new Fleet();
  fleet.replace([agent('a:0.0', 'working', { version: 5 })]);
  const id = agent('a:0.0', 'idle').id;
  fleet.upsert(agent('a:0.0', 'idle', { version: 4 }));
  assert.equal(fleet.agents.get(id)!.state, 'working');
  assert.equal(fleet.anyStale(), false);
  fleet.upsert(agent('a:0.0', 'idle', { version: 4, stale: true }));
  assert.equal(fleet.agents.get(id)!.state, 'working');
  assert.equal(fleet.agents.get(id)!.stale, true);
  assert.equal(fleet.anyStale(), true);
  fleet.upsert(agent('a:0.0', 'idle', { version: 6 }));
  assert.equal(fleet.agents.get(id)!.state, 'idle');
  assert.equal(fleet.anyStale(), false);
  fleet.upsert(agent('a:0.0', 'idle', { version: 7, stale: true }));
  fleet.remove(id);
  assert.equal(fleet.anyStale(), false, 'a removed stale agent no longer counts');
});

test('counts list every state, zeros included, and every agent once', () => {
  const fleet = new Fleet();
  fleet.replace([agent('a:0.0', 'waiting'), agent('a:1.0', 'waiting'), agent('b:0.0', 'idle')]);
  const counts = fleet.counts();
  assert.equal(counts.get('waiting'), 2);
  assert.equal(counts.get('idle'), 1);
  assert.equal(counts.get('crashed'), 0);
  assert.equal([...counts.values()].reduce((x, y) => x + y, 0), 3);
  assert.deepEqual([...counts.keys()].slice(0, 5), ['waiting', 'error', 'rate_limited', 'stuck', 'crashed']);
});
