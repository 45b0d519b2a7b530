// `paneward hook <source>`: posts the hook JSON with the pane's tmux variables and the hook token, and never
// blocks or changes the agent: exit 0, nothing on stdout, given up after 1 s whatever the server does.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { before, test } from 'node:test';
import { assertBuilt, paneward } from './helpers.ts';

before(() => assertBuilt());

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A free port with nothing listening on it. */
async function deadUrl(): Promise<string> {
  const server = createServer();
  const url = await listen(server);
  await new Promise((r) => server.close(r));
  return url;
}

const TMUX_ENV = { TMUX_PANE: '%7', TMUX: '/tmp/tmux-1000/default,4242,0' };

test('with paneward down, the hook exits 0 at once and prints nothing', async () => {
  const run = await paneward(['hook', 'claude-code'], { env: { PANEWARD_URL: await deadUrl(), ...TMUX_ENV }, stdin: '{"hook_event_name":"Stop"}' });
  assert.equal(run.code, 0);
  assert.equal(run.stdout, '');
  assert.ok(run.ms <= 1200, `took ${Math.round(run.ms)} ms`);
});

test('with paneward hanging, the hook gives up after 1 s, exits 0 and prints nothing', async (t) => {
  const server = createServer(() => {}); // accepts, never answers
  t.after(() => server.closeAllConnections());
  t.after(() => new Promise((r) => server.close(r)));
  const run = await paneward(['hook', 'codex', '{"type":"agent-turn-complete"}'], { env: { PANEWARD_URL: await listen(server) } });
  assert.equal(run.code, 0);
  assert.equal(run.stdout, '');
  assert.ok(run.ms >= 900 && run.ms <= 1500, `took ${Math.round(run.ms)} ms`);
});

test('a stdin that never closes does not hold the hook past its deadline', async () => {
  const run = await paneward(['hook', 'gemini-cli'], { env: { PANEWARD_URL: await deadUrl() }, stdin: '{"hook_event', holdStdin: true });
  assert.equal(run.code, 0);
  assert.equal(run.stdout, '');
  assert.ok(run.ms <= 1500, `took ${Math.round(run.ms)} ms`);
});

test('the hook posts the JSON unchanged with the pane, the server and the hook token', async (t) => {
  const seen: Array<{ url: string; headers: IncomingMessage['headers']; body: string }> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      seen.push({ url: req.url ?? '', headers: req.headers, body });
      res.writeHead(202, { 'content-type': 'application/json' }).end('{"matched":true,"state":"idle"}');
    });
  });
  t.after(() => new Promise((r) => server.close(r)));
  const env = { PANEWARD_URL: `${await listen(server)}/`, PANEWARD_HOOK_TOKEN: 'hook-token-0123456789abcdef', ...TMUX_ENV };
  const payload = '{"hook_event_name":"PermissionRequest","tool_name":"Bash","extra":{"a":1}}';
  const fromStdin = await paneward(['hook', 'claude-code'], { env, stdin: payload });
  const fromArgv = await paneward(['hook', 'codex', '{"type":"agent-turn-complete","turn-id":"1"}'], { env });
  for (const run of [fromStdin, fromArgv]) {
    assert.equal(run.code, 0);
    assert.equal(run.stdout, '', 'the agent reads nothing from the hook');
  }
  assert.equal(seen.length, 2);
  assert.equal(seen[0]!.url, '/v1/hooks/claude-code');
  assert.equal(seen[0]!.body, payload);
  assert.equal(seen[0]!.headers['x-tmux-pane'], '%7');
  assert.equal(seen[0]!.headers['x-tmux'], '/tmp/tmux-1000/default,4242,0');
  assert.equal(seen[0]!.headers.authorization, 'Bearer hook-token-0123456789abcdef');
  assert.equal(seen[1]!.url, '/v1/hooks/codex');
  assert.equal(seen[1]!.body, '{"type":"agent-turn-complete","turn-id":"1"}');
});

test('--url, as installed with PANEWARD_URL set, is where the hook goes, before the environment’s PANEWARD_URL', async (t) => {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      seen.push(`${req.url} ${body}`);
      res.writeHead(202).end('{}');
    });
  });
  t.after(() => new Promise((r) => server.close(r)));
  const url = await listen(server);
  const env = { PANEWARD_URL: await deadUrl(), ...TMUX_ENV };
  const notify = await paneward(['hook', 'codex', '--url', url, '{"type":"agent-turn-complete"}'], { env });
  const command = await paneward(['hook', 'gemini-cli', '--url', url], { env, stdin: '{"hook_event_name":"AfterAgent"}' });
  const joined = await paneward(['hook', 'generic', `--url=${url}`], { env, stdin: '{"state":"idle"}' });
  for (const run of [notify, command, joined]) assert.deepEqual([run.code, run.stdout], [0, '']);
  assert.deepEqual(seen.sort(), ['/v1/hooks/codex {"type":"agent-turn-complete"}', '/v1/hooks/gemini-cli {"hook_event_name":"AfterAgent"}', '/v1/hooks/generic {"state":"idle"}']);
});

test('an unknown source is refused without failing the agent', async () => {
  const run = await paneward(['hook', 'cursor'], { stdin: '{}' });
  assert.equal(run.code, 0);
  assert.equal(run.stdout, '');
  assert.match(run.stderr, /claude-code, codex, gemini-cli, generic/);
});
