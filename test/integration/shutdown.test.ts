// The real entry point: starts on a private tmux socket, serves, and on SIGTERM finishes, drains its pools
// and exits 0 without leaving tmux -C processes behind.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { test, type TestContext } from 'node:test';
import { freePort, startPrivateRedis } from '../helpers/redis.ts';
import { controlClientPids, startPrivateTmux, tmuxEnv } from '../helpers/tmux.ts';

/**
 * `npm start` (the README command) in its own process group, so that cleanup reaches a server npm failed to stop;
 * resolves once `readyPath` answers 200. npm runs the script through sh, which must exec node: a shell in between
 * would not pass signals on.
 */
async function npmStart(t: TestContext, env: NodeJS.ProcessEnv, readyPath: string) {
  const port = await freePort();
  const child = spawn('npm', ['start', '--silent'], {
    env: { ...tmuxEnv(), PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
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
    ready = await fetch(`http://127.0.0.1:${port}${readyPath}`).then((r) => r.ok, () => false);
  }
  assert.ok(ready, `server answered ${readyPath}; output: ${output}`);
  return { child, port, output: () => output };
}

test('SIGTERM to `npm start` (the README command) stops the loop, drains the pool and exits 0 with no orphaned tmux -C', async (t) => {
  const tmux = await startPrivateTmux();
  t.after(() => tmux.cleanup());
  await tmux.newSession('agents', 'sleep 600');
  const { child, port, output } = await npmStart(t, { TMUX_SOCKETS: tmux.socket, POLL_INTERVAL_MS: '100', LOG_LEVEL: 'warn' }, '/readyz');
  const body = (await (await fetch(`http://127.0.0.1:${port}/v1/agents`)).json()) as { agents: unknown[] };
  assert.equal(body.agents.length, 1);
  assert.ok(controlClientPids(tmux.socket).length >= 1, 'the pool holds a control-mode connection');

  child.kill('SIGTERM');
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 0, output());
  await sleep(100);
  assert.deepEqual(controlClientPids(tmux.socket), [], 'no tmux -C left behind');
  assert.equal(await fetch(`http://127.0.0.1:${port}/livez`).then(() => 'serving', () => 'gone'), 'gone', 'the server exited with npm');
});

test('the same stop signal twice at once (Ctrl+C under npm: the terminal and npm both send it) is one graceful shutdown', { timeout: 60_000 }, async (t) => {
  const tmux = await startPrivateTmux();
  t.after(() => tmux.cleanup());
  await tmux.newSession('agents', 'sleep 600');
  // A Redis that does not answer makes the shutdown take a while (closing its connection waits a command timeout),
  // so the second signal lands in the middle of it.
  const redis = await startPrivateRedis();
  t.after(() => redis.cleanup());
  redis.pause();
  const { child, output } = await npmStart(t, { TMUX_SOCKETS: tmux.socket, REDIS_URL: redis.url, LOG_LEVEL: 'info' }, '/livez');
  const server = Number(execFileSync('pgrep', ['-P', String(child.pid)], { encoding: 'utf8' }).trim().split('\n')[0]);
  assert.ok(server > 0, 'npm runs node directly');

  process.kill(server, 'SIGINT');
  await sleep(50);
  process.kill(child.pid!, 'SIGINT'); // npm passes it on
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.doesNotMatch(output(), /second SIGINT/, output());
  assert.equal(code, 0, output());
  assert.deepEqual(controlClientPids(tmux.socket), [], 'no tmux -C left behind');
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

test('paneward in a tmux pane whose server is killed (the terminal hangs up) exits instead of living on', { timeout: 60_000 }, async (t) => {
  const tmux = await startPrivateTmux();
  t.after(() => tmux.cleanup());
  const port = await freePort();
  const root = new URL('../../', import.meta.url).pathname;
  const pane = await tmux.newSession(
    'host',
    `cd ${root} && TMUX_SOCKETS=${tmux.socket} PORT=${port} LOG_LEVEL=warn exec ${process.execPath} --import tsx src/server.ts`,
  );
  const pid = Number((await tmux.tmux('display-message', '-p', '-t', pane, '#{pane_pid}')).trim());
  t.after(() => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone, as it should be
    }
  });
  let ready = false;
  for (let i = 0; i < 150 && !ready; i++) {
    await sleep(200);
    ready = await fetch(`http://127.0.0.1:${port}/livez`).then((r) => r.ok, () => false);
  }
  assert.ok(ready, 'the server in the pane answered');

  await tmux.kill();
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  for (let i = 0; i < 150 && alive(); i++) await sleep(100);
  assert.equal(alive(), false, `pid ${pid} still runs 15 s after its terminal hung up`);
});
