// Two real agent CLIs with no profile here — pi and grok-cli (tools/agent-clis) — in a private tmux, answered by
// the model stand-in and watched by the real app: they must be kind `agent` and get idle, working, waiting and
// crashed right on the universal rules and the activity measure alone.
// Needs `npm install --prefix tools/agent-clis`; without it this test fails on purpose rather than skip.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { configWith } from '../../src/config.ts';
import { startPrivateTmux, type PrivateTmux } from '../helpers/tmux.ts';
import { startStandin, type Standin } from '../standin/server.ts';
import { descendants, submitPrompt } from './helpers.ts';

const BIN = resolve(import.meta.dirname, '../../tools/agent-clis/node_modules/.bin');

interface AgentJson {
  paneId: string;
  kind: string;
  state: string;
  detail: { rule: string; evidence: string };
}

let tmux: PrivateTmux;
let standin: Standin;
let app: FastifyInstance;
let scratch: string;
const panes: Record<'pi' | 'grok', string> = { pi: '', grok: '' };

async function expectState(pane: string, state: string, timeoutMs = 30_000): Promise<AgentJson> {
  const end = Date.now() + timeoutMs;
  let last: AgentJson | undefined;
  while (Date.now() < end) {
    const res = await app.inject({ url: '/v1/agents?limit=1000' });
    assert.equal(res.statusCode, 200, res.body);
    last = (res.json() as { agents: AgentJson[] }).agents.find((a) => a.paneId === pane);
    if (last?.state === state && last.kind === 'agent') return last;
    await sleep(250);
  }
  const screen = await tmux.tmux('capture-pane', '-p', '-J', '-t', pane).catch(() => '');
  assert.fail(`${pane} never became agent/${state}; last seen ${JSON.stringify(last)}\n--- screen ---\n${screen}`);
}

function homeFor(name: string): { home: string; work: string } {
  const home = join(scratch, name, 'home');
  const work = join(scratch, name, 'project');
  mkdirSync(home, { recursive: true });
  mkdirSync(work, { recursive: true });
  return { home, work };
}

before(async () => {
  for (const cli of ['pi', 'grok']) {
    if (!existsSync(join(BIN, cli))) throw new Error(`${cli} is not installed in ${BIN}: run \`npm install --prefix tools/agent-clis\``);
  }
  scratch = mkdtempSync(join(tmpdir(), 'paneward-unprofiled-'));
  standin = await startStandin();
  tmux = await startPrivateTmux();
  const shell = 'exec bash --norc --noprofile';

  const pi = homeFor('pi');
  mkdirSync(join(pi.home, '.pi/agent'), { recursive: true });
  const provider = { baseUrl: standin.url, api: 'anthropic-messages', apiKey: 'sk-standin', models: [{ id: 'claude-sonnet-4-5' }] };
  writeFileSync(join(pi.home, '.pi/agent/models.json'), JSON.stringify({ providers: { standin: provider } }));
  panes.pi = await tmux.newSession('pi', `cd ${pi.work} && env HOME=${pi.home} TERM=xterm-256color ${BIN}/pi --provider standin --model claude-sonnet-4-5; ${shell}`, { width: 120, height: 40 });

  const grok = homeFor('grok');
  const grokEnv = `HOME=${grok.home} TERM=xterm-256color GROK_API_KEY=xai-standin GROK_BASE_URL=${standin.url}/v1`;
  panes.grok = await tmux.newSession('grok', `cd ${grok.work} && env ${grokEnv} ${BIN}/grok; ${shell}`, { width: 120, height: 40 });

  app = await buildApp(configWith({ sockets: [tmux.socket], monitorId: 'unprofiled', pollIntervalMs: 250 }), { logger: false });
  await app.ready();
});

after(async () => {
  await app?.close();
  await tmux?.cleanup();
  await standin?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

test('pi and grok-cli, which no profile names, are kind agent and idle at their prompts', async () => {
  await expectState(panes.pi, 'idle', 60_000);
  await expectState(panes.grok, 'idle', 60_000);
});

test('pi streaming an answer is working, and idle again when it ends', { timeout: 90_000 }, async () => {
  standin.setMode({ kind: 'slow', seconds: 15 });
  await submitPrompt(tmux, panes.pi, 'Explain the build in detail', standin);
  await expectState(panes.pi, 'working');
  await expectState(panes.pi, 'idle', 45_000);
});

test('grok-cli streaming is working; asking to run a shell command is waiting; idle once declined', { timeout: 120_000 }, async () => {
  standin.setMode({ kind: 'slow', seconds: 15 });
  await submitPrompt(tmux, panes.grok, 'Explain the build in detail', standin);
  await expectState(panes.grok, 'working');
  await expectState(panes.grok, 'idle', 45_000);
  standin.setMode({ kind: 'tool' });
  await submitPrompt(tmux, panes.grok, 'Create the marker file', standin);
  const asked = await expectState(panes.grok, 'waiting');
  assert.match(asked.detail.rule, /^any\./);
  standin.setMode({ kind: 'quick' });
  await tmux.tmux('send-keys', '-t', panes.grok, 'Escape');
  await expectState(panes.grok, 'idle');
});

test('pi killed by a signal is crashed, with the pane back at its shell', async () => {
  const panePid = Number((await tmux.tmux('display-message', '-p', '-t', panes.pi, '#{pane_pid}')).trim());
  const pids = descendants(panePid);
  assert.ok(pids.length > 0, 'pi runs under the pane shell');
  for (const pid of pids) process.kill(pid, 'SIGKILL');
  const gone = await expectState(panes.pi, 'crashed');
  assert.equal(gone.detail.rule, 'process.gone');
});
