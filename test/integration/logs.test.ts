// What the server prints: JSON lines when stdout is not a terminal, readable lines on a terminal (LOG_FORMAT
// overrides), and requests at debug only, one line each.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../helpers/redis.ts';
import { startPrivateTmux, tmuxEnv } from '../helpers/tmux.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const SERVER = [process.execPath, '--import', 'tsx', 'src/server.ts'];

interface Running {
  port: number;
  output(): string;
  stop(): Promise<void>;
}

/** src/server.ts in its own process group; with `tty`, under script(1), whose pseudo-terminal is its stdout. */
async function startServer(t: TestContext, env: Record<string, string>, tty = false): Promise<Running> {
  const tmux = await startPrivateTmux();
  t.after(() => tmux.cleanup());
  const port = await freePort();
  const [command, args] = tty ? ['script', ['-qfec', SERVER.join(' '), '/dev/null']] : [SERVER[0]!, SERVER.slice(1)];
  const child: ChildProcess = spawn(command, args, {
    cwd: ROOT,
    env: { ...tmuxEnv(), TMUX_SOCKETS: tmux.socket, PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      return;
    }
    await exited;
  };
  t.after(stop);
  for (let i = 0; i < 150; i++) {
    if (await fetch(`http://127.0.0.1:${port}/livez`).then((r) => r.ok, () => false)) return { port, output: () => output, stop };
    await sleep(200);
  }
  throw new Error(`server did not start: ${output}`);
}

/** Output lines that are not blank, without the terminal's carriage returns. */
const linesOf = (text: string) => text.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() !== '');

async function afterRequests(server: Running): Promise<string[]> {
  assert.equal((await fetch(`http://127.0.0.1:${server.port}/v1/summary`)).status, 200);
  assert.equal((await fetch(`http://127.0.0.1:${server.port}/v1/agents/nope`)).status, 404);
  await fetch(`http://127.0.0.1:${server.port}/v1/summary?access_token=hunter2-secret`);
  await sleep(300);
  await server.stop();
  return linesOf(server.output());
}

test('without a terminal every line is JSON, and at the default level requests are not logged', async (t) => {
  const lines = await afterRequests(await startServer(t, {}));
  assert.ok(lines.length > 0);
  const records = lines.map((l) => JSON.parse(l) as { msg: string; url?: string; req?: unknown });
  assert.ok(records.some((r) => r.msg.startsWith('paneward http://')), 'the start line is there');
  assert.deepEqual(records.filter((r) => r.req !== undefined || r.url !== undefined || /request/.test(r.msg)), [], 'no request lines at info');
});

test('at LOG_LEVEL=debug each request is one line at debug with method, url, status and time', async (t) => {
  const lines = await afterRequests(await startServer(t, { LOG_LEVEL: 'debug' }));
  const records = lines.map((l) => JSON.parse(l) as { level: number; msg: string; method?: string; url?: string; statusCode?: number; ms?: number });
  const requests = records.filter((r) => r.url?.startsWith('/v1/'));
  assert.deepEqual(
    requests.map((r) => [r.level, r.msg, r.method, r.url, r.statusCode]),
    [
      [20, 'request', 'GET', '/v1/summary', 200],
      [20, 'request', 'GET', '/v1/agents/nope', 404],
      [20, 'request', 'GET', '/v1/summary?access_token=[redacted]', 400],
    ],
  );
  assert.doesNotMatch(lines.join('\n'), /hunter2/, 'a token in the query never reaches the log');
  assert.ok(requests.every((r) => typeof r.ms === 'number'));
  assert.ok(!records.some((r) => r.msg === 'incoming request' || r.msg === 'request completed'), "fastify's own request lines are off");
});

test('on a terminal the lines are pretty, not JSON', async (t) => {
  const lines = await afterRequests(await startServer(t, {}, true));
  const start = lines.find((l) => l.includes('paneward http://'));
  assert.ok(start, lines.join('\n'));
  assert.match(start, /INFO/);
  assert.ok(!lines.some((l) => l.startsWith('{')), `no JSON line: ${lines.join('\n')}`);
});

test('LOG_FORMAT=json keeps JSON on a terminal', async (t) => {
  const lines = await afterRequests(await startServer(t, { LOG_FORMAT: 'json' }, true));
  const start = lines.find((l) => l.includes('paneward http://'));
  assert.ok(start);
  assert.equal((JSON.parse(start) as { level: number }).level, 30);
});
