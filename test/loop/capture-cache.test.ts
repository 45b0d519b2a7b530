// The capture cache on its own: what counts as unchanged, and when an unchanged pane is captured anyway.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CaptureCache } from '../../src/loop/capture-cache.ts';
import type { PaneInfo } from '../../src/tmux/types.ts';
import { pane as basePane } from '../helpers/pane.ts';

const T0 = 1_800_000_000_000; // epoch ms, on a second boundary
const MAX_AGE = 30_000;

/** Pane number n of one server, last active `activitySecond` (epoch seconds). */
function pane(n: number, activitySecond = T0 / 1000 - 5): PaneInfo {
  return basePane({ paneId: `%${n}`, windowId: `@${n}`, windowIndex: n, windowActivity: activitySecond });
}

/** A deterministic stand-in for Math.random: 0, 1/n, 2/n, … */
function evenly(n: number): () => number {
  let i = 0;
  return () => (i++ % n) / n;
}

/** How many of `panes` need a capture at each whole second from `from` to `to`, capturing those that do. */
function recapturesPerSecond(cache: CaptureCache, panes: PaneInfo[], from: number, to: number): number[] {
  const counts: number[] = [];
  for (let s = from; s <= to; s++) {
    const now = T0 + s * 1000;
    let n = 0;
    for (const p of panes) {
      if (cache.check(p.paneId, p, now) === 'fresh') continue;
      n++;
      cache.captured(p.paneId, p, now);
    }
    counts.push(n);
  }
  return counts;
}

test('a pane unchanged since a capture in a later second is not captured again until its max age', () => {
  const cache = new CaptureCache(MAX_AGE, () => 0.5);
  const p = pane(1);
  assert.equal(cache.check('a', p, T0), 'changed', 'never captured');
  cache.captured('a', p, T0);
  assert.equal(cache.check('a', p, T0 + 1000), 'fresh');
  assert.equal(cache.check('a', p, T0 + MAX_AGE * 0.75 - 1), 'fresh');
  assert.equal(cache.check('a', p, T0 + MAX_AGE * 0.75), 'expired', 'the first expiry is half the max age and a random share of the rest');
  cache.captured('a', p, T0 + 22_500);
  assert.equal(cache.check('a', p, T0 + 22_500 + MAX_AGE - 1), 'fresh', 'later captures last the whole max age');
  assert.equal(cache.check('a', p, T0 + 22_500 + MAX_AGE), 'expired');
  assert.deepEqual({ hits: cache.hits, misses: cache.misses }, { hits: 3, misses: 3 });
});

test('activity, a resize or death after the capture make a pane due at once; so does activity in the capture\'s second', () => {
  const cache = new CaptureCache(MAX_AGE, () => 0.99);
  const p = pane(1);
  cache.captured('a', p, T0);
  assert.equal(cache.check('a', { ...p, windowActivity: p.windowActivity + 1 }, T0 + 1000), 'changed');
  assert.equal(cache.check('a', { ...p, width: 81 }, T0 + 1000), 'changed');
  assert.equal(cache.check('a', { ...p, dead: true }, T0 + 1000), 'changed');
  assert.equal(cache.check('a', { ...p, windowActivity: p.windowActivity + 1 }, T0 + MAX_AGE), 'changed', 'a change outranks an expiry');
  const sameSecond = pane(2, T0 / 1000);
  cache.captured('b', sameSecond, T0 + 400);
  assert.equal(cache.check('b', sameSecond, T0 + 2000), 'changed', 'output may have followed the capture in its second');
});

test('a fleet first captured in one cycle is re-captured spread over the max age, not all at once', () => {
  const fleet = Array.from({ length: 900 }, (_, i) => pane(i));
  const cache = new CaptureCache(MAX_AGE, evenly(900));
  const [first, ...rest] = recapturesPerSecond(cache, fleet, 0, 95);
  assert.equal(first, 900);
  // First expiries fall in the second half of the max age: 900 panes over 15 one-second cycles, 60 a cycle
  // (rounding lets a cycle take one more); the max age on, each pane keeps its place.
  assert.ok(Math.max(...rest) <= 61, `at most 61 re-captures in any cycle, saw ${Math.max(...rest)}`);
  assert.equal(rest.slice(0, 30).reduce((a, b) => a + b, 0), 900, 'every pane re-captured within the first max age');
  assert.equal(rest.slice(30, 60).reduce((a, b) => a + b, 0), 900, 'and once in each max age after that');
  assert.ok(rest.slice(0, 14).every((n) => n === 0), 'none before half the max age');
});

test('with a max age of 0 the cache is off: every pane needs a capture in every cycle', () => {
  const cache = new CaptureCache(0);
  const counts = recapturesPerSecond(cache, [pane(1), pane(2)], 0, 3);
  assert.deepEqual(counts, [2, 2, 2, 2]);
  assert.equal(cache.check('%1', pane(1), T0 + 10_000), 'changed');
});
