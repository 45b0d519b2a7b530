// Poller.publishNow: a classification made outside the cycle (a hook) is written at once, and a cycle's
// observation made before it — a refresh written after the cycle — does not put the old state back.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AgentObservation } from '../../src/agents/model.ts';
import type { Classification, Classifier } from '../../src/detect/types.ts';
import { agentId } from '../../src/loop/agent-id.ts';
import { Poller } from '../../src/loop/poller.ts';
import { createMemoryStore } from '../../src/store/index.ts';
import type { AgentStore } from '../../src/store/types.ts';
import { FakeTmuxServer } from '../helpers/fake-tmux.ts';

const idle: Classification = { kind: 'program', state: 'idle', detail: { rule: 'screen.idle', evidence: '$', confidence: 0.9, source: 'screen' } };
const waiting: Classification = { kind: 'program', state: 'waiting', detail: { rule: 'hook.generic.waiting', evidence: 'asks', confidence: 1, source: 'hook' } };

/** The memory store, each write a few ms late (as a store across a network is). */
function slowStore(): AgentStore {
  const store = createMemoryStore();
  return Object.assign(Object.create(store) as AgentStore, {
    async write(observations: AgentObservation[]) {
      await sleep(5);
      return store.write(observations);
    },
  });
}

test('a hook state published between a cycle and its upkeep is not overwritten by the refresh the cycle queued', async () => {
  const fake = new FakeTmuxServer();
  const paneId = '%1';
  fake.setPanes([{ paneId, currentCommand: 'sleep' }]);
  fake.setScreen(paneId, '$ ');
  const classifier: Classifier = { classify: () => idle, forget: () => undefined };
  const store = slowStore();
  // Every cycle queues a refresh of the unchanged pane, written between cycles.
  const poller = new Poller({ monitor: 't', servers: () => [fake], store, classifier: () => classifier, intervalMs: 1000, captureMaxAgeMs: 60_000, refreshEveryMs: 1 });
  const id = agentId('t', { socket: fake.socket, serverPid: fake.serverPid, paneId });
  await poller.runNow();
  assert.equal((await store.get(id))?.state, 'idle');

  await poller.runNow(); // queues the refresh (state idle, observed now)
  const published = poller.publishNow(id, waiting); // the hook lands before the upkeep writes the refresh
  assert.equal(await published, true);
  await poller.stop(); // waits for the upkeep
  const record = await store.get(id);
  assert.equal(record?.state, 'waiting', 'the stale refresh was not written over the hook state');
  assert.equal(record?.detail.source, 'hook');
});

test('publishNow writes nothing for a pane the loop does not track, or when nothing changed', async () => {
  const fake = new FakeTmuxServer();
  const paneId = '%1';
  fake.setPanes([{ paneId, currentCommand: 'sleep' }]);
  fake.setScreen(paneId, '$ ');
  const store = createMemoryStore();
  const poller = new Poller({ monitor: 't', servers: () => [fake], store, classifier: () => ({ classify: () => idle, forget: () => undefined }), intervalMs: 1000, captureMaxAgeMs: 60_000, refreshEveryMs: 60_000 });
  assert.equal(await poller.publishNow('t-00000000-p99', waiting), false);
  await poller.runNow();
  const id = agentId('t', { socket: fake.socket, serverPid: fake.serverPid, paneId });
  assert.equal(await poller.publishNow(id, waiting), true);
  assert.equal(await poller.publishNow(id, waiting), false);
  await poller.stop();
});
