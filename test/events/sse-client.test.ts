// One /v1/events connection against the real hub and embedded store, its socket a recorder: what is written, in
// what order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick, setTimeout as sleep } from 'node:timers/promises';
import { constants, gunzipSync } from 'node:zlib';
import type { FastifyReply } from 'fastify';
import { createChangeSource } from '../../src/events/index.ts';
import { SseClient } from '../../src/events/sse-client.ts';
import { SnapshotShelf } from '../../src/events/snapshots.ts';
import { createMemoryStore } from '../../src/store/index.ts';
import type { AgentFilter, AgentStore } from '../../src/store/types.ts';
import { observation } from '../store/fixtures.ts';
import { ChangeHub } from '../../src/events/index.ts';
import { toChangeEvent } from '../../src/events/changes.ts';
import type { ChangeEvent } from '../../src/events/schemas.ts';
import { HEARTBEAT, snapshotFrame, type StreamEncoding } from '../../src/events/frames.ts';

/** A reply whose socket records what is written, and each (uncompressed) frame's event name and id. */
function recordingReply() {
  const frames: Array<{ event: string; id: number }> = [];
  const written: Buffer[] = [];
  /** While full, writes are taken but say the socket is full, as a socket's buffer past its mark does. */
  const socket = { full: false, drains: [] as Array<() => void> };
  const raw = {
    socket: null,
    destroyed: false,
    write(bytes: Buffer) {
      written.push(bytes);
      for (const block of bytes.toString().split('\n\n')) {
        const id = /^id:(\d+)$/m.exec(block);
        const event = /^event:(\w+)$/m.exec(block);
        if (id && event) frames.push({ event: event[1]!, id: Number(id[1]) });
      }
      return !socket.full;
    },
    once(event: string, listener: () => void) {
      if (event === 'drain') socket.drains.push(listener);
    },
    destroy() {},
  };
  const reply = { raw, sse: { onClose() {} }, log: { warn() {}, info() {} } };
  return { reply: reply as unknown as FastifyReply, frames, written, socket };
}

function client(hub: ChangeHub, store: AgentStore, shelf: SnapshotShelf, encoding: StreamEncoding = 'identity', heartbeatMs = 60_000, filter: AgentFilter = {}) {
  const { reply, frames, written, socket } = recordingReply();
  const options = { stream: hub, store, filter, bufferBytes: 1 << 20, onCut() {}, snapshots: shelf, encoding, heartbeatMs, retryMs: 2000 };
  const c = new SseClient(reply, options);
  return { c, frames, written, socket };
}

/** An embedded store holding agent `a`, its change stream, and a snapshot shelf over it. */
async function streamOverStore() {
  const store = createMemoryStore();
  await store.write([observation('a', { screenHash: 'a1' })]);
  const { hub } = await createChangeSource(store, {});
  return { store, hub, shelf: new SnapshotShelf(store) };
}

test('a reset heard in the middle of a run sends the snapshot after the changes queued before it, never ahead of them', async () => {
  const { store, hub, shelf } = await streamOverStore();
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
  one.c.close();
  two.c.close();
});

test('clients with the same filter are written the very same bytes for a run; another filter gets its own', async () => {
  const { store, hub, shelf } = await streamOverStore();
  const [one, two] = [client(hub, store, shelf), client(hub, store, shelf)];
  const working = client(hub, store, shelf, 'identity', 60_000, { state: 'working' });
  await Promise.all([one, two, working].map((x) => x.c.start(null)));
  const before = [one, two, working].map((x) => x.written.length);
  await store.write([observation('a', { screenHash: 'a2', state: 'idle' }), observation('b', { screenHash: 'b1', state: 'working' })]);
  for (let i = 0; i < 5; i++) await tick();
  const [runOne, runTwo, runWorking] = [one, two, working].map((x, i) => x.written.slice(before[i]));
  assert.equal(runOne!.length, 1, 'the run in one write');
  assert.equal(runTwo![0], runOne![0], 'the same buffer, framed once for both');
  assert.deepEqual(one.frames.slice(-2).map((f) => f.id), [2, 3]);
  assert.deepEqual(working.frames.slice(-1).map((f) => f.id), [3], 'only the working agent');
  assert.equal(runWorking!.length, 1);
  for (const x of [one, two, working]) x.c.close();
});

test('a gzip client is written the same stream, as one gzip body that decodes after every write', async () => {
  const { store, hub, shelf } = await streamOverStore();
  const plain = client(hub, store, shelf);
  const gzip = client(hub, store, shelf, 'gzip');
  await Promise.all([plain.c.start(null), gzip.c.start(null)]);
  for (const n of [2, 3, 4]) {
    await store.write([observation('a', { screenHash: `a${n}` }), observation(`b${n}`, { screenHash: 'b' })]);
    for (let i = 0; i < 5; i++) await tick();
  }
  const text = Buffer.concat(plain.written).toString();
  assert.match(text, /^retry:2000\n\n/);
  assert.equal((text.match(/^event:agent$/gm) ?? []).length, 6, text);
  // Every write ends on a sync flush: what came so far decodes in full, at each step, with nothing held back.
  for (let upTo = 2; upTo <= gzip.written.length; upTo++) {
    const decoded = gunzipSync(Buffer.concat(gzip.written.slice(0, upTo)), { finishFlush: constants.Z_SYNC_FLUSH }).toString();
    assert.ok(text.startsWith(decoded), `write ${upTo} decodes to a prefix of the plain stream`);
    if (upTo === gzip.written.length) assert.equal(decoded, text);
  }
  assert.ok(Buffer.concat(gzip.written).length < text.length, 'smaller than the plain stream');
  plain.c.close();
  gzip.c.close();
});

test('a heartbeat goes out every heartbeatMs, none while the socket is full, none after the client closed', async () => {
  const { store, hub, shelf } = await streamOverStore();
  const one = client(hub, store, shelf, 'identity', 20);
  await one.c.start(null);
  const beats = () => one.written.filter((b) => b.equals(HEARTBEAT.bytes)).length;
  const beatAfter = async (n: number) => {
    for (const deadline = Date.now() + 5000; beats() <= n && Date.now() < deadline; ) await sleep(5);
    assert.ok(beats() > n, `no heartbeat after ${n}`);
  };
  await beatAfter(1);

  one.socket.full = true;
  await beatAfter(beats()); // this one finds the socket full
  const whileFull = beats();
  await sleep(150);
  assert.equal(beats(), whileFull, 'nothing queues behind a full socket');
  one.socket.full = false;
  for (const drained of one.socket.drains.splice(0)) drained();
  await beatAfter(whileFull);

  one.c.close();
  const atClose = one.written.length;
  await sleep(150);
  assert.equal(one.written.length, atClose, 'nothing after close');
});

/**
 * A store holding agent `a` (seq 1) and a stream that has read only that far: the store's later changes reach the
 * stream when a test publishes them from `changes`, as the Redis reader would, a moment after the write.
 */
async function streamBehindStore() {
  const store = createMemoryStore();
  const changes: ChangeEvent[] = [];
  store.onChange((c) => changes.push(toChangeEvent(c)));
  await store.write([observation('a', { screenHash: 'a1' })]);
  const hub = new ChangeHub({ startSeq: 0 });
  hub.publish(changes[0]!);
  return { store, changes, hub };
}

test('changes a snapshot already holds are not sent after it when the stream comes later than the store (Redis read back)', async () => {
  const { store, changes, hub } = await streamBehindStore();
  // The store moves on to seq 3; this instance's stream has read only seq 1 when a client starts.
  await store.write([observation('a', { screenHash: 'a2', state: 'idle' })]);
  await store.write([observation('b', { screenHash: 'b1' })]);
  const one = client(hub, store, new SnapshotShelf(store));
  await one.c.start(null);
  for (const change of changes.slice(1)) hub.publish(change); // the stream catches up
  await store.write([observation('b', { screenHash: 'b2' })]);
  hub.publish(changes.at(-1)!);
  for (let i = 0; i < 5; i++) await tick();
  assert.deepEqual(
    one.frames.map((f) => `${f.event}:${f.id}`),
    ['snapshot:3', 'agent:4'],
  );
  one.c.close();
});

test('a client cut while it sends what it held before a reset stays closed: no second snapshot is read for it', async () => {
  const { store, hub, shelf } = await streamOverStore();
  const reads: number[] = [];
  const frameFor = shelf.frameFor.bind(shelf);
  shelf.frameFor = (filter, seq) => (reads.push(seq), frameFor(filter, seq));
  let cuts = 0;
  const { reply, written, socket } = recordingReply();
  const c = new SseClient(reply, { stream: hub, store, filter: {}, bufferBytes: 10, onCut: () => cuts++, snapshots: shelf, encoding: 'identity', heartbeatMs: 60_000, retryMs: 2000 });
  await c.start(null);
  socket.full = true;
  hub.publish({ type: 'removed', id: 'x', seq: 2 });
  await tick(); // written; the socket is full now, so what comes next queues
  hub.reset(5); // a snapshot is read; meanwhile a change and another reset are held
  hub.publish({ type: 'removed', id: 'y', seq: 6 });
  hub.reset(7);
  for (let i = 0; i < 10; i++) await tick();
  assert.equal(cuts, 1, 'the held change overflows the 10-byte buffer');
  assert.deepEqual(reads, [1, 5], 'the snapshot at 7 is never read for a client already cut');
  assert.equal(hub.subscriberCount, 0);
  const atCut = written.length;
  for (let i = 0; i < 5; i++) await tick();
  assert.equal(written.length, atCut);
});

test('after a snapshot read while Redis was away, changes the stream brings later are still sent, though at or below its seq', async () => {
  const { store, changes, hub } = await streamBehindStore();
  await store.write([observation('b', { screenHash: 'b1' })]); // another monitor's change, not yet read back
  const shelf = new SnapshotShelf(store);
  // What the store answers while Redis is away: its own copy, labelled with the last seq it knew.
  shelf.frameFor = async () => ({ seq: 2, payload: snapshotFrame('{"agents":[],"seq":2}', 2), complete: false });
  const one = client(hub, store, shelf);
  await one.c.start(null);
  hub.publish(changes[1]!); // Redis is back and the stream reads seq 2
  for (let i = 0; i < 5; i++) await tick();
  assert.deepEqual(
    one.frames.map((f) => `${f.event}:${f.id}`),
    ['snapshot:2', 'agent:2'],
  );
  one.c.close();
});
