// The real entry point: starts on a private tmux socket, serves, and on SIGTERM finishes, drains its pools
// and exits 0 without leaving tmux -C processes behind.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { freePort } from '../helpers/redis.ts';
import { controlClientPids, startPrivateTmux, tmuxEnv } from '../helpers/tmux.ts';

test('SIGTERM to `npm start` (the README command) stops the loop, drains the pool and exits 0 with no orphaned tmux -C', async (t) => {
  const tmux = await startPrivateTmux();
  t.after(() => tmux.cleanup());
  await tmux.newSession('agents', 'sleep 600');
  const port = await freePort();
  // npm runs the script through sh, which must exec node: a shell in between would not pass the signal on.
  const child = spawn('npm', ['start', '--silent'], {
    env: { ...tmuxEnv(), TMUX_SOCKETS: tmux.socket, PORT: String(port), POLL_INTERVAL_MS: '100', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, so that cleanup reaches a server npm failed to stop
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.resume();
  t.after(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // the group is gone: everything exited
    }
  });

  let ready = false;
  for (let i = 0; i < 100 && !ready; i++) {
    await sleep(200);
    ready = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false);
  }
  assert.ok(ready, `server became ready; stderr: ${stderr}`);
  const body = (await (await fetch(`http://127.0.0.1:${port}/v1/agents`)).json()) as { agents: unknown[] };
  assert.equal(body.agents.length, 1);
  assert.ok(controlClientPids(tmux.socket).length >= 1, 'the pool holds a control-mode connection');

  child.kill('SIGTERM');
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 0, stderr);
  await sleep(100);
  assert.deepEqual(controlClientPids(tmux.socket), [], 'no tmux -C left behind');
  assert.equal(await fetch(`http://127.0.0.1:${port}/livez`).then(() => 'serving', () => 'gone'), 'gone', 'the server exited with npm');
});

test('an invalid setting exits at once with one line naming the variable', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: { ...tmuxEnv(), PORT: 'seventy', TMUX_SOCKETS: '/nonexistent/sock' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 2);
  assert.equal(stderr.trim().split('\n').length, 1);
  assert.match(stderr, /PORT/);
});
