// paneward_agent_state_since_timestamp_seconds: one series per agent that needs a human, gone when it does not.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import type { AgentState } from '../../src/agents/model.ts';
import { registerAgentAttention } from '../../src/metrics/attention.ts';

const SINCE = '2026-12-06T01:00:00.000Z';
const record = (id: string, state: AgentState, stateSince = SINCE) => ({ id, target: `s:0.${id}`, kind: 'program' as const, state, stateSince });

function setup(live: string[]) {
  const registry = new Registry();
  const attention = registerAgentAttention(registry, () => live);
  const scrape = async () => (await registry.getSingleMetric('paneward_agent_state_since_timestamp_seconds')!.get()).values;
  return { registry, attention, scrape };
}

test('an agent waiting for a human has a series holding the unix time its state began', async () => {
  const { attention, scrape } = setup(['a']);
  attention.noteWritten([record('a', 'waiting')]);
  assert.deepEqual(await scrape(), [
    { value: Date.parse(SINCE) / 1000, labels: { id: 'a', target: 's:0.a', kind: 'program', state: 'waiting' } },
  ]);
});

test('agents in states that need no human have no series', async () => {
  const { attention, scrape } = setup(['a', 'b', 'c']);
  attention.noteWritten([record('a', 'working'), record('b', 'idle'), record('c', 'exited')]);
  assert.deepEqual(await scrape(), []);
});

test('an agent that leaves the waiting state loses its series; one entering another such state gets the new one', async () => {
  const { attention, scrape } = setup(['a', 'b']);
  attention.noteWritten([record('a', 'waiting'), record('b', 'waiting')]);
  attention.noteWritten([record('a', 'working'), record('b', 'crashed', '2026-12-06T01:05:00.000Z')]);
  const values = await scrape();
  assert.equal(values.length, 1);
  assert.equal(values[0]!.labels.id, 'b');
  assert.equal(values[0]!.labels.state, 'crashed');
  assert.equal(values[0]!.value, Date.parse('2026-12-06T01:05:00.000Z') / 1000);
});

test('an agent whose pane vanished loses its series at the next scrape', async () => {
  const live = ['a', 'b'];
  const { attention, scrape } = setup(live);
  attention.noteWritten([record('a', 'stuck'), record('b', 'rate_limited')]);
  assert.equal((await scrape()).length, 2);
  live.splice(0, 1);
  assert.deepEqual((await scrape()).map((v) => v.labels.id), ['b']);
});

test('the exposition passes promtool check metrics', async () => {
  const { registry, attention } = setup(['a']);
  attention.noteWritten([record('a', 'error')]);
  const lint = spawnSync('promtool', ['check', 'metrics'], { input: await registry.metrics(), encoding: 'utf8' });
  assert.equal(lint.status, 0, `${lint.stdout}${lint.stderr}`);
});
