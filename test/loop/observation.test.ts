// decideWrite: what a pane's new classification asks of the store, and which content hash (the store's
// screenHash, whose change moves the version) it is written with.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideWrite, newTracked, type Tracked } from '../../src/loop/observation.ts';
import type { Classification } from '../../src/detect/types.ts';
import { pane } from '../helpers/pane.ts';

const context = { monitor: 'm', refreshEveryMs: 60_000, now: 1_000 };

function classification(over: Partial<Classification> = {}, detail: Partial<Classification['detail']> = {}): Classification {
  return { kind: 'claude-code', state: 'working', ...over, detail: { rule: 'r', evidence: 'e', confidence: 0.9, source: 'screen', ...detail } };
}

/** A pane whose first classification was written; returns it and the hash it was written with. */
function written(c: Classification): { t: Tracked; hash: string } {
  const t = newTracked(pane(), 'screen text', 'screen-hash', 0, context.refreshEveryMs);
  const due = decideWrite(t, c, 'a', context)!;
  t.written = due.pending.written;
  t.writtenAt = context.now;
  return { t, hash: due.pending.observation.screenHash };
}

test('a new state on the same screen (a hook) is a change written with the same content hash', () => {
  const { t, hash } = written(classification());
  const due = decideWrite(t, classification({ state: 'waiting' }, { source: 'screen' }), 'a', context);
  assert.equal(due?.write, 'change');
  assert.equal(due?.pending.observation.screenHash, hash);
});

test('another kind, or the hook taking over from the screen at the same state, is a new content hash', () => {
  const { t, hash } = written(classification());
  const kind = decideWrite(t, classification({ kind: 'codex' }), 'a', context);
  assert.equal(kind?.write, 'change');
  assert.notEqual(kind?.pending.observation.screenHash, hash);
  const source = decideWrite(t, classification({}, { source: 'hook' }), 'a', context);
  assert.equal(source?.write, 'change');
  assert.notEqual(source?.pending.observation.screenHash, hash);
});

test('a new screen or new pane facts are a new content hash; the same classification object on them asks nothing', () => {
  const c = classification();
  const { t, hash } = written(c);
  assert.equal(decideWrite(t, c, 'a', context), null, 'nothing moved, no refresh due');
  t.screenHash = 'other-screen';
  const screen = decideWrite(t, c, 'a', context);
  assert.equal(screen?.write, 'change');
  assert.notEqual(screen?.pending.observation.screenHash, hash);
  t.screenHash = 'screen-hash';
  t.pane = pane({ windowName: 'renamed' });
  const renamed = decideWrite(t, c, 'a', context);
  assert.equal(renamed?.write, 'change');
  assert.notEqual(renamed?.pending.observation.screenHash, hash);
});
