// The change stream over the embedded store: every change once, in seq order, replay, reset, and the transition log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { ChangeHub, createChangeSource } from '../../src/events/index.ts';
import { logTransitions } from '../../src/events/transition-log.ts';
import type { StreamItem } from '../../src/events/schemas.ts';
import { createMemoryStore } from '../../src/store/index.ts';
import type { AgentObservation, AgentState } from '../../src/agents/model.ts';
import { observation } from '../store/fixtures.ts';

const obs = (id: string, state: AgentState, screen: string, more: Partial<AgentObservation> = {}) =>
  observation(id, { state, screenHash: screen, observedAt: Date.now(), ...more });

test('every version move and removal of the embedded store is one event, in seq order, never during the write', async () => {
  const store = createMemoryStore();
  const { hub, close } = await createChangeSource(store, {});
  const seen: StreamItem[] = [];
  hub.subscribe(null, (e) => seen.push(e));
  await store.write([obs('a', 'working', 's1'), obs('b', 'idle', 's1')]);
  assert.equal(seen.length, 0, 'delivered after the write returns, not inside it');
  await store.write([obs('a', 'working', 's2'), obs('b', 'idle', 's1')]); // b unchanged: no event
  await store.write([obs('a', 'waiting', 's3')]);
  await store.remove(['b']);
  await tick();
  assert.deepEqual(
    seen.map((e) => (e.type === 'agent' ? [e.seq, e.agent.id, e.from, e.agent.state, e.agent.version] : e.type === 'removed' ? [e.seq, e.id] : [e.seq])),
    [[1, 'a', null, 'working', 1], [2, 'b', null, 'idle', 1], [3, 'a', 'working', 'working', 2], [4, 'a', 'working', 'waiting', 3], [5, 'b']],
  );
  assert.equal(hub.seq, await store.seq());
  await close();
});

test('subscribe(since) replays the changes after since, then live ones, each once', async () => {
  const store = createMemoryStore();
  const { hub } = await createChangeSource(store, {});
  await store.write([obs('a', 'working', 's1'), obs('b', 'idle', 's1')]);
  await store.write([obs('a', 'working', 's2')]); // seq 3, still queued for delivery when the next one subscribes
  const seen: number[] = [];
  hub.subscribe(1, (e) => seen.push(e.seq));
  assert.deepEqual(seen, [2, 3], 'replayed synchronously');
  await tick();
  await store.write([obs('b', 'idle', 's2')]);
  await tick();
  assert.deepEqual(seen, [2, 3, 4]);
});

test('a since older than the replay log or newer than the stream gets a reset at the current seq', async () => {
  const store = createMemoryStore();
  const { hub } = await createChangeSource(store, { replayLimit: 3 });
  for (let i = 0; i < 6; i++) await store.write([obs('a', 'working', `s${i}`)]);
  for (const since of [1, 99]) {
    const seen: StreamItem[] = [];
    hub.subscribe(since, (e) => seen.push(e));
    assert.deepEqual(seen, [{ type: 'reset', seq: 6 }], `since ${since}`);
  }
  const seen: number[] = [];
  hub.subscribe(3, (e) => seen.push(e.seq));
  assert.deepEqual(seen, [4, 5, 6], 'within the log: replay');
});

test('subscribers at the same point of the stream are handed one array per run; a later one its own', async () => {
  const store = createMemoryStore();
  const { hub } = await createChangeSource(store, {});
  const runs: Array<Array<readonly StreamItem[]>> = [[], [], []];
  hub.subscribeRuns(null, (run) => runs[0]!.push(run));
  hub.subscribeRuns(null, (run) => runs[1]!.push(run));
  await store.write([obs('a', 'working', 's1'), obs('b', 'idle', 's1')]);
  await store.write([obs('a', 'working', 's2')]);
  hub.subscribeRuns(2, (run) => runs[2]!.push(run)); // replays seq 3, then hears what comes next with the others
  await tick();
  assert.deepEqual(runs[0]!.map((run) => run.map((e) => e.seq)), [[1, 2, 3]]);
  assert.equal(runs[1]![0], runs[0]![0], 'the same array');
  await store.write([obs('b', 'idle', 's2')]);
  await tick();
  assert.deepEqual(runs[2]!.map((run) => run.map((e) => e.seq)), [[3], [4]]);
  assert.equal(runs[2]![1], runs[0]![1]);
  assert.equal(runs[1]![1], runs[0]![1]);
});

test('a listener that unsubscribes in the middle of a run hears nothing after', async () => {
  const hub = new ChangeHub({});
  const seen: number[] = [];
  const unsubscribe = hub.subscribe(null, (e) => {
    seen.push(e.seq);
    if (e.seq === 1) unsubscribe();
  });
  for (let seq = 1; seq <= 3; seq++) hub.publish({ type: 'removed', id: `a${seq}`, seq });
  await tick();
  await tick();
  assert.deepEqual(seen, [1]);
});

test('drained() resolves once what the source wrote is published and handed to every subscriber, or at its timeout', async () => {
  let written = 2;
  let answer: Promise<number> = Promise.resolve(written);
  const hub = new ChangeHub({ sourceSeq: () => answer });
  const handed: number[] = [];
  for (let i = 0; i < 50; i++) hub.subscribeRuns(null, (run) => handed.push(...run.map((e) => e.seq)));
  const removed = (seq: number) => ({ type: 'removed' as const, id: `a${seq}`, seq });
  hub.publish(removed(1));
  const drained = hub.drained(5000).then(() => handed.length);
  await tick();
  hub.publish(removed(2)); // the source wrote it before the call; the stream hears of it after
  assert.equal(await drained, 100, 'every subscriber had seq 1 and 2');

  const timed = async (ms: number) => {
    const started = performance.now();
    await hub.drained(ms);
    return performance.now() - started;
  };
  written = 3; // never published
  answer = Promise.resolve(written);
  assert.ok((await timed(50)) >= 45, 'waits for the stream up to its timeout');
  answer = new Promise(() => undefined); // a source that never answers
  assert.ok((await timed(50)) < 1000, 'bounded by its timeout too');
  answer = Promise.reject(new Error('away'));
  assert.ok((await timed(5000)) < 100, 'a source that fails: only what was published counts, and it is all handed out');
  assert.ok((await timed(5000)) < 100);
  const noSource = new ChangeHub({});
  const started = performance.now();
  await noSource.drained(5000);
  assert.ok(performance.now() - started < 100, 'no source, nothing queued: at once');
});

test('a subscriber that throws does not stop the others', async () => {
  const store = createMemoryStore();
  const errors: unknown[] = [];
  const { hub } = await createChangeSource(store, { onListenerError: (e) => errors.push(e) });
  const seen: number[] = [];
  hub.subscribe(null, () => {
    throw new Error('boom');
  });
  hub.subscribe(null, (e) => seen.push(e.seq));
  await store.write([obs('a', 'working', 's1')]);
  await tick();
  assert.deepEqual(seen, [1]);
  assert.equal(errors.length, 1);
});

test('delivering to many slow subscribers yields to the event loop between slices, and each still gets every change once, in order', async () => {
  const store = createMemoryStore();
  const { hub } = await createChangeSource(store, {});
  const SUBSCRIBERS = 500;
  const SPIN_MS = 0.2; // 100 ms of listeners in all: one run would hold the loop that long
  const seen = Array.from({ length: SUBSCRIBERS }, () => [] as number[]);
  const runs = Array.from({ length: SUBSCRIBERS }, () => 0);
  seen.forEach((list, i) => {
    hub.subscribeRuns(null, (run) => {
      runs[i]!++;
      for (const e of run) {
        const until = performance.now() + SPIN_MS;
        while (performance.now() < until);
        list.push(e.seq);
      }
    });
  });
  let ticks = 0;
  let delivering = true;
  const ticker = (async () => {
    while (delivering) {
      await tick();
      ticks++;
      if (ticks === 3) await store.write([obs('a', 'working', 's2')]); // published while the first run is under way
    }
  })();
  await store.write([obs('a', 'working', 's1')]);
  while (seen.some((list) => list.length < 2)) await tick();
  delivering = false;
  await ticker;
  assert.ok(ticks >= 10, `the loop ran only ${ticks} times while ${SUBSCRIBERS} subscribers were served`);
  for (const list of seen) assert.deepEqual(list, [1, 2]);
  // Those not yet reached when the second change came got both in one go (one write, for a stream client).
  assert.ok(runs.filter((n) => n === 1).length > SUBSCRIBERS / 2, `runs per subscriber: ${runs.join(',')}`);
});

test('each state transition of this monitor is logged once at info: agent, target, from → to, rule', async () => {
  const store = createMemoryStore();
  const { hub } = await createChangeSource(store, {});
  const lines: Array<[Record<string, unknown>, string]> = [];
  const log = { info: (o: Record<string, unknown>, m: string) => lines.push([o, m]) } as never;
  logTransitions(hub, 'm1', log);
  await store.write([obs('a', 'working', 's1', { monitor: 'm1' }), obs('x', 'working', 's1', { monitor: 'other' })]);
  await store.write([obs('a', 'working', 's2', { monitor: 'm1' })]); // screen only: not a transition
  await store.write([obs('a', 'waiting', 's3', { monitor: 'm1' })]);
  await tick();
  assert.deepEqual(
    lines.map(([o]) => [o.agent, o.from, o.to]),
    [['a', null, 'working'], ['a', 'working', 'waiting']],
  );
  const [fields, msg] = lines[1]!;
  assert.equal(fields.target, 'a:0.0');
  assert.equal(typeof fields.rule, 'string');
  assert.match(msg, /^transition a:0\.0 working → waiting \(.+\)$/);
});
