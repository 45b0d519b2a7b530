// Issue 4's "done when": the real app loop, at 1 s cycles for 60 s, publishes no state change for screens that
// only tick: an idle Claude Code screen, a Claude-style spinner with a running timer and token counter, a clock.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { configWith } from '../../src/config.ts';
import { startPrivateTmux, type PrivateTmux } from '../helpers/tmux.ts';

const WINDOW_MS = 60_000;
const IDLE_FIXTURE = new URL('../fixtures/screens/claude-code/idle-4.txt', import.meta.url).pathname;

interface AgentJson {
  id: string;
  paneId: string;
  kind: string;
  state: string;
  detail: { rule: string; evidence: string };
}
interface TransitionJson {
  from: string | null;
  to: string;
  at: string;
  rule: string;
  evidence: string;
}

/**
 * Each pane runs a node script. The two named `claude` are Claude Code to the process tree (an interpreter's
 * script name counts), so the Claude profile, not the activity fallback, classifies them.
 */
const SCRIPTS = {
  // Replays a captured idle screen (its answer quotes "esc to interrupt" and "Do you want to proceed?").
  'idle/claude': `
    const screen = require('node:fs').readFileSync(process.argv[2], 'utf8').replace(/\\n+$/, '');
    process.stdout.write('\\x1b[2J\\x1b[H' + screen.split('\\n').join('\\r\\n'));
    setInterval(() => {}, 1 << 30);
  `,
  // Redraws its spinner line in place every 200 ms with a new glyph, elapsed seconds and token count.
  'spinner/claude': `
    const rule = '─'.repeat(78);
    const glyphs = ['·', '✢', '✳', '✶', '✻', '✽'];
    const rows = ['❯ Explain the build in detail', '', '● Working through it slowly: word0 word1 word2 word3', '', '', '', rule, '❯ ', rule, '  ⏸ manual mode on · esc to interrupt'];
    process.stdout.write('\\x1b[2J\\x1b[H' + rows.join('\\r\\n'));
    const start = Date.now();
    let i = 0;
    setInterval(() => {
      const s = Math.floor((Date.now() - start) / 1000);
      const k = ((i * 37) / 1000).toFixed(1);
      process.stdout.write('\\x1b[5;1H\\x1b[2K' + glyphs[i % glyphs.length] + ' Thinking… (' + s + 's · ↑ ' + k + 'k tokens · esc to interrupt)\\x1b[8;3H');
      i++;
    }, 200);
  `,
  // A watch-style clock: the date redrawn in place every second.
  'clock/clock': `
    const draw = () => process.stdout.write('\\x1b[H\\x1b[2KEvery 1.0s: date\\r\\n\\r\\n\\x1b[2K' + new Date().toString());
    process.stdout.write('\\x1b[2J');
    draw();
    setInterval(draw, 1000);
  `,
} as const;

let tmux: PrivateTmux;
let app: FastifyInstance;
let scratch: string;
const panes: Record<string, string> = {};

async function agents(): Promise<AgentJson[]> {
  const res = await app.inject({ url: '/v1/agents?limit=1000' });
  assert.equal(res.statusCode, 200, res.body);
  return (res.json() as { agents: AgentJson[] }).agents;
}

async function history(id: string): Promise<TransitionJson[]> {
  const res = await app.inject({ url: `/v1/agents/${encodeURIComponent(id)}/history?limit=100` });
  assert.equal(res.statusCode, 200, res.body);
  return (res.json() as { transitions: TransitionJson[] }).transitions;
}

before(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'paneward-steady-'));
  tmux = await startPrivateTmux();
  for (const [path, body] of Object.entries(SCRIPTS)) {
    const file = join(scratch, path);
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, `#!/usr/bin/env node\n${body}`);
    chmodSync(file, 0o755);
  }
  panes.idle = await tmux.newSession('idle', `exec ${join(scratch, 'idle/claude')} ${IDLE_FIXTURE}`, { width: 80, height: 24 });
  panes.spinner = await tmux.newSession('spinner', `exec ${join(scratch, 'spinner/claude')}`, { width: 80, height: 24 });
  panes.clock = await tmux.newSession('clock', `exec ${join(scratch, 'clock/clock')}`, { width: 80, height: 24 });
  await sleep(1000); // let each script draw its first frame
  app = await buildApp(configWith({ sockets: [tmux.socket], monitorId: 'steady', pollIntervalMs: 1000, stuckAfterMs: 120_000, idleAfterMs: 5000 }), { logger: false });
  await app.ready();
});

after(async () => {
  await app?.close();
  await tmux?.cleanup();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

test('an idle Claude screen, a ticking Claude spinner and a clock publish no state change in 60 s of 1 s cycles', { timeout: WINDOW_MS + 30_000 }, async () => {
  const expected: Record<string, { kind: string; state: string }> = {
    idle: { kind: 'claude-code', state: 'idle' },
    spinner: { kind: 'claude-code', state: 'working' },
    clock: { kind: 'program', state: 'idle' },
  };
  // The first published state of every pane, from the first cycles.
  const firstSeen = Date.now();
  let found: AgentJson[] = [];
  while (Date.now() - firstSeen < 10_000) {
    const all = await agents();
    found = Object.values(panes).flatMap((p) => all.filter((a) => a.paneId === p));
    if (found.length === 3) break;
    await sleep(200);
  }
  assert.equal(found.length, 3, `every pane is listed: ${JSON.stringify(found)}`);

  // The spinner would be `stuck` at 120 s (a ticking counter is no progress): the window ends well before.
  const cyclesBefore = app.poller.cyclesRun;
  await sleep(WINDOW_MS);
  const cycles = app.poller.cyclesRun - cyclesBefore;
  assert.ok(cycles >= 55, `the loop ran a cycle a second, not ${cycles} in 60 s`);

  const all = await agents();
  for (const [name, paneId] of Object.entries(panes)) {
    const agent = all.find((a) => a.paneId === paneId);
    assert.ok(agent, `${name} is still listed`);
    assert.deepEqual({ kind: agent.kind, state: agent.state }, expected[name], `${name}: ${agent.detail.rule}: ${agent.detail.evidence}`);
    const transitions = await history(agent.id);
    assert.deepEqual(
      transitions.map((t) => `${t.from}→${t.to} (${t.rule})`),
      [`null→${expected[name]!.state} (${transitions.at(-1)?.rule})`],
      `${name} changed state after it was first published`,
    );
  }
});
