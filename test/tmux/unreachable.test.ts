// tmux not installed, a socket of another user, and no server running are three different things, each said once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TmuxServerClient } from '../../src/tmux/server.ts';
import type { Strategy, TmuxServerStatus } from '../../src/tmux/types.ts';
import { privateTmux } from './harness.ts';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'paneward-unreachable-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * A tmux that answers as tmux does for a socket of another user. Running as root, a real one cannot be refused:
 * root may connect to any socket, so the message is tmux's own wording (client.c: "error connecting to %s (%s)").
 */
function deniedTmux(dir: string): string {
  const binary = join(dir, 'tmux');
  writeFileSync(binary, `#!/bin/sh\nfor a; do last="$a"; done\necho "error connecting to $2 (Permission denied)" >&2\nexit 1\n`);
  chmodSync(binary, 0o755);
  return binary;
}

for (const strategy of ['exec', 'pool'] as Strategy[]) {
  test(`${strategy}: tmux not installed, permission denied and no server each have their own reason`, async (t) => {
    const dir = tempDir(t);
    const socket = join(dir, 'sock');
    const cases = [
      { binary: join(dir, 'not-installed', 'tmux'), problem: 'no_tmux', reason: /tmux is not installed/ },
      { binary: deniedTmux(dir), problem: 'permission_denied', reason: /permission denied on .*sock/ },
      { binary: 'tmux', problem: 'no_server', reason: /no tmux server running on .*sock/ },
    ];
    for (const c of cases) {
      const server = new TmuxServerClient({ socket, strategy, tmuxBinary: c.binary });
      t.after(() => server.close());
      assert.deepEqual(await server.listPanes(), []);
      const status = server.status();
      assert.equal(status.up, false);
      assert.equal(status.problem, c.problem, `${c.binary}: ${status.reason}`);
      assert.match(status.reason ?? '', c.reason);
    }
  });
}

test('a tmux server going away and coming back is reported once each way, not every query', async (t) => {
  const h = await privateTmux(t);
  await h.newSession('s', 'sleep 1000');
  const changes: Array<[boolean, string | null | undefined]> = [];
  const server = h.track(
    new TmuxServerClient({
      socket: h.socket,
      strategy: 'pool',
      onStatusChange: (now: TmuxServerStatus) => changes.push([now.up, now.problem]),
    }),
  );
  await server.listPanes();
  await server.listPanes();
  assert.deepEqual(changes, [], 'coming up the first time is no news');
  await h.kill();
  for (let i = 0; i < 5; i++) await server.listPanes();
  assert.deepEqual(changes, [[false, 'no_server']]);
  await h.newSession('s', 'sleep 1000');
  for (let i = 0; i < 3; i++) await server.listPanes();
  assert.deepEqual(changes, [[false, 'no_server'], [true, null]]);
  await h.finish();
});
