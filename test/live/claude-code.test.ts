// The real Claude Code (tools/agent-clis) in a private tmux, answered by the model stand-in, watched by the real
// app: GET /v1/agents must follow it through its start-up question, working, idle, waiting, and crashed once its
// process is killed.
// Needs `npm install --prefix tools/agent-clis`; without it this test fails on purpose rather than skip.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { configWith } from '../../src/config.ts';
import { startPrivateTmux, type PrivateTmux } from '../helpers/tmux.ts';
import { startStandin, type Standin } from '../standin/server.ts';
import { CLAUDE_KEY, claudeHome, descendants, submitPrompt } from './helpers.ts';

const CLAUDE = resolve(import.meta.dirname, '../../tools/agent-clis/node_modules/.bin/claude');

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
let paneId: string;

/** Polls the API until the pane's agent is in `state`; fails with the last thing it saw. */
async function expectState(state: string, timeoutMs = 30_000): Promise<AgentJson> {
  const end = Date.now() + timeoutMs;
  let last: AgentJson | undefined;
  while (Date.now() < end) {
    const res = await app.inject({ url: '/v1/agents?limit=1000' });
    assert.equal(res.statusCode, 200, res.body);
    last = (res.json() as { agents: AgentJson[] }).agents.find((a) => a.paneId === paneId);
    if (last?.state === state) return last;
    await sleep(250);
  }
  const screen = await tmux.tmux('capture-pane', '-p', '-J', '-t', paneId).catch(() => '');
  assert.fail(`agent never became ${state}; last seen ${JSON.stringify(last)}\n--- screen ---\n${screen}`);
}

before(async () => {
  if (!existsSync(CLAUDE)) {
    throw new Error(`Claude Code is not installed at ${CLAUDE}: run \`npm install --prefix tools/agent-clis\``);
  }
  scratch = mkdtempSync(join(tmpdir(), 'paneward-live-'));
  const { home, work } = claudeHome(scratch);

  standin = await startStandin();
  tmux = await startPrivateTmux();
  const env = [
    `HOME=${home}`,
    `ANTHROPIC_BASE_URL=${standin.url}`,
    `ANTHROPIC_API_KEY=${CLAUDE_KEY}`,
    'DISABLE_AUTOUPDATER=1',
    'CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1',
    'TERM=xterm-256color',
  ].join(' ');
  paneId = await tmux.newSession('agent', `cd ${work} && env ${env} ${CLAUDE}; exec bash --norc --noprofile`, { width: 120, height: 40 });

  app = await buildApp(configWith({ sockets: [tmux.socket], monitorId: 'live', pollIntervalMs: 250 }), { logger: false });
  await app.ready();
});

after(async () => {
  await app?.close();
  await tmux?.cleanup();
  await standin?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

test('a freshly started Claude Code asking about auto mode is waiting, and idle at its prompt once answered', async () => {
  const menu = await expectState('waiting', 60_000);
  assert.equal(menu.kind, 'claude-code');
  assert.match(menu.detail.evidence, /auto mode/i);
  await tmux.tmux('send-keys', '-t', paneId, 'Down');
  await sleep(300);
  await tmux.tmux('send-keys', '-t', paneId, 'Enter'); // "No, keep manual mode": tool calls still ask first
  await expectState('idle');
});

test('Claude Code streaming an answer is working, and idle again when it ends', async () => {
  standin.setMode({ kind: 'slow', seconds: 15 });
  await submitPrompt(tmux, paneId, 'Explain the build in detail', standin);
  await expectState('working');
  await expectState('idle', 45_000);
});

test('Claude Code asking to run a shell command is waiting, and idle once declined', async () => {
  standin.setMode({ kind: 'tool' });
  await submitPrompt(tmux, paneId, 'Create the marker file', standin);
  const agent = await expectState('waiting');
  assert.match(agent.detail.evidence, /proceed|Bash|command/i);
  standin.setMode({ kind: 'quick' });
  await tmux.tmux('send-keys', '-t', paneId, 'Escape');
  await expectState('idle');
});

test('Claude Code killed by a signal is crashed, with the pane back at a shell', async () => {
  const panePid = Number((await tmux.tmux('display-message', '-p', '-t', paneId, '#{pane_pid}')).trim());
  const agentPids = descendants(panePid);
  assert.ok(agentPids.length > 0, 'claude runs under the pane shell');
  for (const pid of agentPids) process.kill(pid, 'SIGKILL');
  await expectState('crashed');
});
