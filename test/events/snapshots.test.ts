// Snapshot frames shared by /v1/events clients: one read for clients arriving together, never a read made while
// Redis was away, never an old one, and a failed read is nobody's snapshot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { SnapshotShelf } from '../../src/events/snapshots.ts';
import type { AgentRecord } from '../../src/agents/model.ts';
import type { AgentStore, ListPage } from '../../src/store/types.ts';

/** A store that answers list() after a moment, counting reads, with a switch for Redis being away. */
function fakeStore(agents: Array<Partial<AgentRecord>>) {
  const state = { seq: 7, up: true, reads: 0, fail: false, agents };
  const store = {
    async list(): Promise<ListPage> {
      state.reads++;
      await sleep(20);
      if (state.fail) throw new Error('redis went away');
      return { agents: state.agents as AgentRecord[], nextCursor: null, seq: state.seq };
    },
    health: () => ({ backend: 'redis', up: state.up, reason: state.up ? null : 'down' }),
  };
  return { state, store: store as unknown as AgentStore };
}

const snapshotOf = (bytes: Buffer) => JSON.parse(/^data:(.*)$/m.exec(bytes.toString())![1]!) as { agents: unknown[]; seq: number };

test('clients arriving together at one stream position share one read', async () => {
  const { state, store } = fakeStore([{ id: 'a', stale: false }]);
  const shelf = new SnapshotShelf(store);
  const frames = await Promise.all(Array.from({ length: 5 }, () => shelf.frameFor({}, 7)));
  assert.equal(state.reads, 1);
  for (const f of frames) assert.equal(f.payload, frames[0]!.payload);
  assert.deepEqual(snapshotOf(frames[0]!.payload.bytes), { agents: [{ id: 'a', stale: false }], seq: 7 });
  await shelf.frameFor({ session: 'work' }, 7);
  assert.equal(state.reads, 2, 'another filter reads for itself');
});

test('a frame covers a client whose stream starts at or before its seq, not one that starts after', async () => {
  const { state, store } = fakeStore([]);
  const shelf = new SnapshotShelf(store);
  await shelf.frameFor({}, 5); // read at seq 7
  await shelf.frameFor({}, 7);
  assert.equal(state.reads, 1);
  state.seq = 8;
  const later = await shelf.frameFor({}, 8);
  assert.equal(state.reads, 2);
  assert.equal(later.seq, 8);
});

test('a read made while Redis was away, or holding stale agents, is not shared', async () => {
  const { state, store } = fakeStore([]);
  const shelf = new SnapshotShelf(store);
  state.up = false;
  await shelf.frameFor({}, 7);
  state.up = true;
  await shelf.frameFor({}, 7);
  assert.equal(state.reads, 2, 'the read from the outage was not kept');
  state.agents = [{ id: 'a', stale: true }];
  state.seq = 9;
  await shelf.frameFor({}, 9);
  await shelf.frameFor({}, 9);
  assert.equal(state.reads, 4, 'a list with stale agents was not kept');
});

test('a frame is shared for a second at most: expiries move no seq', async () => {
  const { state, store } = fakeStore([]);
  const shelf = new SnapshotShelf(store);
  await shelf.frameFor({}, 7);
  await sleep(1100);
  await shelf.frameFor({}, 7);
  assert.equal(state.reads, 2);
});

test('a failed read rejects for its client; those who waited on it read again', async () => {
  const { state, store } = fakeStore([]);
  const shelf = new SnapshotShelf(store);
  state.fail = true;
  const first = shelf.frameFor({}, 7);
  const second = shelf.frameFor({}, 7);
  await assert.rejects(first, /redis went away/);
  await assert.rejects(second, /redis went away/);
  assert.equal(state.reads, 2);
  state.fail = false;
  assert.equal((await shelf.frameFor({}, 7)).seq, 7);
});
