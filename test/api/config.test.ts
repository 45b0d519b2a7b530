// Configuration from the environment: defaults, one-line errors naming the variable, and the refusal to
// listen publicly without a token.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from '../../src/config.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NO_SOCKET = '/nonexistent/paneward-config-test.sock';

function configError(env: NodeJS.ProcessEnv): Error {
  try {
    loadConfig(env);
  } catch (err) {
    return err as Error;
  }
  assert.fail(`loadConfig(${JSON.stringify(env)}) did not throw`);
}

test('PORT=abc throws one line naming PORT', () => {
  const err = configError({ PORT: 'abc', TMUX_SOCKETS: NO_SOCKET });
  assert.ok(err instanceof ConfigError);
  assert.match(err.message, /\bPORT\b/);
  assert.match(err.message, /abc/);
  assert.match(err.message, /a whole number from 0 to 65535/, 'says what is allowed');
  assert.doesNotMatch(err.message, /\n/);
});

test('REDIS_URL must be redis:// or rediss:// with a host; neither it nor API_TOKEN is repeated in the error', () => {
  for (const url of ['http://localhost:6379', 'redis://', 'redis://:hunter2hunter2@']) {
    const err = configError({ REDIS_URL: url, TMUX_SOCKETS: NO_SOCKET });
    assert.equal(err.message, 'invalid REDIS_URL: a redis:// or rediss:// URL with a host, e.g. redis://127.0.0.1:6379', url);
  }
  assert.deepEqual(loadConfig({ REDIS_URL: 'rediss://user:pw@cache.internal:6380/2', TMUX_SOCKETS: NO_SOCKET }).redis, {
    type: 'standalone',
    url: 'rediss://user:pw@cache.internal:6380/2',
  });
  const token = configError({ API_TOKEN: 'short-secret', TMUX_SOCKETS: NO_SOCKET });
  assert.equal(token.message, 'invalid API_TOKEN: at least 16 characters');
});

test('REDIS_CLUSTER_NODES alone selects a Cluster, REDIS_SENTINELS with REDIS_SENTINEL_NAME selects Sentinels', () => {
  const cluster = loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:7000, redis-b:7001,[::1]:7002', TMUX_SOCKETS: NO_SOCKET });
  assert.deepEqual(cluster.redis, {
    type: 'cluster',
    nodes: [
      { host: '10.0.0.1', port: 7000 },
      { host: 'redis-b', port: 7001 },
      { host: '::1', port: 7002 },
    ],
    password: undefined,
  });
  const sentinel = loadConfig({ REDIS_SENTINELS: 's1:26379,s2:26379', REDIS_SENTINEL_NAME: 'mymaster', REDIS_PASSWORD: 'pw', TMUX_SOCKETS: NO_SOCKET });
  assert.deepEqual(sentinel.redis, {
    type: 'sentinel',
    sentinels: [
      { host: 's1', port: 26379 },
      { host: 's2', port: 26379 },
    ],
    name: 'mymaster',
    password: 'pw',
  });
});

test('Redis set-ups that cannot work are refused with the variable named', () => {
  assert.equal(
    configError({ REDIS_CLUSTER_NODES: 'redis-a', TMUX_SOCKETS: NO_SOCKET }).message,
    'invalid REDIS_CLUSTER_NODES="redis-a": "redis-a" is not host:port: a comma-separated list of host:port',
  );
  assert.equal(
    configError({ REDIS_CLUSTER_NODES: 'a:1', REDIS_URL: 'redis://b:2', TMUX_SOCKETS: NO_SOCKET }).message,
    'invalid REDIS_CLUSTER_NODES="a:1": set only one of REDIS_URL, REDIS_CLUSTER_NODES and REDIS_SENTINELS',
  );
  assert.equal(
    configError({ REDIS_SENTINELS: 's1:26379', TMUX_SOCKETS: NO_SOCKET }).message,
    'invalid REDIS_SENTINEL_NAME="": REDIS_SENTINELS needs REDIS_SENTINEL_NAME, the name of the master they watch',
  );
  const secret = configError({ REDIS_PASSWORD: 'hunter2', REDIS_CLUSTER_NODES: 'x', TMUX_SOCKETS: NO_SOCKET });
  assert.doesNotMatch(secret.message, /hunter2/);
});

test('TMUX_SOCKETS with no path in it is refused rather than watching nothing', () => {
  for (const value of [',', ' , ']) assert.match(configError({ TMUX_SOCKETS: value }).message, /^invalid TMUX_SOCKETS=.*: no socket path in it$/);
});

test('out-of-range numbers and unknown enum values name their variable', () => {
  for (const [name, value] of [
    ['PORT', '70000'],
    ['POLL_INTERVAL_MS', '10'],
    ['TMUX_STRATEGY', 'fast'],
    ['LOG_LEVEL', 'loud'],
    ['API_TOKEN', 'short'],
    ['METRICS_AUTH', 'maybe'],
    ['MONITOR_ID', 'has space'],
  ] as const) {
    const err = configError({ [name]: value, TMUX_SOCKETS: NO_SOCKET });
    assert.ok(err instanceof ConfigError, name);
    assert.match(err.message, new RegExp(`\\b${name}\\b`), err.message);
    assert.doesNotMatch(err.message, /\n/);
  }
});

test('POOL_MIN larger than POOL_MAX is rejected naming POOL_MIN', () => {
  const err = configError({ POOL_MIN: '5', POOL_MAX: '2', TMUX_SOCKETS: NO_SOCKET });
  assert.ok(err instanceof ConfigError);
  assert.match(err.message, /POOL_MIN/);
  assert.match(err.message, /POOL_MAX/);
  assert.doesNotMatch(err.message, /\n/);
  assert.equal(loadConfig({ POOL_MIN: '2', POOL_MAX: '2', TMUX_SOCKETS: NO_SOCKET }).poolMin, 2);
});

test('defaults: HOST 127.0.0.1, PORT 7700, strategy pool, poll every 1000 ms', () => {
  const c = loadConfig({ TMUX_SOCKETS: NO_SOCKET });
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.port, 7700);
  assert.equal(c.strategy, 'pool');
  assert.equal(c.pollIntervalMs, 1000);
  assert.equal(c.apiToken, undefined);
  assert.equal(c.metricsAuth, false);
  assert.equal(c.redis, undefined);
  assert.ok(c.poolMin <= c.poolMax);
});

test('an empty or blank variable counts as unset', () => {
  const c = loadConfig({ PORT: ' ', HOST: '', TMUX_SOCKETS: NO_SOCKET });
  assert.equal(c.port, 7700);
  assert.equal(c.host, '127.0.0.1');
});

test('the default socket is $TMUX_TMPDIR/tmux-<uid>/default, or under /tmp without TMUX_TMPDIR', () => {
  const uid = process.getuid?.() ?? 0;
  assert.deepEqual(loadConfig({ TMUX_TMPDIR: '/var/tmux-here' }).sockets, [`/var/tmux-here/tmux-${uid}/default`]);
  assert.deepEqual(loadConfig({}).sockets, [`/tmp/tmux-${uid}/default`]);
});

test('TMUX_SOCKETS is a comma-separated list, trimmed and deduplicated', () => {
  assert.deepEqual(loadConfig({ TMUX_SOCKETS: '/a/s, /b/s,/a/s,' }).sockets, ['/a/s', '/b/s']);
});

test('METRICS_AUTH=false means false', () => {
  assert.equal(loadConfig({ METRICS_AUTH: 'false', TMUX_SOCKETS: NO_SOCKET }).metricsAuth, false);
  assert.equal(loadConfig({ METRICS_AUTH: 'true', TMUX_SOCKETS: NO_SOCKET }).metricsAuth, true);
});

/** Start src/server.ts with `env` (plus ours, minus API_TOKEN/REDIS_URL); resolves when it exits or after 20 s. */
async function runServer(env: NodeJS.ProcessEnv): Promise<{ code: number | null; timedOut: boolean; stderr: string }> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, TMUX_SOCKETS: NO_SOCKET, LOG_LEVEL: 'silent' };
  delete childEnv.API_TOKEN;
  delete childEnv.REDIS_URL;
  delete childEnv.NODE_OPTIONS;
  Object.assign(childEnv, env);
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: ROOT,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdout.resume();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, 20_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, timedOut, stderr };
}

test('the server refuses HOST=0.0.0.0 without API_TOKEN: non-zero exit and one clear stderr line', { timeout: 30_000 }, async () => {
  const { code, timedOut, stderr } = await runServer({ HOST: '0.0.0.0', PORT: '0' });
  assert.equal(timedOut, false, `the server was still running after 20 s; stderr: ${stderr}`);
  assert.notEqual(code, 0);
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one stderr line, got:\n${stderr}`);
  assert.match(lines[0]!, /HOST/);
  assert.match(lines[0]!, /API_TOKEN/);
});

test('the server refuses PORT=abc with one stderr line naming PORT', { timeout: 30_000 }, async () => {
  const { code, timedOut, stderr } = await runServer({ PORT: 'abc' });
  assert.equal(timedOut, false, `the server was still running after 20 s; stderr: ${stderr}`);
  assert.notEqual(code, 0);
  assert.equal(stderr.trim().split('\n').length, 1, stderr);
  assert.match(stderr, /PORT/);
});
