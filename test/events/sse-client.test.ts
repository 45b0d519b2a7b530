// One /v1/events connection against the real hub and embedded store, its socket a recorder: what is written, in
// what order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import type { FastifyReply } from 'fastify';
import { createChangeSource } from '../../src/events/index.ts';
import { SseClient } from '../../src/events/sse-client.ts';
import { SnapshotShelf } from '../../src/events/snapshots.ts';
import { createMemoryStore } from '../../src/store/index.ts';
import type { AgentStore } from '../../src/store/types.ts';
import { observation } from '../store/fixtures.ts';
import type { ChangeHub } from '../../src/events/index.ts';

/** A reply whose socket records each frame's event name and id. */
function recordingReply() {
  const frames: Array<{ event: string; id: number }> = [];
  const raw = {
    socket: null,
    write(bytes: Buffer) {
      for (const block of bytes.toString().split('\n\n')) {
        const id = /^id:(\d+)$/m.exec(block);
        const event = /^event:(\w+)$/m.exec(block);
        if (id && event) frames.push({ event: event[1]!, id: Number(id[1]) });
      }
      return true;
    },
    once() {},
    destroy() {},
  };
  const reply = { raw, sse: { onClose() {} }, log: { warn() {}, info() {} } };
  return { reply: reply as unknown as FastifyReply, frames };
}

function client(hub: ChangeHub, store: AgentStore, shelf: SnapshotShelf) {
  const { reply, frames } = recordingReply();
  const c = new SseClient(reply, { stream: hub, store, filter: {}, bufferBytes: 1 << 20, onCut() {}, snapshots: shelf });
  return { c, frames };
}

test('a reset heard in the middle of a run sends the snapshot after the changes queued before it, never ahead of them', async () => {
  const store = createMemoryStore();
  await store.write([observation('a', { screenHash: 'a1' })]);
  const { hub } = await createChangeSource(store, {});
  const shelf = new SnapshotShelf(store);
  const one = client(hub, store, shelf);
  await one.c.start(null);
  assert.deepEqual(one.frames, [{ event: 'snapshot', id: 1 }]);

  // Two changes wait in the hub; a second client starts at seq 3 and reads a snapshot there, which the first
  // client may share when the reset (a Redis that restarted, say) comes after the two changes in the same run.
  await store.write([observation('a', { screenHash: 'a2' })]);
  await store.write([observation('b', { screenHash: 'b1' })]);
  const two = client(hub, store, shelf);
  const started = two.c.start(null);
  hub.reset(3);
  await started;
  for (let i = 0; i < 10; i++) await tick();

  const ids = one.frames.map((f) => f.id);
  assert.deepEqual(
    ids.map((id, i) => (i === 0 ? 0 : id - ids[i - 1]!)).filter((step) => step < 0),
    [],
    `ids went backwards: ${JSON.stringify(one.frames)}`,
  );
  assert.deepEqual(one.frames.at(-1), { event: 'snapshot', id: 3 });
});
