// The `paneward` command against a real server: the app on a free port, watching a private tmux server. The
// commands run as a user runs them, as child processes that only know PANEWARD_URL and API_TOKEN.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { ConfigSchema, configWith } from '../../src/config.ts';
import { freePort } from '../helpers/redis.ts';
import { deadPane, startPrivateTmux, type PrivateTmux } from '../helpers/tmux.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TOKEN = 'cli-test-token-0123456789';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `paneward <args>` from source, with only the environment a user would give it. */
export async function paneward(args: string[], env: Record<string, string> = {}): Promise<Result> {
  const childEnv = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env };
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, env: childEnv });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

test('paneward --help lists the commands; an unknown command is a usage error', async () => {
  const help = await paneward(['--help']);
  assert.equal(help.code, 0);
  for (const name of ['serve', 'status', 'watch', 'explain']) assert.match(help.stdout, new RegExp(`^  ${name} `, 'm'));
  const unknown = await paneward(['frob']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command "frob"/);
});

test('paneward serve --help lists every setting of the config schema with its default, and starts nothing', async () => {
  const { code, stdout } = await paneward(['serve', '--help']);
  assert.equal(code, 0);
  for (const name of Object.keys(ConfigSchema.shape)) assert.match(stdout, new RegExp(`^  ${name} `, 'm'), `${name} is listed`);
  assert.match(stdout, /^ {2}PORT +TCP port of the HTTP API \(default: 7700\)$/m);
  assert.match(stdout, /^ {2}POLL_INTERVAL_MS .*\(default: 1000\)$/m);
});

test('a client with no server to talk to says so in one line and exits 1', async () => {
  const port = await freePort();
  const { code, stdout, stderr } = await paneward(['status'], { PANEWARD_URL: `http://127.0.0.1:${port}` });
  assert.equal(code, 1);
  assert.equal(stdout, '');
  assert.equal(stderr.split('\n').length, 2, 'one line');
  assert.match(stderr, new RegExp(`^paneward: cannot reach http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)`));
  const bad = await paneward(['status', '--state', 'sleepy']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--state sleepy: not one of/);
});

describe('against a running server', () => {
  let tmux: PrivateTmux;
  let app: FastifyInstance;
  let env: Record<string, string>;

  before(async () => {
    tmux = await startPrivateTmux();
    await tmux.newSession('calm', 'sleep 600');
    await deadPane(tmux, 'calm', 'sh -c "exit 3"', '3');
    app = await buildApp(configWith({ sockets: [tmux.socket], apiToken: TOKEN, monitorId: 'cli-test', pollIntervalMs: 3_600_000 }), { logger: false });
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    env = { PANEWARD_URL: address, API_TOKEN: TOKEN };
    const res = await app.inject({ method: 'POST', url: '/v1/monitor/cycle', headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(res.statusCode, 200);
  });
  after(async () => {
    await app?.close();
    await tmux?.cleanup();
  });

  test('status prints a table of every agent, the crashed one first, without colour when not on a terminal', async () => {
    const { code, stdout } = await paneward(['status'], env);
    assert.equal(code, 0);
    const lines = stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^TARGET +KIND +STATE +FOR +EVIDENCE$/);
    assert.equal(lines.length, 3, stdout);
    assert.match(lines[1]!, /^calm:1\.0 +\S+ +crashed +\d+s /, 'the pane that died non-zero needs a human: first');
    assert.match(lines[2]!, /^calm:0\.0 /);
    assert.doesNotMatch(stdout, /\x1b\[/, 'no colour codes into a pipe');
  });

  test('status --state and --json pass the filter to the server and print its records', async () => {
    const { code, stdout } = await paneward(['status', '--state', 'crashed', '--json'], env);
    assert.equal(code, 0);
    const agents = JSON.parse(stdout) as Array<{ target: string; state: string }>;
    assert.deepEqual(
      agents.map((a) => [a.target, a.state]),
      [['calm:1.0', 'crashed']],
    );
  });

  test('without the token the server refuses and the command says which variable to set', async () => {
    const { code, stderr } = await paneward(['status'], { PANEWARD_URL: env.PANEWARD_URL! });
    assert.equal(code, 1);
    assert.match(stderr, /401 from \/v1\/agents: .*\(set API_TOKEN\)/);
  });

  test('explain takes a target and says which rule decided and on what evidence', async () => {
    const { code, stdout } = await paneward(['explain', 'calm:1.0'], env);
    assert.equal(code, 0, stdout);
    assert.match(stdout, /^\S+ in calm:1\.0 \(cli-test-[0-9a-f]+-p\d+\) is crashed for \d+s$/m);
    assert.match(stdout, /^ {2}decided by: \S+ \(confidence [\d.]+\)/m);
    assert.match(stdout, /^ {2}kind: +\S+: /m);
    const missing = await paneward(['explain', 'nowhere:9.9'], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no agent with id or target nowhere:9\.9/);
  });
});
