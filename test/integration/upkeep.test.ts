// The work done between cycles (refreshing quiet panes' details, re-capturing panes past the capture max age)
// against a real tmux server: it finds what lists leave out and shares the cycle's one control connection.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildApp } from '../../src/app.ts';
import { configWith } from '../../src/config.ts';
import { startPrivateTmux } from '../helpers/tmux.ts';

test('upkeep between cycles brings quiet changes in and opens no second control connection', async (t) => {
  const tmux = await startPrivateTmux();
  t.after(() => tmux.cleanup());
  await tmux.newSession('quiet', 'sleep 1000');
  for (let i = 1; i < 10; i++) await tmux.tmux('new-window', '-d', '-t', 'quiet:', 'sleep 1000');
  const app = await buildApp(configWith({ sockets: [tmux.socket], monitorId: 'upkeep', captureMaxAgeMs: 300, pollIntervalMs: 3_600_000 }), {
    startLoop: false,
    logger: false,
  });
  t.after(() => app.close());
  await app.ready();
  await sleep(2100); // quiet: no window active within the last list's margin

  const cycle = async () => (await app.inject({ method: 'POST', url: '/v1/monitor/cycle' })).json();
  await cycle();
  // A title set from outside prints nothing and tmux tells no control client: only the refreshes find it.
  const panes = (await tmux.tmux('list-panes', '-a', '-F', '#{pane_id}')).trim().split('\n');
  for (const id of panes) await tmux.tmux('select-pane', '-t', id, '-T', 'set from outside');
  let capturesAfter = 0;
  for (let i = 0; i < 12; i++) {
    await sleep(350);
    const stats = await cycle();
    assert.deepEqual(stats.errors, []);
    capturesAfter += stats.capturesAfter;
  }
  assert.ok(capturesAfter >= 10, `panes past the max age were captured after cycles (${capturesAfter})`);
  // Pane numbers %0-%9 cover every refresh bucket; twelve refreshes asked each of them.
  const listed = await app.tmux.servers[0]!.listPanes();
  assert.deepEqual(listed.map((p) => p.title), Array(10).fill('set from outside'));
  const monitor = (await app.inject({ url: '/v1/monitor' })).json();
  assert.equal(monitor.tmux[0].pool.createdTotal, 1, 'the upkeep borrowed the one connection the cycles use');
});
