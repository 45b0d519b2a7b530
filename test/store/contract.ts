// The AgentStore contract: one suite, run against every backend (memory.test.ts, redis.test.ts, resilient.test.ts).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidCursorError } from '../../src/store/records.ts';
import type { AgentStore } from '../../src/store/types.ts';
import { T0, observation } from './fixtures.ts';

export interface ContractOptions {
  ttlSeconds?: number;
  historyLimit?: number;
  removedLogLimit?: number;
}

/** Builds a fresh, empty store; the suite closes it. */
export type StoreFactory = (opts: ContractOptions) => Promise<AgentStore>;

export function storeContract(name: string, makeStore: StoreFactory): void {
  describe(`AgentStore contract: ${name}`, () => {
    async function withStore(opts: ContractOptions, fn: (store: AgentStore) => Promise<void>): Promise<void> {
      const store = await makeStore(opts);
      try {
        await fn(store);
      } finally {
        await store.close();
      }
    }

    test('a new agent starts at version 1 with stateSince = changedAt = observedAt', () =>
      withStore({}, async (store) => {
        const result = await store.write([observation('a')]);
        assert.equal(result.changed.length, 1);
        assert.equal(result.refreshed, 0);
        assert.deepEqual(result.transitions, [{ id: 'a', from: null, to: 'working' }]);
        const record = await store.get('a');
        assert.ok(record);
        assert.equal(record.version, 1);
        assert.equal(record.stale, false);
        assert.equal(record.state, 'working');
        assert.equal(record.stateSince, new Date(T0).toISOString());
        assert.equal(record.changedAt, new Date(T0).toISOString());
        assert.equal(record.observedAt, new Date(T0).toISOString());
        assert.deepEqual(record.detail, observation('a').detail);
        assert.equal(record.session, 'main');
        assert.equal('screen' in record, false);
        assert.equal('screenHash' in record, false);
        assert.deepEqual(result.changed[0], record);
      }));

    test('an unchanged observation refreshes observedAt without bumping the version', () =>
      withStore({}, async (store) => {
        await store.write([observation('a')]);
        const seqBefore = await store.seq();
        const result = await store.write([observation('a', { observedAt: T0 + 5000 })]);
        assert.equal(result.refreshed, 1);
        assert.deepEqual(result.changed, []);
        assert.deepEqual(result.transitions, []);
        const record = await store.get('a');
        assert.equal(record?.version, 1);
        assert.equal(record?.observedAt, new Date(T0 + 5000).toISOString());
        assert.equal(record?.changedAt, new Date(T0).toISOString());
        assert.equal(await store.seq(), seqBefore, 'a refresh does not move the global seq');
      }));

    test('a screen change bumps the version but keeps stateSince', () =>
      withStore({}, async (store) => {
        await store.write([observation('a')]);
        const result = await store.write([observation('a', { screenHash: 'other', screen: 'new text', observedAt: T0 + 1000 })]);
        assert.equal(result.changed.length, 1);
        assert.deepEqual(result.transitions, [], 'same state: no transition');
        const record = await store.get('a');
        assert.equal(record?.version, 2);
        assert.equal(record?.stateSince, new Date(T0).toISOString());
        assert.equal(record?.changedAt, new Date(T0 + 1000).toISOString());
        assert.equal(await store.screen('a'), 'new text');
      }));

    test('a state change bumps the version, restarts stateSince and is recorded in history', () =>
      withStore({}, async (store) => {
        await store.write([observation('a')]);
        const result = await store.write([observation('a', { state: 'waiting', observedAt: T0 + 2000 })]);
        assert.deepEqual(result.transitions, [{ id: 'a', from: 'working', to: 'waiting' }]);
        const record = await store.get('a');
        assert.equal(record?.version, 2);
        assert.equal(record?.state, 'waiting');
        assert.equal(record?.stateSince, new Date(T0 + 2000).toISOString());
        assert.equal(record?.detail.rule, 'rule-waiting');
        assert.deepEqual(await store.history('a', 10), [
          { from: 'working', to: 'waiting', at: new Date(T0 + 2000).toISOString(), version: 2, rule: 'rule-waiting', evidence: 'line showing waiting' },
          { from: null, to: 'working', at: new Date(T0).toISOString(), version: 1, rule: 'rule-working', evidence: 'line showing working' },
        ]);
        assert.equal((await store.history('a', 1)).length, 1);
      }));

    test('history keeps at most historyLimit transitions, newest first', () =>
      withStore({ historyLimit: 3 }, async (store) => {
        const states = ['working', 'idle', 'waiting', 'error', 'idle', 'working', 'stuck'] as const;
        for (const [i, state] of states.entries()) await store.write([observation('a', { state, observedAt: T0 + i })]);
        const history = await store.history('a', 100);
        assert.deepEqual(
          history.map((h) => [h.from, h.to, h.version]),
          [
            ['working', 'stuck', 7],
            ['idle', 'working', 6],
            ['error', 'idle', 5],
          ],
        );
      }));

    test('unknown ids read as null, empty history and no screen', () =>
      withStore({}, async (store) => {
        assert.equal(await store.get('nope'), null);
        assert.equal(await store.screen('nope'), null);
        assert.deepEqual(await store.history('nope', 10), []);
      }));

    test('the global seq grows on every version bump and removal, and only then', () =>
      withStore({}, async (store) => {
        assert.equal(await store.seq(), 0);
        await store.write([observation('a'), observation('b')]);
        assert.equal(await store.seq(), 2);
        await store.write([observation('a', { observedAt: T0 + 1 }), observation('b', { state: 'idle' })]);
        assert.equal(await store.seq(), 3);
        await store.remove(['a', 'never-existed']);
        assert.equal(await store.seq(), 4);
      }));

    test('list pages through every agent once, in id order, with opaque cursors', () =>
      withStore({}, async (store) => {
        const ids = ['c', 'a', 'e', 'b', 'd', 'agent-10', 'agent-9'];
        await store.write(ids.map((id) => observation(id)));
        const seen: string[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const page = await store.list({}, 3, cursor);
          assert.ok(page.agents.length <= 3);
          assert.equal(page.seq, await store.seq());
          seen.push(...page.agents.map((a) => a.id));
          cursor = page.nextCursor;
          if (cursor) assert.ok(!ids.includes(cursor), 'the cursor is not a bare id');
          pages++;
        } while (cursor !== null);
        assert.deepEqual(seen, [...ids].sort());
        assert.equal(pages, 3);
        const exact = await store.list({}, ids.length, null);
        assert.equal(exact.nextCursor, null, 'no cursor to an empty page');
      }));

    test('list filters by state, kind, session and monitor', () =>
      withStore({}, async (store) => {
        await store.write([
          observation('a', { state: 'idle' }),
          observation('b', { kind: 'codex' }),
          observation('c', { session: 'other' }),
          observation('d', { monitor: 'm2' }),
          observation('e'),
        ]);
        const ids = async (filter: Parameters<AgentStore['list']>[0]) => (await store.list(filter, 100, null)).agents.map((a) => a.id);
        assert.deepEqual(await ids({ state: 'idle' }), ['a']);
        assert.deepEqual(await ids({ kind: 'codex' }), ['b']);
        assert.deepEqual(await ids({ session: 'other' }), ['c']);
        assert.deepEqual(await ids({ monitor: 'm2' }), ['d']);
        assert.deepEqual(await ids({ state: 'working', kind: 'claude-code', session: 'main', monitor: 'm1' }), ['e']);
        const page = await store.list({ state: 'working' }, 1, null);
        assert.deepEqual(page.agents.map((a) => a.id), ['b']);
        const next = await store.list({ state: 'working' }, 1, page.nextCursor);
        assert.deepEqual(next.agents.map((a) => a.id), ['c']);
      }));

    test('a cursor the store did not hand out is rejected', () =>
      withStore({}, async (store) => {
        await store.write([observation('a')]);
        await assert.rejects(store.list({}, 10, 'not-a-cursor!'), InvalidCursorError);
        assert.equal(store.health().up, true, 'a caller\'s bad cursor says nothing about the store');
        assert.equal((await store.get('a'))?.stale ?? false, false);
      }));

    test('since returns what changed after a seq, plus removed ids', () =>
      withStore({}, async (store) => {
        await store.write([observation('a'), observation('b'), observation('c')]);
        const mark = await store.seq();
        await store.write([
          observation('a', { observedAt: T0 + 1 }), // refresh only
          observation('b', { state: 'idle', observedAt: T0 + 1 }),
          observation('c', { kind: 'codex', state: 'error', observedAt: T0 + 1 }),
        ]);
        await store.remove(['a']);
        const result = await store.since(mark, {});
        assert.deepEqual(result.agents.map((a) => [a.id, a.version]), [['b', 2], ['c', 2]]);
        assert.deepEqual(result.removed, ['a']);
        assert.equal(result.seq, await store.seq());
        assert.ok(!result.full);
        const filtered = await store.since(mark, { kind: 'codex' });
        assert.deepEqual(filtered.agents.map((a) => a.id), ['c']);
        const nothing = await store.since(result.seq, {});
        assert.deepEqual([nothing.agents, nothing.removed], [[], []]);
      }));

    test('a removed agent is gone everywhere, and comes back as a change when seen again', () =>
      withStore({}, async (store) => {
        await store.write([observation('a'), observation('b')]);
        await store.remove(['a']);
        assert.equal(await store.get('a'), null);
        assert.equal(await store.screen('a'), null);
        assert.deepEqual((await store.list({}, 10, null)).agents.map((r) => r.id), ['b']);
        const mark = 0;
        await store.write([observation('a', { observedAt: T0 + 10 })]);
        const result = await store.since(mark, {});
        assert.deepEqual(result.agents.map((r) => r.id), ['a', 'b']);
        assert.deepEqual(result.removed, [], 'the new record supersedes the removal');
        assert.equal((await store.get('a'))?.version, 1);
        assert.deepEqual((await store.list({}, 10, null)).agents.map((r) => r.id), ['a', 'b'], 'listed again');
        await store.write([observation('a', { observedAt: T0 + 20, screen: 'changed', screenHash: 'hash-2' })]);
        const later = await store.since((await store.seq()) - 1, {});
        assert.deepEqual([later.agents.map((r) => [r.id, r.version]), later.removed], [[['a', 2]], []], 'a later change is a change, no removal');
      }));

    test('since older than the removal log answers with a full snapshot', () =>
      withStore({ removedLogLimit: 2 }, async (store) => {
        await store.write(['a', 'b', 'c', 'd', 'e'].map((id) => observation(id)));
        const early = await store.seq();
        await store.remove(['a']);
        const afterFirst = await store.seq();
        await store.remove(['b']);
        await store.remove(['c']); // the removal of 'a' leaves the log
        const stale = await store.since(early, {});
        assert.equal(stale.full, true);
        assert.deepEqual(stale.agents.map((r) => r.id), ['d', 'e']);
        assert.deepEqual(stale.removed, []);
        const recent = await store.since(afterFirst, {});
        assert.ok(!recent.full);
        assert.deepEqual(recent.removed.sort(), ['b', 'c']);
      }));

    test('since with a seq from the future (e.g. the store was reset) answers with a full snapshot', () =>
      withStore({}, async (store) => {
        await store.write([observation('a')]);
        const result = await store.since((await store.seq()) + 100, {});
        assert.equal(result.full, true);
        assert.deepEqual(result.agents.map((r) => r.id), ['a']);
      }));

    test('agents not refreshed within the TTL expire and are reported as removed', () =>
      withStore({ ttlSeconds: 0.4 }, async (store) => {
        await store.write([observation('dead'), observation('alive')]);
        const mark = await store.seq();
        for (let i = 1; i <= 4; i++) {
          await sleep(200);
          await store.write([observation('alive', { observedAt: T0 + i })]);
        }
        assert.equal(await store.get('dead'), null);
        assert.deepEqual((await store.list({}, 10, null)).agents.map((r) => r.id), ['alive']);
        const result = await store.since(mark, {});
        assert.deepEqual(result.removed, ['dead']);
        assert.deepEqual(result.agents, []);
      }));

    test('a cycle of 1000 agents is written in one call and refreshed in the next', () =>
      withStore({}, async (store) => {
        const batch = Array.from({ length: 1000 }, (_, i) => observation(`agent-${String(i).padStart(4, '0')}`));
        const first = await store.write(batch);
        assert.equal(first.changed.length, 1000);
        assert.ok(first.changed.every((r) => r.version === 1));
        const second = await store.write(batch.map((o) => ({ ...o, observedAt: T0 + 1000 })));
        assert.equal(second.refreshed, 1000);
        const page = await store.list({}, 1000, null);
        assert.equal(page.agents.length, 1000);
        assert.equal(page.nextCursor, null);
        assert.equal(page.seq, 1000);
      }));
  });
}
