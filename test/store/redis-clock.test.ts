// The offset between Redis's clock and ours, from which scripts get their deadline: read with short round trips,
// immune to steps of our wall clock, and read again when a script refuses a command its caller still waits for.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { LATE_ERROR, RedisClock } from '../../src/store/redis-clock.ts';

/** A Redis TIME whose clock is `aheadMs` ahead of ours and that answers after `rttMs`. */
function fakeTime(state: { aheadMs: number; rttMs: number; calls: number }) {
  return async (): Promise<string[]> => {
    state.calls++;
    const at = Date.now() + state.aheadMs;
    await sleep(state.rttMs);
    return [String(Math.floor(at / 1000)), String((at % 1000) * 1000)];
  };
}

const TIMEOUT = 2000;
const MARGIN = 250;

test('no deadline until Redis’s clock is read; then ours plus the offset plus the timeout, less a margin', async (t) => {
  const state = { aheadMs: 60_000, rttMs: 0, calls: 0 };
  const clock = new RedisClock(fakeTime(state), TIMEOUT);
  t.after(() => clock.close());
  assert.equal(clock.deadline(), 0, 'unknown: no deadline, and a reading asked for');
  await clock.sample();
  const expected = Date.now() + state.aheadMs + TIMEOUT - MARGIN;
  assert.ok(Math.abs(clock.deadline() - expected) < 30, `${clock.deadline() - expected} ms off`);
});

test('a slow reading is kept only when none better is known', async (t) => {
  const state = { aheadMs: 0, rttMs: 300, calls: 0 };
  const clock = new RedisClock(fakeTime(state), TIMEOUT);
  t.after(() => clock.close());
  await clock.sample();
  assert.notEqual(clock.deadline(), 0, 'a 300 ms reading beats none');
  state.rttMs = 0;
  state.aheadMs = 5000;
  await clock.sample();
  // How far ahead of our clock the deadline lies: the offset, plus the timeout less the margin.
  const lead = () => clock.deadline() - Date.now() - (TIMEOUT - MARGIN);
  assert.ok(Math.abs(lead() - 5000) < 30, 'a quick reading replaces it');
  state.rttMs = 300;
  state.aheadMs = 0;
  await clock.sample();
  assert.ok(Math.abs(lead() - 5000) < 30, 'a slow one does not replace a quick one');
  state.rttMs = 700;
  clock.restart();
  await clock.sample();
  assert.equal(clock.deadline(), 0, 'past 500 ms a reading says too little to use');
});

test('a step of our wall clock does not move the deadline', async (t) => {
  const state = { aheadMs: 0, rttMs: 0, calls: 0 };
  const clock = new RedisClock(fakeTime(state), TIMEOUT);
  t.after(() => clock.close());
  await clock.sample();
  const before = clock.deadline();
  const realNow = Date.now;
  Date.now = () => realNow() - 3000;
  try {
    assert.ok(Math.abs(clock.deadline() - before) < 30);
  } finally {
    Date.now = realNow;
  }
});

test('a refusal as late makes the clock read again (Redis’s clock stepped); other failures do not', async (t) => {
  const state = { aheadMs: 0, rttMs: 0, calls: 0 };
  const clock = new RedisClock(fakeTime(state), TIMEOUT);
  t.after(() => clock.close());
  await clock.sample();
  state.aheadMs = 10_000;
  clock.noteFailure(new Error('Command timed out'));
  assert.equal(state.calls, 1);
  clock.noteFailure(new Error(`ERR Error running script: ${LATE_ERROR} run after its caller gave up on it`));
  assert.equal(clock.deadline(), 0, 'forgotten at once');
  await sleep(20);
  assert.equal(state.calls, 2);
  assert.ok(Math.abs(clock.deadline() - (Date.now() + 10_000 + TIMEOUT - MARGIN)) < 30, 'the new offset');
});
