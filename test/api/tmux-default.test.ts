// Which tmux server paneward watches when TMUX_SOCKETS is unset: the one it runs inside ($TMUX), else the
// user's default server; and, for real, paneward started in a pane of a `tmux -S` server lists that pane.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../../src/config.ts';
import { currentSocketPath, defaultSocketPath } from '../../src/tmux/env.ts';
import { freePort } from '../helpers/redis.ts';
import { startPrivateTmux } from '../helpers/tmux.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

test('inside tmux ($TMUX set), TMUX_SOCKETS defaults to the socket of that server', () => {
  assert.deepEqual(loadConfig({ TMUX: '/tmp/tmux-1000/work,4242,3' }).sockets, ['/tmp/tmux-1000/work']);
});

test('a socket path holding commas is kept whole (tmux appends exactly the pid and the session)', () => {
  assert.equal(currentSocketPath({ TMUX: '/run/odd,dir/sock,4242,0' }), '/run/odd,dir/sock');
});

test('TMUX_SOCKETS, when set, wins over $TMUX', () => {
  assert.deepEqual(loadConfig({ TMUX: '/tmp/tmux-1000/work,4242,3', TMUX_SOCKETS: '/a/sock,/b/sock' }).sockets, ['/a/sock', '/b/sock']);
});

test('outside tmux, or with a $TMUX that is not tmux\'s, the default server of the user', () => {
  const env = { TMUX_TMPDIR: '/run/user/1000' };
  for (const TMUX of [undefined, '', 'garbage', 'relative/sock,1,0']) {
    assert.deepEqual(loadConfig({ ...env, ...(TMUX === undefined ? {} : { TMUX }) }).sockets, [defaultSocketPath(env)], String(TMUX));
  }
});

test('paneward started in a pane of a private tmux server (no TMUX_SOCKETS) watches that server and lists its own pane', async (t) => {
  const tmux = await startPrivateTmux();
  t.after(() => tmux.cleanup());
  // Should paneward fall back to the default server, it finds none: never the user's own.
  const emptyTmpdir = mkdtempSync(join(tmpdir(), 'paneward-notmux-'));
  t.after(() => rmSync(emptyTmpdir, { recursive: true, force: true }));
  const port = await freePort();
  const command = `cd ${ROOT} && env -u TMUX_SOCKETS TMUX_TMPDIR=${emptyTmpdir} PORT=${port} LOG_LEVEL=warn ${process.execPath} --import tsx src/server.ts`;
  const pane = await tmux.newSession('inside', command);
  let agents: Array<{ paneId: string; socket: string }> = [];
  for (let i = 0; i < 150 && !agents.some((a) => a.paneId === pane); i++) {
    await sleep(200);
    agents = await fetch(`http://127.0.0.1:${port}/v1/agents`)
      .then((r) => r.json() as Promise<{ agents: typeof agents }>)
      .then((b) => b.agents, () => []);
  }
  const own = agents.find((a) => a.paneId === pane);
  assert.ok(own, `its own pane ${pane} is listed; screen: ${await tmux.tmux('capture-pane', '-p', '-t', pane)}`);
  assert.equal(own.socket, tmux.socket);
  await tmux.tmux('send-keys', '-t', pane, 'C-c');
});
