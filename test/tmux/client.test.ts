// Control client against a real tmux: pipelining, verbatim pane text, and every way the connection can fail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ControlClient } from '../../src/tmux/client.ts';
import { TmuxError } from '../../src/tmux/errors.ts';
import { captureCommand } from '../../src/tmux/queries.ts';
import { controlClientPids } from '../helpers/tmux.ts';
import { privateTmux } from './harness.ts';
import { waitFor } from '../helpers/wait.ts';

const HOSTILE_SCREEN = "printf '%%end 1700000000 999 1\\n%%exit\\n%%begin 1 2 1\\nnaïve 日本\\n'; exec sleep 1000";

test('pipelined captures come back in order, with protocol-looking pane text verbatim', async (t) => {
  const h = await privateTmux(t);
  const pane = await h.newSession('s', HOSTILE_SCREEN, { width: 60, height: 8 });
  await waitFor('the pane to show 日本', async () => (await h.tmux('capture-pane', '-p', '-t', pane)).includes('日本'));
  const client = h.track(await ControlClient.connect({ socket: h.socket, session: '$0' }));
  const replies = await Promise.all(client.runBatch([captureCommand(pane), captureCommand('%999'), captureCommand(pane)]));
  const expected = ['%end 1700000000 999 1', '%exit', '%begin 1 2 1', 'naïve 日本'];
  assert.deepEqual(replies[0]!.lines.slice(0, 4), expected);
  assert.equal(replies[1]!.ok, false, 'a missing pane is an %error reply');
  assert.deepEqual(replies[2]!.lines.slice(0, 4), expected);
  assert.equal(client.alive, true);
  await h.finish();
});

test('the client attaches with ignore-size, no-output and read-only, and creates no session', async (t) => {
  const h = await privateTmux(t);
  await h.newSession('s', 'sleep 1000', { width: 57, height: 13 });
  const client = h.track(await ControlClient.connect({ socket: h.socket, session: '$0' }));
  await client.run(captureCommand('%0'));
  const [flags] = (await h.tmux('list-clients', '-F', '#{client_control_mode} #{client_flags}')).trim().split('\n');
  assert.match(flags ?? '', /^1 /, 'a control-mode client');
  for (const flag of ['ignore-size', 'no-output', 'read-only']) assert.match(flags ?? '', new RegExp(flag));
  assert.equal((await h.tmux('display-message', '-p', '-t', '%0', '#{window_width}x#{window_height}')).trim(), '57x13');
  assert.equal((await h.tmux('list-sessions', '-F', '#{session_id}')).trim(), '$0', 'no session was created');
  await h.finish();
});

test('a SIGSTOPped tmux server makes commands time out; the client is killed and fails what was pending', async (t) => {
  const h = await privateTmux(t);
  await h.newSession('s', 'sleep 1000');
  const serverPid = Number((await h.tmux('display-message', '-p', '#{pid}')).trim());
  const client = h.track(await ControlClient.connect({ socket: h.socket, session: '$0', commandTimeoutMs: 300 }));
  process.kill(serverPid, 'SIGSTOP');
  t.after(() => process.kill(serverPid, 'SIGCONT'));
  const results = await Promise.allSettled(client.runBatch([captureCommand('%0'), captureCommand('%0')]));
  process.kill(serverPid, 'SIGCONT');
  for (const r of results) {
    assert.equal(r.status, 'rejected');
    assert.equal(((r as PromiseRejectedResult).reason as TmuxError).code, 'timeout');
  }
  assert.equal(client.alive, false);
  assert.match(client.deathReason ?? '', /no reply within 300 ms/);
  await assert.rejects(client.run(captureCommand('%0')), /is dead/);
  await h.finish();
});

test('a SIGSTOPped control client is still served (tmux 3.3a owns its pipes) and is reaped on close', async (t) => {
  const h = await privateTmux(t);
  await h.newSession('s', 'sleep 1000');
  const client = h.track(await ControlClient.connect({ socket: h.socket, session: '$0', commandTimeoutMs: 2000 }));
  process.kill(client.pid!, 'SIGSTOP');
  // The server reads and writes the control stream through the client's fds, so replies still arrive.
  const reply = await client.run(captureCommand('%0'));
  assert.equal(reply.ok, true);
  await client.close();
  await waitFor('the stopped child was killed', () => controlClientPids(h.socket).length === 0);
  await h.finish();
});

test('killing the attached session makes the client exit and fail pending commands', async (t) => {
  const h = await privateTmux(t);
  await h.newSession('a', 'sleep 1000');
  await h.newSession('b', 'sleep 1000');
  const client = h.track(await ControlClient.connect({ socket: h.socket, session: '$0' }));
  const died = new Promise<string>((resolve) => client.onDeath(resolve));
  await h.tmux('kill-session', '-t', '$0');
  assert.match(await died, /%exit|exited/);
  await waitFor('the tmux -C process exits', () => controlClientPids(h.socket).length === 0);
  await h.finish();
});

test('killing the server mid-batch fails every pending command with connection_lost, not a timeout', async (t) => {
  const h = await privateTmux(t);
  await h.newSession('s', 'seq 1 30; exec sleep 1000');
  // A timeout this long would make the test hang: the failure has to come from noticing EOF.
  const client = h.track(await ControlClient.connect({ socket: h.socket, session: '$0', commandTimeoutMs: 120_000 }));
  const serverPid = Number((await h.tmux('display-message', '-p', '#{pid}')).trim());
  const settled = Promise.allSettled(client.runBatch(Array.from({ length: 3000 }, () => captureCommand('%0'))));
  // A signal, not `tmux kill-server`: spawning a client can take longer than tmux needs for the whole batch.
  process.kill(serverPid, 'SIGKILL');
  const results = await settled;
  const failed = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
  assert.ok(failed.length > 0, 'some commands were still pending when the server died');
  for (const r of failed) assert.equal((r.reason as TmuxError).code, 'connection_lost');
  assert.equal(client.alive, false);
  await h.finish();
});

test('attach to a missing session or a socket without server fails with a clear error and no process left', async (t) => {
  const h = await privateTmux(t);
  await h.newSession('s', 'sleep 1000');
  await assert.rejects(ControlClient.connect({ socket: h.socket, session: '$42' }), (err: TmuxError) => {
    assert.equal(err.code, 'no_sessions');
    assert.match(err.message, /can't find session/);
    return true;
  });
  await assert.rejects(ControlClient.connect({ socket: `${h.dir}/nothing-here`, session: '$0' }), (err: TmuxError) => {
    assert.equal(err.code, 'no_server');
    return true;
  });
  await h.finish();
  assert.deepEqual(controlClientPids(`${h.dir}/nothing-here`), []);
});
