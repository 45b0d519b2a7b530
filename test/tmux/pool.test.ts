// The pool on its own: create failures back off instead of spinning, idle eviction, shutdown accounting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { ExecRunner } from '../../src/tmux/exec.ts';
import { ControlPool } from '../../src/tmux/pool.ts';
import { flakyTmuxBinary, privateTmux, sleep } from './harness.ts';
import { waitFor } from '../helpers/wait.ts';

const controlAttempts = (calls: string) => readFileSync(calls, 'utf8').split('\n').filter((l) => l.includes(' -C ')).length;

test('when every create fails, generic-pool retries are spaced by back-off, not a spin', async (t) => {
  const h = await privateTmux(t);
  await h.newSession('s', 'sleep 1000');
  const wrapper = flakyTmuxBinary(h.dir);
  writeFileSync(wrapper.refuseFlag, '');
  const exec = new ExecRunner(h.socket, { tmuxBinary: wrapper.binary });
  const pool = h.track(
    new ControlPool({ socket: h.socket, exec, min: 0, max: 2, tmuxBinary: wrapper.binary, acquireTimeoutMs: 1500, backoffInitialMs: 100, backoffMaxMs: 400 }),
  );
  await assert.rejects(pool.use(async () => 'never'), /refused|exited/);
  // The abandoned acquire stays queued in generic-pool for acquireTimeoutMs and keeps asking for creates.
  await sleep(1500);
  const attempts = controlAttempts(wrapper.calls);
  assert.ok(attempts >= 2 && attempts <= 8, `${attempts} control-mode attempts in 1.5 s`);
  assert.match(pool.lastCreateError?.message ?? '', /refused|exited/);
  await h.finish();
});

test('idle connections above min are evicted and shutdown closes the rest', async (t) => {
  const h = await privateTmux(t);
  await h.newSession('s', 'sleep 1000');
  const pool = h.track(
    new ControlPool({ socket: h.socket, exec: new ExecRunner(h.socket), min: 1, max: 3, idleTimeoutMs: 50, evictionIntervalMs: 50 }),
  );
  // Three overlapping borrows force three connections.
  await Promise.all([1, 2, 3].map(() => pool.use(() => sleep(50))));
  assert.equal(pool.stats().size, 3);
  await waitFor('evicted down to min', () => pool.stats().size === 1);
  assert.equal(pool.stats().destroyedTotal.idle, 2);
  await pool.close();
  assert.equal(pool.stats().destroyedTotal.shutdown, 1);
  await h.finish();
});
