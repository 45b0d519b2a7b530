// When to try a failed delivery again. The schedule is data in the queue (so it survives a restart), hence a
// pure "delay of attempt n" from the `retry` package rather than a retry loop that sleeps inside a promise.
import retry from 'retry';
import type { RetryPolicy } from './schemas.ts';

/**
 * Delay before the next attempt after `attempts` failed ones: doubling from firstDelayMs up to maxDelayMs,
 * times a random factor in [1, 2) so receivers that come back are not hit by every sender at once.
 * A receiver's Retry-After is honoured when it asks for longer, up to maxDelayMs.
 */
export function nextDelayMs(attempts: number, policy: RetryPolicy, retryAfterMs: number | null = null): number {
  const backoff = retry.createTimeout(Math.max(0, attempts - 1), {
    minTimeout: policy.firstDelayMs,
    maxTimeout: policy.maxDelayMs,
    factor: 2,
    randomize: true,
  });
  return Math.min(policy.maxDelayMs, Math.max(backoff, retryAfterMs ?? 0));
}

/** The time of the next attempt, or null when the retry window is over; the window's end gets one last try. */
export function nextAttemptAt(createdAt: number, attempts: number, now: number, policy: RetryPolicy, retryAfterMs: number | null): number | null {
  const deadline = createdAt + policy.retryForMs;
  if (now >= deadline) return null;
  return Math.min(now + nextDelayMs(attempts, policy, retryAfterMs), deadline);
}
