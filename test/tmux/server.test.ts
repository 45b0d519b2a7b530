// TmuxServer end to end on private tmux servers: queries, odd names, strategies, fallback and recovery.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTmuxServer, createTmuxServers, defaultSocketPath, type PaneInfo, type Strategy } from '../../src/tmux/index.ts';
import { TmuxServerClient } from '../../src/tmux/server.ts';
import { controlClientPids, deadPane } from '../helpers/tmux.ts';
import { flakyTmuxBinary, lines, privateTmux, sleep } from './harness.ts';
import { waitFor } from '../helpers/wait.ts';

const FAST_BACKOFF = { backoffInitialMs: 20, backoffMaxMs: 50 };

for (const strategy of ['pool', 'exec'] as const) {
  test(`listPanes via ${strategy} fills every field, even for names with tabs, |, quotes, ; and non-ASCII`, async (t) => {
    const h = await privateTmux(t);
    const name = `a b|c'd"e;f 日本`;
    const pane = await h.newSession(name, 'sleep 1000', { width: 91, height: 17 });
    const windowName = `w\tx|y;'z"🙂 #{pid}`;
    await h.tmux('rename-window', '-t', '@0', '--', windowName.replaceAll('#', '##'));
    await deadPane(h, '$0', 'sleep 0.2; exit 3', '3');
    const server = h.track(createTmuxServer({ socket: h.socket, strategy }));
    const panes = await server.listPanes();
    const serverPid = Number((await h.tmux('display-message', '-p', '#{pid}')).trim());
    assert.equal(panes.length, 2);
    const first = panes.find((p) => p.paneId === pane)!;
    assert.equal(first.socket, h.socket);
    assert.equal(first.serverPid, serverPid);
    assert.equal(first.sessionId, '$0');
    assert.equal(first.sessionName, name);
    assert.equal(first.windowId, '@0');
    assert.equal(first.windowName, windowName.replace('\t', '\\t'));
    assert.equal(first.currentCommand, 'sleep');
    assert.ok(first.panePid > 0);
    assert.equal(first.dead, false);
    assert.equal(first.deadStatus, null);
    assert.equal(first.width, 91);
    assert.equal(first.height, 17);
    assert.equal(first.active, true);
    assert.ok(Math.abs(first.windowActivity - Date.now() / 1000) < 120);
    const dead = panes.find((p) => p.dead)!;
    assert.equal(dead.deadStatus, 3);
    assert.equal(server.status().effectiveStrategy, strategy);
    assert.equal(server.status().up, true);
    await h.finish();
  });

  test(`capturePanes via ${strategy} returns each pane's screen and leaves out vanished panes`, async (t) => {
    const h = await privateTmux(t);
    const a = await h.newSession('a', "printf 'alpha\\n%%end 1 1 1\\n'; exec sleep 1000");
    const b = await h.newSession('b', "printf 'beta\\n'; exec sleep 1000");
    await waitFor('the second pane to show beta', async () => (await h.tmux('capture-pane', '-p', '-t', b)).includes('beta'));
    const server = h.track(createTmuxServer({ socket: h.socket, strategy }));
    const texts = await server.capturePanes([a, b, '%77', 'not-an-id']);
    assert.deepEqual([...texts.keys()].sort(), [a, b].sort());
    assert.equal(texts.get(a), 'alpha\n%end 1 1 1');
    assert.equal(texts.get(b), 'beta');
    await h.finish();
  });

  test(`listAndCapture via ${strategy} lists every pane and brings the screens asked along, on the first list and later ones`, async (t) => {
    const h = await privateTmux(t);
    const a = await h.newSession('a', "printf 'alpha\\n%%begin 1 1 1\\n'; exec sleep 1000");
    const b = await h.newSession('b', "printf 'beta\\n'; exec sleep 1000");
    await waitFor('the second pane to show beta', async () => (await h.tmux('capture-pane', '-p', '-t', b)).includes('beta'));
    const server = h.track(new TmuxServerClient({ socket: h.socket, strategy }));
    for (const round of ['first', 'second']) {
      const { panes, screens } = await server.listAndCapture([a, '%77', 'not-an-id', a]);
      assert.deepEqual(panes.map((p) => p.paneId).sort(), [a, b].sort(), `${round} list`);
      assert.deepEqual(await screens, new Map([[a, 'alpha\n%begin 1 1 1']]), `${round} list: only the pane asked that exists`);
    }
    if (strategy === 'pool') assert.equal(server.lastList?.everything, false, 'the second list went the short way');
    const none = await server.listAndCapture([]);
    assert.equal(none.panes.length, 2);
    assert.deepEqual(await none.screens, new Map());
    await h.finish();
  });
}

test('no server: listPanes resolves [] and status says why; no process or busy loop is left', async (t) => {
  const h = await privateTmux(t);
  const wrapper = flakyTmuxBinary(h.dir);
  const server = h.track(createTmuxServer({ socket: h.socket, strategy: 'pool', tmuxBinary: wrapper.binary }));
  assert.deepEqual(await server.listPanes(), []);
  assert.deepEqual(await server.capturePanes(['%0']), new Map());
  const status = server.status();
  assert.equal(status.up, false);
  assert.match(status.reason ?? '', /no server running on/);
  const callsAfterQueries = readFileSync(wrapper.calls, 'utf8').split('\n').length;
  await new Promise((resolve) => setTimeout(resolve, 500));
  const callsLater = readFileSync(wrapper.calls, 'utf8').split('\n').length;
  assert.ok(callsLater - callsAfterQueries <= 2, `tmux was called ${callsLater - callsAfterQueries} times while idle`);
  await h.finish();
});

test('a server with no sessions: listPanes resolves [] with status up (documented choice)', async (t) => {
  const h = await privateTmux(t);
  await h.newSession('tmp', 'sleep 1000');
  await h.tmux('set-option', '-g', 'exit-empty', 'off');
  await h.tmux('kill-session', '-t', '$0');
  const server = h.track(createTmuxServer({ socket: h.socket, strategy: 'pool' }));
  assert.deepEqual(await server.listPanes(), []);
  assert.equal(server.status().up, true);
  assert.equal(server.status().effectiveStrategy, 'exec');
  await h.finish();
});

test('when control mode cannot connect the pool falls back to exec, and returns once it can', async (t) => {
  const h = await privateTmux(t);
  await h.newSession('s', 'sleep 1000');
  const wrapper = flakyTmuxBinary(h.dir);
  writeFileSync(wrapper.refuseFlag, '');
  const server = h.track(createTmuxServer({ socket: h.socket, strategy: 'pool', tmuxBinary: wrapper.binary, pool: FAST_BACKOFF }));
  assert.equal((await server.listPanes()).length, 1);
  assert.equal(server.status().effectiveStrategy, 'exec');
  assert.equal(server.status().up, true);
  rmSync(wrapper.refuseFlag);
  await waitFor('queries went back to the pool', async () => (await server.listPanes()).length === 1 && server.status().effectiveStrategy === 'pool');
  await h.finish();
});

test('server killed mid-batch: the query ends with an empty result, and the pool recovers when a server is back', async (t) => {
  const h = await privateTmux(t);
  const panes: string[] = [await h.newSession('s', 'seq 1 40; exec sleep 1000')];
  for (let i = 0; i < 30; i++) panes.push((await h.tmux('new-window', '-d', '-P', '-F', '#{pane_id}', 'seq 1 40; exec sleep 1000')).trim());
  const server = h.track(createTmuxServer({ socket: h.socket, strategy: 'pool', commandTimeoutMs: 120_000, pool: FAST_BACKOFF }));
  await server.listPanes();
  const many = Array.from({ length: 100 }, () => panes).flat();
  const capture = server.capturePanes([...new Set(many)].concat(many.map((_, i) => `%${1000 + i}`)));
  await h.kill();
  assert.ok((await capture).size <= panes.length);
  assert.deepEqual(await server.listPanes(), []);
  assert.equal(server.status().up, false);
  await h.newSession('again', 'sleep 1000');
  await waitFor('queries to be served by the pool again', async () => (await server.listPanes()).length === 1 && server.status().effectiveStrategy === 'pool');
  assert.ok((server.poolStats()?.destroyedTotal.dead ?? 0) >= 1);
  await h.finish();
});

test('killing the session a pool connection is attached to: the pool replaces the connection', async (t) => {
  const h = await privateTmux(t);
  await h.newSession('a', 'sleep 1000');
  await h.newSession('b', 'sleep 1000');
  const server = h.track(createTmuxServer({ socket: h.socket, strategy: 'pool', poolMin: 1, poolMax: 1 }));
  await server.listPanes();
  const [before] = controlClientPids(h.socket);
  await h.tmux('kill-session', '-t', '$0');
  await waitFor('the client noticed and exited', () => !controlClientPids(h.socket).includes(before!));
  const panes = await server.listPanes();
  assert.deepEqual(panes.map((p) => p.sessionName), ['b']);
  assert.equal(server.status().effectiveStrategy, 'pool');
  const stats = server.poolStats()!;
  assert.equal(stats.destroyedTotal.dead, 1);
  assert.equal(stats.createdTotal, 2);
  await h.finish();
});

test('a wedged (SIGSTOPped) server: commands time out, then the connection is replaced', async (t) => {
  const h = await privateTmux(t);
  await h.newSession('s', 'sleep 1000');
  const serverPid = Number((await h.tmux('display-message', '-p', '#{pid}')).trim());
  const server = h.track(createTmuxServer({ socket: h.socket, strategy: 'pool', commandTimeoutMs: 300, pool: FAST_BACKOFF }));
  await server.listPanes();
  process.kill(serverPid, 'SIGSTOP');
  t.after(() => process.kill(serverPid, 'SIGCONT'));
  await assert.rejects(server.listPanes(), (err: Error & { code?: string }) => err.code === 'timeout');
  assert.equal(server.status().up, false);
  process.kill(serverPid, 'SIGCONT');
  await waitFor('a new connection serves queries again', async () => (await server.listPanes()).length === 1 && server.status().effectiveStrategy === 'pool');
  assert.equal(server.poolStats()!.destroyedTotal.dead, 1);
  await h.finish();
});

for (const strategy of ['pool', 'exec'] as const) {
  test(`via ${strategy}, the observer hears each command of a batch, refused ones as failed, and the batch as one request`, async (t) => {
    const h = await privateTmux(t);
    const a = await h.newSession('a', 'sleep 1000');
    const b = await h.newSession('b', 'sleep 1000');
    const done: string[] = [];
    const requests: string[] = [];
    const observer = {
      onCommandDone: (s: Strategy, ok: boolean) => void done.push(`${s} ${ok ? 'ok' : 'failed'}`),
      onRequest: (s: Strategy, ok: boolean) => void requests.push(`${s} ${ok ? 'ok' : 'failed'}`),
    };
    const server = h.track(createTmuxServer({ socket: h.socket, strategy, observer }));
    await server.listPanes(); // connects: the pool's list-sessions (exec) and attach are counted there, not here
    done.length = 0;
    requests.length = 0;
    const screens = await server.capturePanes([a, b, '%999']);
    assert.equal(screens.size, 2);
    assert.deepEqual(done.sort(), [`${strategy} failed`, `${strategy} ok`, `${strategy} ok`], 'three commands: two captured, one refused');
    assert.deepEqual(requests, [`${strategy} ok`], 'one request');
    await h.finish();
  });
}

test('switching strategy at runtime: in-flight work finishes on the old one, the pool closes and comes back', async (t) => {
  const h = await privateTmux(t);
  await h.newSession('s', 'sleep 1000');
  const used: Strategy[] = [];
  const server = h.track(createTmuxServer({ socket: h.socket, strategy: 'pool', observer: { onRequest: (s) => void used.push(s) } }));
  await server.listPanes();
  const inFlight = server.capturePanes(['%0']);
  server.setStrategy('exec');
  assert.equal((await inFlight).size, 1);
  await server.listPanes();
  assert.deepEqual(used, ['pool', 'pool', 'exec']);
  assert.equal(server.poolStats(), null);
  await waitFor('the retired pool closed its clients', () => controlClientPids(h.socket).length === 0);
  server.setStrategy('pool');
  await server.listPanes();
  assert.equal(server.status().effectiveStrategy, 'pool');
  assert.equal(server.status().strategy, 'pool');
  await h.finish();
});

test('several tmux servers at once, each answering for its own panes', async (t) => {
  const one = await privateTmux(t);
  const two = await privateTmux(t);
  await one.newSession('one', 'sleep 1000');
  await two.newSession('two', 'sleep 1000');
  await two.newSession('two-b', 'sleep 1000');
  const servers = createTmuxServers([one.socket, two.socket], { strategy: 'pool' }).map((s) => one.track(s));
  const results = await Promise.all(servers.map((s) => s.listPanes()));
  assert.deepEqual(results.map((r) => r.map((p) => `${p.socket === one.socket ? 1 : 2}:${p.sessionName}`)), [['1:one'], ['2:two', '2:two-b']]);
  await one.finish();
  await two.finish();
});

test('defaultSocketPath follows tmux: $TMUX_TMPDIR or /tmp, then tmux-<uid>/default', () => {
  assert.equal(defaultSocketPath({}, 1000), '/tmp/tmux-1000/default');
  assert.equal(defaultSocketPath({ TMUX_TMPDIR: '/run/user/7' }, 7), '/run/user/7/tmux-7/default');
  assert.equal(defaultSocketPath({ TMUX_TMPDIR: '' }, 0), '/tmp/tmux-0/default');
});

test('pool stats count creations, reuse and the reason each connection was destroyed', async (t) => {
  const h = await privateTmux(t);
  await h.newSession('s', 'sleep 1000');
  const server = h.track(createTmuxServer({ socket: h.socket, strategy: 'pool', poolMin: 0, pool: { maxUses: 2 } }));
  for (let i = 0; i < 5; i++) await server.listPanes();
  const stats = server.poolStats()!;
  assert.equal(stats.createdTotal, 3);
  assert.equal(stats.destroyedTotal.max_uses, 2);
  assert.equal(stats.acquireWaitMs.count, 5);
  assert.equal(stats.reuseRatio, 2 / 5);
  assert.equal(stats.borrowed, 0);
  assert.equal(stats.pending, 0);
  await h.finish();
});

for (const strategy of ['pool', 'exec'] as Strategy[]) {
  test(`via ${strategy}, a quiet pane keeps its current command and an active one reports its new command`, async (t) => {
    const h = await privateTmux(t);
    const quiet = await h.newSession('quiet', 'sleep 1000');
    const busy = await h.newSession('busy', 'bash --norc --noprofile');
    const server = h.track(createTmuxServer({ socket: h.socket, strategy }));
    const command = async (pane: string) => (await server.listPanes()).find((p) => p.paneId === pane)?.currentCommand;
    assert.equal(await command(quiet), 'sleep');
    await sleep(2100); // both windows' activity is now older than the last list: the next list asks neither
    const tmuxSays = async (pane: string) => (await h.tmux('display-message', '-p', '-t', pane, '#{pane_current_command}')).trim();
    assert.equal(await command(quiet), await tmuxSays(quiet), 'the unasked pane keeps the command last seen');
    assert.equal(await command(busy), 'bash');
    await h.tmux('send-keys', '-t', busy, 'exec sleep 999', 'Enter');
    await waitFor('the busy pane to run sleep', async () => (await tmuxSays(busy)) === 'sleep');
    assert.equal(await command(busy), 'sleep', 'the pane that printed is asked again and reports its new command');
  });
}

/** A pool-backed server whose `lastList` tells how many panes each list asked in full. */
function pooled(h: Awaited<ReturnType<typeof privateTmux>>): TmuxServerClient {
  return h.track(new TmuxServerClient({ socket: h.socket, strategy: 'pool' }));
}

/** `count` windows running `sleep` in a new session, quiet (no activity) by the time this returns. */
async function quietWindows(h: Awaited<ReturnType<typeof privateTmux>>, session: string, count: number): Promise<void> {
  await h.newSession(session, 'sleep 1000');
  for (let i = 1; i < count; i++) await h.tmux('new-window', '-d', '-t', `${session}:`, 'sleep 1000');
  await sleep(2100); // window activity is kept in whole seconds; lists allow one second of margin
}

test('through the pool, quiet lists ask no quiet pane in full; ten refreshes between lists ask each pane once', async (t) => {
  const h = await privateTmux(t);
  await quietWindows(h, 'quiet', 12);
  const server = pooled(h);
  assert.equal((await server.listPanes()).length, 12);
  assert.equal(server.lastList?.everything, true, 'the first list asks everything');
  // New titles change nothing tmux notifies about and print nothing: only the refreshes bring them.
  const ids = await lines(h, 'list-panes', '-a', '-F', '#{pane_id}');
  for (const id of ids) await h.tmux('select-pane', '-t', id, '-T', `title of ${id}`);
  const detailed: number[] = [];
  const refreshed: number[] = [];
  let panes: PaneInfo[] = [];
  for (let i = 0; i < 10; i++) {
    panes = await server.listPanes();
    detailed.push(server.lastList!.detailed);
    await server.refreshQuiet();
    refreshed.push(server.lastRefresh!.detailed);
  }
  assert.deepEqual(detailed, Array(10).fill(0), 'quiet lists ask no pane in full');
  assert.equal(refreshed.reduce((a, b) => a + b, 0), 12, `the refreshes asked ${refreshed.join(', ')}: each pane once`);
  panes = await server.listPanes();
  assert.deepEqual(
    panes.map((p) => p.title).sort(),
    ids.map((id) => `title of ${id}`).sort(),
    'the list after the tenth refresh hands out every new title',
  );
  await h.finish();
});

test('through the pool, a list asks an active pane only what its output changes: its title and its command', async (t) => {
  const h = await privateTmux(t);
  await quietWindows(h, 'quiet', 4);
  // Else the exec below renames the window, and the rename (a notification) makes the next list ask everything.
  await h.tmux('set-option', '-g', 'automatic-rename', 'off');
  const busy = await h.newSession('busy', 'bash --norc --noprofile');
  const server = pooled(h);
  await sleep(2100);
  await server.listPanes();
  const before = (await server.listPanes()).find((p) => p.paneId === busy)!;
  assert.equal(server.lastList?.outputFacts, 0, 'nothing printed: nothing asked');
  await h.tmux('send-keys', '-t', busy, String.raw`printf '\033]2;agent at work\033\\'; exec sleep 999`, 'Enter');
  await waitFor('the busy pane to run sleep', async () => (await h.tmux('display-message', '-p', '-t', busy, '#{pane_current_command}')).trim() === 'sleep');
  const after = (await server.listPanes()).find((p) => p.paneId === busy)!;
  assert.equal(after.title, 'agent at work');
  assert.equal(after.currentCommand, 'sleep');
  assert.equal(after.panePid, before.panePid, 'exec keeps the process');
  assert.equal(after.windowId, before.windowId, 'the rest as last seen in full');
  assert.equal(server.lastList?.detailed, 0, 'no pane asked in full');
  assert.ok(server.lastList!.outputFacts >= 1, 'the active pane asked its output facts');
  assert.equal(server.lastList?.everything, false);
  await h.finish();
});

test('through the pool, a printing pane moved by swap-window (no notification) shows its new index at once', async (t) => {
  const h = await privateTmux(t);
  await quietWindows(h, 'quiet', 2);
  const printing = await h.newSession('mover', "while :; do echo tick; sleep 0.2; done");
  await h.tmux('new-window', '-d', '-t', 'mover:', 'sleep 1000');
  const server = pooled(h);
  await server.listPanes();
  await server.listPanes();
  assert.equal((await server.listPanes()).find((p) => p.paneId === printing)?.windowIndex, 0);
  await h.tmux('swap-window', '-d', '-s', 'mover:0', '-t', 'mover:1');
  assert.equal((await lines(h, 'display-message', '-p', '-t', printing, '#{window_index}'))[0], '1');
  const moved = (await server.listPanes()).find((p) => p.paneId === printing);
  assert.equal(moved?.windowIndex, 1);
  assert.equal(server.lastList?.detailed, 0, 'from its output facts, not a full list');
  await h.finish();
});

test('a list asked during a refresh waits for it and hands out what it found; exec servers need no refresh', async (t) => {
  const h = await privateTmux(t);
  await quietWindows(h, 'quiet', 10);
  const server = pooled(h);
  await server.listPanes();
  const ids = await lines(h, 'list-panes', '-a', '-F', '#{pane_id}');
  for (const id of ids) await h.tmux('select-pane', '-t', id, '-T', 'retitled');
  // Pane numbers 0-9 in a row cover every last digit: whichever bucket this refresh asks holds a pane.
  const [, listed] = await Promise.all([server.refreshQuiet(), server.listPanes()]);
  assert.equal(server.lastRefresh?.changed, 1);
  assert.equal(listed.filter((p) => p.title === 'retitled').length, 1, 'the list came after the refresh');
  const exec = h.track(new TmuxServerClient({ socket: h.socket, strategy: 'exec' }));
  await exec.listPanes();
  await exec.refreshQuiet();
  assert.equal(exec.lastRefresh, null, 'exec lists ask everything: nothing to refresh');
  await h.finish();
});

test('through the pool, renames, new windows and splits in a session the pool is not attached to show at once', async (t) => {
  const h = await privateTmux(t);
  await quietWindows(h, 'attached', 3);
  await quietWindows(h, 'other', 3);
  const server = pooled(h);
  await server.listPanes();
  await server.listPanes();
  assert.equal(server.lastList?.everything, false);
  const other = (await lines(h, 'list-windows', '-t', 'other', '-F', '#{window_id}'))[0]!;
  await h.tmux('rename-window', '-t', other, 'renamed');
  await h.tmux('rename-session', '-t', 'other', 'other2');
  let panes = await server.listPanes();
  assert.equal(panes.filter((p) => p.sessionName === 'other2').length, 3, 'the session rename is seen');
  assert.equal(panes.find((p) => p.windowId === other)?.windowName, 'renamed', 'the window rename is seen');
  // A split makes %layout-change, which only clients attached to that session hear; the new pane prints nothing.
  const split = (await h.tmux('split-window', '-d', '-P', '-F', '#{pane_id}', '-t', other, 'sleep 1000')).trim();
  // Until the shell tmux starts it with has exec'd sleep, tmux itself reports `bash` as the pane's command.
  await waitFor('the split pane to run sleep', async () => (await h.tmux('display-message', '-p', '-t', split, '#{pane_current_command}')).trim() === 'sleep');
  panes = await server.listPanes();
  const added = panes.find((p) => p.paneId === split);
  assert.equal(added?.sessionName, 'other2', 'the new pane comes with its details');
  assert.equal(added?.currentCommand, 'sleep');
  assert.equal(server.lastList?.everything, false, 'one new pane is asked on its own, not with a full list');
  await h.finish();
});

test('through the pool, a quiet pane whose process is killed is listed dead on the next list', async (t) => {
  const h = await privateTmux(t);
  await quietWindows(h, 'quiet', 3);
  await h.tmux('set-option', '-g', 'remain-on-exit', 'on');
  const server = pooled(h);
  await server.listPanes();
  await server.listPanes();
  const victim = (await server.listPanes())[1]!;
  assert.equal(victim.dead, false);
  process.kill(victim.panePid, 'SIGKILL');
  await waitFor('the victim pane to die', async () => (await lines(h, 'display-message', '-p', '-t', victim.paneId, '#{pane_dead}'))[0] === '1');
  const after = (await server.listPanes()).find((p) => p.paneId === victim.paneId);
  assert.equal(after?.dead, true);
  assert.equal(server.lastList?.everything, false);
  await h.finish();
});

test('through the pool, a dead pane respawned into a quiet process is listed alive on the next list', async (t) => {
  const h = await privateTmux(t);
  await quietWindows(h, 'quiet', 3);
  await h.tmux('set-option', '-g', 'remain-on-exit', 'on');
  const server = pooled(h);
  await server.listPanes();
  const victim = (await server.listPanes())[1]!;
  process.kill(victim.panePid, 'SIGKILL');
  await waitFor('the server to list the victim as dead', async () => (await server.listPanes()).find((p) => p.paneId === victim.paneId)?.dead === true);
  await h.tmux('respawn-pane', '-t', victim.paneId, 'sleep 1000');
  const after = (await server.listPanes()).find((p) => p.paneId === victim.paneId);
  assert.equal(after?.dead, false, 'dead panes are always listed: one left out is alive again');
  assert.notEqual(after?.panePid, victim.panePid);
  await h.finish();
});
