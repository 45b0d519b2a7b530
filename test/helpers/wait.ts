// Waiting for a condition in a test: poll with a generous deadline (the machine may be loaded), never assume speed.
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `check` until it returns true; throws naming `what` when `timeoutMs` passes first. A check that throws
 * counts as not yet (a client still reconnecting, a file not written yet).
 */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await Promise.resolve().then(check).catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}
