import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nextAttemptAt, nextDelayMs } from '../../src/notify/backoff.ts';
import { RetrySchema } from '../../src/notify/schemas.ts';

const policy = RetrySchema.parse({ firstDelayMs: 1000, maxDelayMs: 60_000, retryForMs: 1_800_000 });

test('delays double from firstDelayMs with a random factor in [1, 2), up to maxDelayMs', () => {
  for (let attempts = 1; attempts <= 12; attempts++) {
    const base = Math.min(1000 * 2 ** (attempts - 1), 60_000);
    const seen = Array.from({ length: 200 }, () => nextDelayMs(attempts, policy));
    assert.ok(seen.every((d) => d >= base && d <= Math.min(2 * base, 60_000)), `attempt ${attempts}: ${Math.min(...seen)}..${Math.max(...seen)}`);
    if (base < 30_000) assert.ok(new Set(seen).size > 20, 'no jitter');
  }
});

test("a receiver's Retry-After is honoured when longer, up to maxDelayMs", () => {
  assert.ok(nextDelayMs(1, policy, 20_000) >= 20_000);
  assert.equal(nextDelayMs(1, policy, 3_600_000), 60_000);
});

test('retries span the retry window, with a last attempt at its end, then stop', () => {
  const created = 0;
  let now = 0;
  let attempts = 0;
  for (;;) {
    const at = nextAttemptAt(created, ++attempts, now, policy, null);
    if (at === null) break;
    now = at;
  }
  assert.equal(now, 1_800_000, 'the last attempt is at the end of the window');
  assert.ok(attempts > 30 && attempts < 60, `${attempts} attempts in 30 minutes`);
});
