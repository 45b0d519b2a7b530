// The real Codex in a private tmux, answered by the model stand-in (its OpenAI Responses API), with its `notify`
// set by `paneward hooks install codex`: the end of a turn runs `paneward hook codex '<json>'`, which makes the
// agent idle from the hook (rule hook.codex.agent-turn-complete), not from the screen.
// Only notify here (hooks.json is removed after install): its events are mapped in test/api/hooks.test.ts.
// Needs `npm install --prefix tools/agent-clis` and a built dist/ (npm install); without them it fails on purpose.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { configWith } from '../../src/config.ts';
import { assertBuilt, paneward } from '../cli/helpers.ts';
import { startPrivateTmux, type PrivateTmux } from '../helpers/tmux.ts';
import { startStandin, type Standin } from '../standin/server.ts';
import { submitPrompt } from './helpers.ts';

const CODEX = resolve(import.meta.dirname, '../../tools/agent-clis/node_modules/.bin/codex');

interface AgentJson {
  paneId: string;
  kind: string;
  state: string;
  detail: { rule: string; evidence: string; source?: string };
}

let tmux: PrivateTmux;
let standin: Standin;
let app: FastifyInstance;
let scratch: string;
let paneId: string;

async function expect(what: string, match: (a: AgentJson) => boolean, timeoutMs = 60_000): Promise<AgentJson> {
  const end = Date.now() + timeoutMs;
  let last: AgentJson | undefined;
  while (Date.now() < end) {
    const res = await app.inject({ url: '/v1/agents?limit=1000' });
    last = (res.json() as { agents: AgentJson[] }).agents.find((a) => a.paneId === paneId);
    if (last && match(last)) return last;
    await sleep(100);
  }
  const screen = await tmux.tmux('capture-pane', '-p', '-J', '-t', paneId).catch(() => '');
  const hooks = (await app.inject({ url: '/metrics' })).body.split('\n').filter((l) => l.startsWith('paneward_hooks_total'));
  const explain = last ? (await app.inject({ url: `/v1/agents/${(last as AgentJson & { id: string }).id}/explain` })).json() : null;
  const fusion = (explain as { trace?: { fusion?: unknown } } | null)?.trace?.fusion;
  assert.fail(`never ${what}; last seen ${JSON.stringify(last)}\n${hooks.join('\n')}\nfusion: ${JSON.stringify(fusion)}\n--- screen ---\n${screen}`);
}

async function expectScreen(pattern: RegExp, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  let screen = '';
  while (Date.now() < end) {
    screen = await tmux.tmux('capture-pane', '-p', '-J', '-t', paneId);
    if (pattern.test(screen)) return;
    await sleep(200);
  }
  assert.fail(`the screen never showed ${pattern}\n${screen}`);
}

before(async () => {
  if (!existsSync(CODEX)) throw new Error(`Codex is not installed at ${CODEX}: run \`npm install --prefix tools/agent-clis\``);
  assertBuilt();
  scratch = mkdtempSync(join(tmpdir(), 'paneward-live-codex-'));
  const home = join(scratch, 'home');
  const codexHome = join(home, '.codex');
  const work = join(scratch, 'project');
  mkdirSync(codexHome, { recursive: true });
  mkdirSync(work);
  standin = await startStandin();
  tmux = await startPrivateTmux();
  app = await buildApp(configWith({ sockets: [tmux.socket], monitorId: 'livecodex', pollIntervalMs: 250 }), { logger: false });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });

  writeFileSync(
    join(codexHome, 'config.toml'),
    [
      'model = "gpt-5-codex"',
      'model_provider = "standin"',
      'approval_policy = "on-request"',
      'sandbox_mode = "read-only"',
      'check_for_update_on_startup = false',
      '',
      '[model_providers.standin]',
      'name = "Standin"',
      `base_url = "${standin.url}/v1"`,
      'env_key = "STANDIN_API_KEY"',
      'wire_api = "responses"',
      'request_max_retries = 1',
      'stream_max_retries = 1',
      '',
      `[projects.${JSON.stringify(work)}]`,
      'trust_level = "trusted"',
      '',
    ].join('\n'),
  );
  const install = await paneward(['hooks', 'install', 'codex'], { env: { HOME: home, CODEX_HOME: codexHome, PANEWARD_URL: url } });
  assert.equal(install.code, 0, install.stdout + install.stderr);
  // The URL goes into the notify line: the agent's environment below has no PANEWARD_URL.
  assert.match(readFileSync(join(codexHome, 'config.toml'), 'utf8'), new RegExp(`^notify = \\[.*"hook", "codex", "--url", "${url.replace(/\./g, '\\.')}"\\]$`, 'm'));
  rmSync(join(codexHome, 'hooks.json'));

  const env = [`HOME=${home}`, `CODEX_HOME=${codexHome}`, 'STANDIN_API_KEY=sk-standin', 'TERM=xterm-256color'].join(' ');
  paneId = await tmux.newSession('agent', `cd ${work} && env ${env} ${CODEX}; exec bash --norc --noprofile`, { width: 120, height: 40 });
  await expectScreen(/^› /m);
});

after(async () => {
  await app?.close();
  // Codex leaves an app-server daemon of its CODEX_HOME running: end the ones under this test's scratch directory.
  const daemons = scratch ? (spawnSync('pgrep', ['-f', scratch], { encoding: 'utf8' }).stdout ?? '') : '';
  for (const pid of daemons.split('\n').filter(Boolean).map(Number)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  const panePid = Number((await tmux?.tmux('display-message', '-p', '-t', paneId, '#{pane_pid}').catch(() => '')) || 0);
  const out = panePid ? spawnSync('pgrep', ['-P', String(panePid)], { encoding: 'utf8' }).stdout ?? '' : '';
  for (const pid of out.split('\n').filter(Boolean).map(Number)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  await tmux?.cleanup();
  await standin?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
});

test("Codex's notify at the end of a turn, through paneward hook codex, makes it idle from the hook", async () => {
  standin.setMode({ kind: 'quick' });
  await submitPrompt(tmux, paneId, 'Summarise the project', standin);
  const agent = await expect('idle from notify', (a) => a.state === 'idle' && a.detail.rule === 'hook.codex.agent-turn-complete');
  assert.equal(agent.kind, 'codex');
  assert.equal(agent.detail.source, 'hook');
  assert.match(agent.detail.evidence, /^turn complete/);
});
