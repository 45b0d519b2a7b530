// Issue 14's steady test for the screens of agent CLIs without a profile: every captured idle and waiting screen
// under test/fixtures/screens/agent/, replayed in a real tmux pane, holds its state for 60 s of 1 s cycles of the
// real app (zero transitions after the first publication).
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { configWith } from '../../src/config.ts';
import { startPrivateTmux, type PrivateTmux } from '../helpers/tmux.ts';

const WINDOW_MS = 60_000;
const DIR = new URL('../fixtures/screens/agent/', import.meta.url).pathname;
const FILES = readdirSync(DIR).filter((f) => /^(idle|waiting)-\d+\.txt$/.test(f)).sort();

// Draws the screen once, as the CLI left it, and stays (the CLIs' idle and waiting screens hold still).
const REPLAY = `
  const screen = require('node:fs').readFileSync(process.argv[2], 'utf8').replace(/\\n+$/, '');
  process.stdout.write('\\x1b[2J\\x1b[H' + screen.split('\\n').join('\\r\\n'));
  setInterval(() => {}, 1 << 30);
`;

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
const panes = new Map<string, string>();

before(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'paneward-steady-agent-'));
  writeFileSync(join(scratch, 'replay.js'), REPLAY);
  tmux = await startPrivateTmux();
  for (const file of FILES) {
    const lines = readFileSync(join(DIR, file), 'utf8').split('\n');
    const width = Math.max(80, ...lines.map((l) => [...l].length));
    panes.set(file, await tmux.newSession(file.replace('.txt', ''), `exec node ${join(scratch, 'replay.js')} ${join(DIR, file)}`, { width, height: Math.max(24, lines.length) }));
  }
  await sleep(1500);
  app = await buildApp(configWith({ sockets: [tmux.socket], monitorId: 'steady-agent', pollIntervalMs: 1000 }), { logger: false });
  await app.ready();
});

after(async () => {
  await app?.close();
  await tmux?.cleanup();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

test(`every idle and waiting screen of the unprofiled agent CLIs (${FILES.length}) holds its state for 60 s`, { timeout: WINDOW_MS + 60_000 }, async () => {
  assert.ok(FILES.length > 0, 'captured idle and waiting screens exist');
  await sleep(5000);
  const cyclesBefore = app.poller.cyclesRun;
  await sleep(WINDOW_MS);
  assert.ok(app.poller.cyclesRun - cyclesBefore >= 50, 'the loop ran about a cycle a second');
  const res = await app.inject({ url: '/v1/agents?limit=1000' });
  const agents = (res.json() as { agents: AgentJson[] }).agents;
  const wrong: string[] = [];
  for (const [file, paneId] of panes) {
    const agent = agents.find((a) => a.paneId === paneId);
    const expected = file.replace(/-\d+\.txt$/, '');
    if (!agent) {
      wrong.push(`${file}: not listed`);
      continue;
    }
    if (agent.state !== expected) wrong.push(`${file}: ${agent.kind}/${agent.state} by ${agent.detail.rule}`);
    const h = await app.inject({ url: `/v1/agents/${encodeURIComponent(agent.id)}/history?limit=100` });
    const transitions = (h.json() as { transitions: Array<{ from: string | null; to: string }> }).transitions;
    if (transitions.length !== 1) wrong.push(`${file}: ${transitions.map((t) => `${t.from}→${t.to}`).join(', ')}`);
  }
  assert.deepEqual(wrong, [], 'every screen kept its state with zero transitions');
});
