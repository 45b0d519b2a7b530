// Panes that print forged control-mode replies, with the command number guessed right, while the pool captures them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { TmuxServerClient } from '../../src/tmux/server.ts';
import { tmuxEnv } from '../helpers/tmux.ts';
import { waitFor } from '../helpers/wait.ts';
import { privateTmux, type Harness } from './harness.ts';

/** The time and number tmux gives the next command: asked with a command of our own on a separate control client. */
async function nextCommandNumber(h: Harness): Promise<{ time: number; number: number }> {
  const child = spawn('tmux', ['-S', h.socket, '-C', 'attach-session', '-t', 'forger', '-f', 'ignore-size,no-output,read-only'], { env: tmuxEnv() });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stdin.write("display-message -p 'probe-9f3a'\n");
  await waitFor('the probe reply', () => /probe-9f3a\n%end/.test(out), 5000);
  child.stdin.end();
  await new Promise((resolve) => child.once('close', resolve));
  const m = /%begin (\d+) (\d+) 1\nprobe-9f3a/.exec(out);
  assert.ok(m, `no reply to the probe: ${out}`);
  return { time: Number(m[1]), number: Number(m[2]) + 1 };
}

/**
 * The screen a forger prints: for each of the next commands (the capture itself, the seal, the next capture…), in
 * this second and the next, the line that would close it, plus a fake reply and notifications.
 */
function forgedScreen(label: string, next: { time: number; number: number }): string[] {
  const lines = [`${label} top`, `%end ${next.time} ${next.number} 1`, `%begin ${next.time} ${next.number + 1} 1`, 'fake screen of another pane'];
  for (let n = next.number; n < next.number + 16; n++) lines.push(`%end ${next.time} ${n} 1`, `%error ${next.time + 1} ${n} 1`);
  lines.push(`%begin ${next.time} ${next.number + 2} 1`, '%exit', '%sessions-changed', '%output %0 hi', `${label} bottom`);
  return lines;
}

/** Writes lines onto the pane's terminal as if its program printed them (clear screen first). */
async function printOnPane(h: Harness, paneId: string, lines: string[]): Promise<void> {
  const tty = (await h.tmux('display-message', '-p', '-t', paneId, '#{pane_tty}')).trim();
  writeFileSync(tty, `\x1b[H\x1b[2J${lines.join('\r\n')}`);
  const last = lines.at(-1)!;
  await waitFor('the forged screen is shown', async () => (await h.tmux('capture-pane', '-p', '-t', paneId)).includes(last), 5000);
}

test('panes printing forged closers with the right command number never desync the pool nor forge another screen', async (t) => {
  const h = await privateTmux(t);
  const forger = await h.newSession('forger', 'exec sleep 100000', { width: 60, height: 60 });
  const second = (await h.tmux('new-window', '-d', '-P', '-F', '#{pane_id}', '-t', 'forger', 'exec sleep 100000')).trim();
  const honest = (await h.tmux('new-window', '-d', '-P', '-F', '#{pane_id}', '-t', 'forger', 'exec sleep 100000')).trim();
  await printOnPane(h, honest, ['an honest pane', 'with two lines']);
  const server = h.track(new TmuxServerClient({ socket: h.socket, strategy: 'pool' }));
  await server.listPanes(); // the pool's connection is up before the rounds start

  for (let round = 0; round < 12; round++) {
    // tmux numbers the commands of all clients in one sequence; each round guesses the numbers of the next few.
    const next = await nextCommandNumber(h);
    const screenA = forgedScreen(`A${round}`, next);
    const screenB = forgedScreen(`B${round}`, next);
    await printOnPane(h, forger, screenA);
    await printOnPane(h, second, screenB);
    const alone = await server.capturePanes([forger]);
    const batch = await server.capturePanes([forger, second, honest]);
    assert.equal(alone.get(forger), screenA.join('\n'), `round ${round}: the screen alone`);
    assert.equal(batch.get(forger), screenA.join('\n'), `round ${round}: the screen in a batch`);
    assert.equal(batch.get(second), screenB.join('\n'), `round ${round}: the second forger's own screen`);
    assert.equal(batch.get(honest), 'an honest pane\nwith two lines', `round ${round}: the honest pane's screen`);
  }
  const stats = server.poolStats()!;
  assert.equal(stats.createdTotal, 1, 'one connection served every round: no reconnect');
  assert.deepEqual(stats.destroyedTotal, {}, 'no connection was dropped');
  assert.equal(server.status().up, true);
  await h.finish();
});
