// Issue 11 defect 4: `exited` means exit status 0 and only that. A pane tmux lists as dead before it has the
// status is `unknown` (rule pane.dead-status-unknown) until tmux has it — the tmux client re-reads every pane's
// details between cycles — and then crashed or exited by it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { configWith } from '../../src/config.ts';
import { createDetector } from '../../src/detect/index.ts';
import { startPrivateTmux, type PrivateTmux } from '../helpers/tmux.ts';
import { pane } from './helpers.ts';

test('a dead pane without an exit status is unknown, then crashed once tmux reports status 3; never exited', () => {
  const detector = createDetector({ processes: () => [] });
  const base = { id: 'p', screen: 'done\n', screenChangedAt: 0 };
  const first = detector.classify({ ...base, pane: pane({ dead: true, deadStatus: null, currentCommand: 'sh' }), now: 1000 });
  assert.equal(first.state, 'unknown');
  assert.equal(first.detail.rule, 'pane.dead-status-unknown');
  assert.match(first.detail.evidence, /not reported its exit status/);
  const later = detector.classify({ ...base, pane: pane({ dead: true, deadStatus: 3, currentCommand: 'sh' }), now: 2000 });
  assert.equal(later.state, 'crashed');
  const clean = detector.classify({ ...base, id: 'q', pane: pane({ dead: true, deadStatus: 0, currentCommand: 'sh' }), now: 1000 });
  assert.equal(clean.state, 'exited');
});

test('without a status, tmux\'s own "Pane is dead (status 3)" line on the screen says crashed', () => {
  const detector = createDetector({ processes: () => [] });
  const c = detector.classify({
    id: 'p',
    pane: pane({ dead: true, deadStatus: null, currentCommand: 'sh' }),
    screen: 'boom\n\nPane is dead (status 3, Sun Dec  6 01:00:00 2026)\n',
    screenChangedAt: 0,
    now: 1000,
  });
  assert.equal(c.state, 'crashed');
  assert.equal(c.detail.rule, 'tmux.pane-dead-failed');
});

// ---- The real app on a real tmux ----

const PANES = 150;
// Closes the pane's terminal and lives on for 2 s ignoring SIGHUP: tmux lists the pane dead with no status until
// the process exits 3 (a reproducible form of the race where tmux lists a pane before reaping it).
const LATE_STATUS = `sh -c 'trap "" HUP; exec >&- 2>&- <&-; sleep 2; exit 3'`;

let tmux: PrivateTmux;
let app: FastifyInstance;

interface AgentJson {
  paneId: string;
  state: string;
  detail: { rule: string; evidence: string };
}

before(async () => {
  tmux = await startPrivateTmux();
  await tmux.newSession('base', 'sleep 100000', { width: 80, height: 24 });
  await tmux.tmux('set-option', '-g', 'remain-on-exit', 'on');
  app = await buildApp(configWith({ sockets: [tmux.socket], monitorId: 'dead', pollIntervalMs: 250 }), { logger: false });
  await app.ready();
});

after(async () => {
  await app?.close();
  await tmux?.cleanup();
});

async function agents(): Promise<AgentJson[]> {
  const res = await app.inject({ url: '/v1/agents?limit=1000' });
  assert.equal(res.statusCode, 200, res.body);
  return (res.json() as { agents: AgentJson[] }).agents;
}

test(`${PANES} real panes exiting 3 (and 3 whose status comes late) are never exited, and all end crashed`, { timeout: 180_000 }, async () => {
  const quick: string[] = [];
  for (let i = 0; i < PANES; i++) quick.push((await tmux.tmux('new-window', '-d', '-P', '-F', '#{pane_id}', '-t', 'base:', "sh -c 'exit 3'")).trim());
  const late: string[] = [];
  for (let i = 0; i < 3; i++) late.push((await tmux.tmux('new-window', '-d', '-P', '-F', '#{pane_id}', '-t', 'base:', LATE_STATUS)).trim());
  const watched = new Set([...late, ...quick]);
  const everExited: string[] = [];
  const seenUnknown = new Set<string>();
  const end = Date.now() + 120_000;
  let last: AgentJson[] = [];
  while (Date.now() < end) {
    last = (await agents()).filter((a) => watched.has(a.paneId));
    for (const a of last) {
      if (a.state === 'exited') everExited.push(`${a.paneId}: ${a.detail.rule} ${a.detail.evidence}`);
      if (a.state === 'unknown') seenUnknown.add(a.paneId);
    }
    if (last.length === watched.size && last.every((a) => a.state === 'crashed')) break;
    await sleep(100);
  }
  assert.deepEqual(everExited, [], 'no pane that exited 3 was ever reported exited');
  const notCrashed = last.filter((a) => a.state !== 'crashed').map((a) => `${a.paneId} ${a.state} ${a.detail.rule}`);
  assert.equal(last.length, watched.size, 'every pane is listed');
  assert.deepEqual(notCrashed, [], 'every pane ends crashed once tmux has its status');
  assert.ok(late.some((p) => seenUnknown.has(p)), 'a pane whose status came late was seen as unknown meanwhile');
  // The status comes from tmux's pane_dead_status (re-read by the refresh between cycles), or, where tmux 3.3a never
  // fills that in, from the "Pane is dead (status 3, …)" line tmux itself draws on the pane.
  const byStatus = last
    .filter((a) => !/exited with status 3|^Pane is dead \(status 3\b/.test(a.detail.evidence))
    .map((a) => `${a.paneId} ${a.detail.rule}: ${a.detail.evidence}`);
  assert.deepEqual(byStatus, [], "every pane's status 3 was read from tmux");
});
