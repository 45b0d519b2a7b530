// The real Claude Code in a private tmux, configured with `paneward hooks install claude-code` into a throwaway
// HOME and answered by the model stand-in, posting its hooks to a real paneward over HTTP: a permission dialog is
// `waiting` from the hook, answering it goes working → idle on Stop, an Esc (no Stop) is idle from the screen
// within the confirmation window, and a 529 is `error`.
// Needs `npm install --prefix tools/agent-clis` and a built dist/ (npm install); without them it fails on purpose.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
import { CLAUDE_KEY, claudeHome, descendants, submitPrompt } from './helpers.ts';

const CLAUDE = resolve(import.meta.dirname, '../../tools/agent-clis/node_modules/.bin/claude');
const CONFIRM_MS = 2000;

interface AgentJson {
  id: string;
  paneId: string;
  kind: string;
  state: string;
  detail: { rule: string; evidence: string; source?: string };
}

interface Transition {
  from: string | null;
  to: string;
  rule: string;
}

let tmux: PrivateTmux;
let standin: Standin;
let app: FastifyInstance;
let scratch: string;
let paneId: string;

async function current(): Promise<AgentJson | undefined> {
  const res = await app.inject({ url: '/v1/agents?limit=1000' });
  return (res.json() as { agents: AgentJson[] }).agents.find((a) => a.paneId === paneId);
}

/** Polls until the pane's agent is in `state` (and `match` holds); fails with the last thing seen and the screen. */
async function expectState(state: string, match: (a: AgentJson) => boolean = () => true, timeoutMs = 30_000): Promise<AgentJson> {
  const end = Date.now() + timeoutMs;
  let last: AgentJson | undefined;
  while (Date.now() < end) {
    last = await current();
    if (last?.state === state && match(last)) return last;
    await sleep(100);
  }
  const screen = await tmux.tmux('capture-pane', '-p', '-J', '-t', paneId).catch(() => '');
  assert.fail(`agent never became ${state}; last seen ${JSON.stringify(last)}\n--- screen ---\n${screen}`);
}

async function history(id: string): Promise<Transition[]> {
  const res = await app.inject({ url: `/v1/agents/${id}/history?limit=50` });
  return ((res.json() as { transitions: Transition[] }).transitions ?? []).slice().reverse();
}

/** Waits until the pane shows `pattern` (keys sent before a dialog is drawn are lost). */
async function expectScreen(pattern: RegExp, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  let screen = '';
  while (Date.now() < end) {
    screen = await tmux.tmux('capture-pane', '-p', '-J', '-t', paneId);
    if (pattern.test(screen)) return;
    await sleep(100);
  }
  assert.fail(`the screen never showed ${pattern}\n${screen}`);
}

before(async () => {
  if (!existsSync(CLAUDE)) throw new Error(`Claude Code is not installed at ${CLAUDE}: run \`npm install --prefix tools/agent-clis\``);
  assertBuilt();
  scratch = mkdtempSync(join(tmpdir(), 'paneward-live-hooks-'));
  const { home, work } = claudeHome(scratch);

  standin = await startStandin();
  tmux = await startPrivateTmux();
  app = await buildApp(
    configWith({ sockets: [tmux.socket], monitorId: 'livehooks', pollIntervalMs: 250, hookConfirmMs: CONFIRM_MS, port: 0 }),
    { logger: false },
  );
  const url = await app.listen({ host: '127.0.0.1', port: 0 });

  const install = await paneward(['hooks', 'install', 'claude-code'], { env: { HOME: home, PANEWARD_URL: url, CLAUDE_CONFIG_DIR: '' } });
  assert.equal(install.code, 0, install.stderr);
  const settings = JSON.parse(readFileSync(join(home, '.claude/settings.json'), 'utf8'));
  assert.equal(settings.permissions.defaultMode, 'default', 'install kept the settings it found');

  const env = [
    `HOME=${home}`,
    `ANTHROPIC_BASE_URL=${standin.url}`,
    `ANTHROPIC_API_KEY=${CLAUDE_KEY}`,
    'CLAUDE_CODE_MAX_RETRIES=0',
    'DISABLE_AUTOUPDATER=1',
    'CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1',
    'TERM=xterm-256color',
  ].join(' ');
  paneId = await tmux.newSession('agent', `cd ${work} && env ${env} ${CLAUDE}; exec bash --norc --noprofile`, { width: 120, height: 40 });

  // A fresh Claude Code asks about auto mode first: keep manual mode, so tool calls ask.
  await expectState('waiting', (a) => /auto mode/i.test(a.detail.evidence), 60_000);
  await tmux.tmux('send-keys', '-t', paneId, 'Down');
  await sleep(300);
  await tmux.tmux('send-keys', '-t', paneId, 'Enter');
  await expectState('idle');
});

/** Every process below `pid`. */
after(async () => {
  await app?.close();
  // Claude Code outlives its tmux server for a while (and keeps writing to its HOME): end it first.
  const panePid = Number((await tmux?.tmux('display-message', '-p', '-t', paneId, '#{pane_pid}').catch(() => '')) || 0);
  for (const pid of panePid ? descendants(panePid) : []) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  await tmux?.cleanup();
  await standin?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 }); // Claude may still be writing as it dies
});

test('a tool call brings the permission dialog: waiting, from the hook', async () => {
  standin.setMode({ kind: 'tool' });
  await submitPrompt(tmux, paneId, 'Create the marker file', standin);
  const agent = await expectState('waiting', (a) => a.detail.source === 'hook');
  assert.equal(agent.kind, 'claude-code');
  assert.match(agent.detail.rule, /^hook\.claude-code\.(PermissionRequest|Notification)$/);
  assert.match(agent.detail.evidence, /Bash|permission/i);
  await expectScreen(/Do you want to proceed/);
});

test('answering the dialog: working while the tool runs, idle on Stop', async () => {
  standin.setMode({ kind: 'quick' });
  await sleep(1000); // the dialog takes keys a moment after it is drawn
  await tmux.tmux('send-keys', '-t', paneId, 'Enter'); // "1. Yes"
  // The tool and the stand-in's follow-up take moments: the working between is read from the history.
  const idle = await expectState('idle', (a) => a.detail.rule === 'hook.claude-code.Stop', 45_000);
  assert.equal(idle.detail.source, 'hook');
  const rules = (await history(idle.id)).map((t) => `${t.to}:${t.rule}`);
  const waiting = rules.findIndex((r) => /^waiting:hook\.claude-code\./.test(r));
  const working = rules.findIndex((r, i) => i > waiting && /^working:hook\.claude-code\./.test(r));
  const stopped = rules.findIndex((r, i) => i > working && r === 'idle:hook.claude-code.Stop');
  assert.ok(waiting >= 0 && working > waiting && stopped > working, `history: ${rules.join(' → ')}`);
});

test('an interrupt with Esc sends no Stop: the screen brings idle within the confirmation window', async () => {
  standin.setMode({ kind: 'slow', seconds: 60 });
  await submitPrompt(tmux, paneId, 'Explain the build in great detail', standin);
  await expectState('working', (a) => a.detail.rule === 'hook.claude-code.UserPromptSubmit');
  await sleep(1000);
  await tmux.tmux('send-keys', '-t', paneId, 'Escape');
  const pressed = Date.now();
  const idle = await expectState('idle', () => true, 20_000);
  assert.equal(idle.detail.source, 'screen');
  assert.ok(Date.now() - pressed < CONFIRM_MS + 5000, `idle after ${Date.now() - pressed} ms`);
  const explain = (await app.inject({ url: `/v1/agents/${idle.id}/explain` })).json() as {
    trace: { fusion: { winner: string; overridden: { signal: { rule: string }; why: string } | null } };
  };
  assert.equal(explain.trace.fusion.winner, 'screen');
  assert.equal(explain.trace.fusion.overridden?.signal.rule, 'hook.claude-code.UserPromptSubmit');
});

test('an overloaded API (529) ends the turn in error, from StopFailure', async () => {
  standin.setMode({ kind: 'overloaded' });
  await submitPrompt(tmux, paneId, 'Try once more', standin);
  const agent = await expectState('error', () => true, 60_000);
  assert.equal(agent.detail.rule, 'hook.claude-code.StopFailure');
  assert.match(agent.detail.evidence, /^turn failed: /);
  assert.equal(agent.detail.source, 'hook');
});
