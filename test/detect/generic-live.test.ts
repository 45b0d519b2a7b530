// Issue 14 on a real tmux with the real app: a loop printing `date` stays working, a shell's `read -p` question
// is waiting, an unprofiled full-screen agent is kind `agent` (idle while only its placeholder rotates, crashed
// once its process is gone from under the shell), and pagers, editors and monitors are never agents.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { configWith } from '../../src/config.ts';
import { startPrivateTmux, type PrivateTmux } from '../helpers/tmux.ts';

interface AgentJson {
  id: string;
  paneId: string;
  kind: string;
  state: string;
  detail: { rule: string; evidence: string };
}

let tmux: PrivateTmux;
let app: FastifyInstance;
let scratch: string;
const SHELL = 'env -i HOME=/tmp TERM=xterm-256color PATH=/usr/local/bin:/usr/bin:/bin PS1="dev@box:~$ " bash --norc --noprofile';

/** A full-screen agent nobody profiled: a header with a model name, an input box whose placeholder rotates. */
const FAKE_AGENT = `
  const tips = ['Ask anything', 'Try "explain this repo"', 'Try "/help" for commands', 'Try "fix the failing test"'];
  let i = 0;
  const draw = () => {
    const w = 60, rule = '─'.repeat(w - 2);
    const rows = ['  Nimbus Agent 0.3  ·  model: gpt-5-mini', '', '  Welcome back. What shall we build today?', '', '',
      '╭' + rule + '╮', ('│ > ' + tips[i++ % tips.length]).padEnd(w - 1) + '│', '╰' + rule + '╯', '  ? for help · ctrl+c to exit'];
    process.stdout.write('\\x1b[H\\x1b[2J' + rows.join('\\r\\n') + '\\x1b[7;5H');
  };
  process.stdout.write('\\x1b[?1049h');
  draw();
  setInterval(draw, 1500);
`;

/** Text that mentions a model and draws a prompt line: bait for the agent signature in pagers and editors. */
const BAIT = ['# Notes on gpt-5 and claude-sonnet-4', '', '> Ask anything, it said.', '╭────────────────────────────────╮', '│ > type your message            │', '╰────────────────────────────────╯', ...Array.from({ length: 60 }, (_, i) => `line ${i}: context window notes`)].join('\n');

before(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'paneward-generic-'));
  writeFileSync(join(scratch, 'agent.js'), FAKE_AGENT);
  writeFileSync(join(scratch, 'notes.md'), `${BAIT}\n`);
  execFileSync('git', ['init', '-q', scratch]);
  execFileSync('git', ['-C', scratch, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'Ask gpt-5: > type your message (context window)']);
  tmux = await startPrivateTmux();
  app = await buildApp(configWith({ sockets: [tmux.socket], monitorId: 'generic', pollIntervalMs: 250 }), { logger: false });
  await app.ready();
});

after(async () => {
  await app?.close();
  await tmux?.cleanup();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

async function agentOf(paneId: string): Promise<AgentJson | undefined> {
  const res = await app.inject({ url: '/v1/agents?limit=1000' });
  assert.equal(res.statusCode, 200, res.body);
  return (res.json() as { agents: AgentJson[] }).agents.find((a) => a.paneId === paneId);
}

async function expectAgent(paneId: string, want: { kind?: string; state?: string }, timeoutMs = 20_000): Promise<AgentJson> {
  const end = Date.now() + timeoutMs;
  let last: AgentJson | undefined;
  while (Date.now() < end) {
    last = await agentOf(paneId);
    if (last && (!want.kind || last.kind === want.kind) && (!want.state || last.state === want.state)) return last;
    await sleep(200);
  }
  const screen = await tmux.tmux('capture-pane', '-p', '-t', paneId).catch(() => '');
  assert.fail(`${paneId} never became ${JSON.stringify(want)}; last ${JSON.stringify(last)}\n--- screen ---\n${screen}`);
}

/** Samples the pane's published state every 250 ms for `ms`: the set of states seen. */
async function statesFor(paneId: string, ms: number): Promise<string[]> {
  const seen: string[] = [];
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const a = await agentOf(paneId);
    if (a) seen.push(`${a.kind}/${a.state}`);
    await sleep(250);
  }
  return [...new Set(seen)];
}

async function shellRunning(name: string, line: string): Promise<string> {
  const pane = await tmux.newSession(name, SHELL, { width: 100, height: 30 });
  await sleep(300);
  await tmux.tmux('send-keys', '-t', pane, '-l', line);
  await tmux.tmux('send-keys', '-t', pane, 'Enter');
  return pane;
}

test('a program printing the date every 0.5 s, and a shell loop running `date`, stay working for as long as they print', { timeout: 60_000 }, async () => {
  const program = await tmux.newSession('dates', `node -e 'setInterval(() => console.log(new Date().toString()), 500)'`, { width: 80, height: 24 });
  const typed = await shellRunning('dates-sh', 'while :; do date; sleep 0.5; done');
  await expectAgent(program, { kind: 'program', state: 'working' });
  await expectAgent(typed, { kind: 'shell', state: 'working' });
  await sleep(3000); // the screens are full: from here on every new line scrolls the old ones up
  const [p, s] = await Promise.all([statesFor(program, 20_000), statesFor(typed, 20_000)]);
  assert.deepEqual(p, ['program/working']);
  assert.deepEqual(s, ['shell/working']);
  await tmux.tmux('send-keys', '-t', typed, 'C-c');
  await tmux.tmux('kill-session', '-t', 'dates');
  await expectAgent(typed, { kind: 'shell', state: 'idle' });
});

test('a shell waiting on `read -p "Proceed? (y/n)"` is waiting, and idle again once answered', { timeout: 60_000 }, async () => {
  const pane = await shellRunning('ask', 'read -p "Proceed? (y/n) " answer');
  const asked = await expectAgent(pane, { kind: 'shell', state: 'waiting' });
  assert.equal(asked.detail.rule, 'any.yes-no');
  assert.match(asked.detail.evidence, /Proceed\? \(y\/n\)/);
  await tmux.tmux('send-keys', '-t', pane, 'y', 'Enter');
  await expectAgent(pane, { kind: 'shell', state: 'idle' });
});

test('an unprofiled full-screen agent is kind agent, idle while its placeholder rotates, crashed when its process goes', { timeout: 90_000 }, async () => {
  const pane = await shellRunning('nimbus', `node ${join(scratch, 'agent.js')}`);
  await expectAgent(pane, { kind: 'agent', state: 'idle' });
  const seen = await statesFor(pane, 15_000);
  assert.deepEqual(seen, ['agent/idle'], 'a rotating placeholder is no work');
  const panePid = Number((await tmux.tmux('display-message', '-p', '-t', pane, '#{pane_pid}')).trim());
  const child = execFileSync('pgrep', ['-P', String(panePid)], { encoding: 'utf8' }).trim().split('\n').map(Number);
  for (const pid of child) process.kill(pid, 'SIGKILL');
  const gone = await expectAgent(pane, { kind: 'agent', state: 'crashed' });
  assert.equal(gone.detail.rule, 'process.gone');
});

const NEVER: Array<[string, string]> = [
  ['vim', `vim -u NONE -N ${join('SCRATCH', 'notes.md')}`],
  ['less', `less ${join('SCRATCH', 'notes.md')}`],
  ['top', 'top'],
  ['watch', `watch -n 1 cat ${join('SCRATCH', 'notes.md')}`],
  ['man', 'man ls'],
  ['git log', 'git -C SCRATCH log'],
  ['htop', 'htop'],
];

test('vim, less, top, watch, man, git log and htop are never agents, even showing a model name and a prompt box', { timeout: 120_000 }, async () => {
  const missing = NEVER.map(([name, line]) => [name, line.split(' ')[0]!] as const).filter(([, bin]) => {
    try {
      execFileSync('sh', ['-c', `command -v ${bin}`]);
      return false;
    } catch {
      return true;
    }
  });
  assert.deepEqual(missing, [], 'every program of the list is installed (.ci/run installs them)');
  const panes: Array<[string, string]> = [];
  for (const [name, line] of NEVER) panes.push([name, await shellRunning(`never-${name.replace(' ', '-')}`, line.replaceAll('SCRATCH', scratch))]);
  await sleep(4000);
  const kinds = await Promise.all(panes.map(async ([name, pane]) => [name, (await statesFor(pane, 4000)).join(',')] as const));
  for (const [name, states] of kinds) assert.doesNotMatch(states, /^agent|,agent/, `${name}: ${states}`);
  for (const [name, states] of kinds) assert.match(states, /^shell\//, `${name}: ${states}`);
});
