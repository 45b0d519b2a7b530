// Command building: rendering rules, and hostile values sent to a real tmux server that must run nothing extra.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  TmuxCommandError,
  TrustedFormat,
  command,
  flags,
  option,
  positional,
  target,
  toArgv,
  toControlLine,
  type TmuxCommand,
} from '../../src/tmux/command.ts';
import { ControlClient } from '../../src/tmux/client.ts';
import { ExecRunner } from '../../src/tmux/exec.ts';
import { lines, privateTmux } from './harness.ts';

test('values are single-quoted for control mode and a trailing ; is escaped for exec', () => {
  const cmd = command('rename-window', target('@3'), positional("it's; x;"));
  assert.equal(toControlLine(cmd), `rename-window -t '@3' -- 'it'\\''s; x;'`);
  assert.deepEqual(toArgv(cmd), ['rename-window', '-t', '@3', '--', 'it\'s; x\\;']);
});

test('targets must be ids of the expected kind', () => {
  for (const bad of ['main', '%1;', '%1 ', '@x', '$', '%-1', '1', '%1\n', '#{pane_id}']) {
    assert.throws(() => target(bad), TmuxCommandError, bad);
  }
  assert.throws(() => target('@1', ['%']), TmuxCommandError);
  assert.doesNotThrow(() => target('%12', ['%']));
});

test('newline, carriage return and NUL are refused in any value', () => {
  for (const bad of ['a\nkill-server', 'a\rb', 'a\0b']) {
    assert.throws(() => positional(bad), TmuxCommandError);
    assert.throws(() => option('n', bad), TmuxCommandError);
  }
});

test('formats cannot be built from untrusted text', () => {
  const untrusted = '#(touch /tmp/x)';
  assert.throws(() => (TrustedFormat.literal as (s: TemplateStringsArray, ...v: string[]) => TrustedFormat)`${untrusted}`, TmuxCommandError);
  assert.throws(() => TrustedFormat.join([TrustedFormat.literal`#{pane_id}`], '#(id)'), TmuxCommandError);
  // display-message expands its message as a format, so a plain positional is refused there.
  assert.throws(() => command('display-message', flags('p'), positional(untrusted)), TmuxCommandError);
  const forged = command('list-panes', { kind: 'format', letter: 'F', format: { text: untrusted } } as never);
  assert.throws(() => toControlLine(forged), TmuxCommandError);
  assert.throws(() => toArgv(forged), TmuxCommandError);
});

test('names that tmux expands as formats have # doubled; other values do not', () => {
  assert.equal(toControlLine(command('rename-window', target('@1'), positional('#(id)'))), `rename-window -t '@1' -- '##(id)'`);
  assert.deepEqual(toArgv(command('new-window', flags('d'), option('n', '#{pid}'))), ['new-window', '-d', '-n', '##{pid}']);
  assert.deepEqual(toArgv(command('set-option', target('$1'), positional('status-left'), positional('#S'))), [
    'set-option',
    '-t',
    '$1',
    '--',
    'status-left',
    '#S',
  ]);
});

test('flags after a positional argument are refused', () => {
  assert.throws(() => toControlLine(command('new-window', positional('x'), flags('d'))), TmuxCommandError);
});

const HOSTILE = [
  'x; new-session -d -s pwned',
  "x' ; new-session -d -s pwned ; '",
  '"; new-session -d -s pwned; "',
  'x \\; new-session -d -s pwned',
  'trailing;',
  'double;;',
  ';',
  '{ new-session -d -s pwned }',
  '$HOME and ${HOME}',
  '~',
  '~root',
  '#{pid}',
  '# comment; new-session -d -s pwned',
  '%if 1',
  '-x',
  '--',
  'tab\there | pipe',
  'ünïcødé 日本 🙂',
];

for (const path of ['exec', 'control'] as const) {
  test(`hostile session and window names via ${path} are stored verbatim and run nothing`, async (t) => {
    const h = await privateTmux(t);
    await h.newSession('main', 'sleep 1000');
    const mark = join(h.dir, 'mark');
    const payloads = [...HOSTILE, `#(touch ${mark})`, `x; run-shell 'touch ${mark}'`];
    let send: (cmd: TmuxCommand) => Promise<void>;
    if (path === 'exec') {
      const exec = new ExecRunner(h.socket);
      send = async (cmd) => void (await exec.run(cmd));
    } else {
      // Not read-only: read-only does not stop commands in control mode, so quoting alone must hold.
      const client = h.track(await ControlClient.connect({ socket: h.socket, session: '$0', readOnly: false }));
      send = async (cmd) => {
        const reply = await client.run(cmd);
        assert.equal(reply.ok, true, reply.lines.join(' '));
      };
    }
    for (const payload of payloads) {
      await send(command('rename-session', target('$0', ['$']), positional(payload)));
      await send(command('rename-window', target('@0', ['@']), positional(payload)));
      assert.deepEqual(await lines(h, 'list-sessions', '-F', '#{session_id}'), ['$0'], `extra session after ${payload}`);
      assert.deepEqual(await lines(h, 'list-windows', '-a', '-F', '#{window_id}'), ['@0'], `extra window after ${payload}`);
      const [windowName] = await lines(h, 'display-message', '-p', '-t', '@0', '#{window_name}');
      const [sessionName] = await lines(h, 'display-message', '-p', '-t', '$0', '#{session_name}');
      // tmux stores names vis(3)-encoded: backslash, `$` and tab come back escaped.
      const shown = payload.replaceAll('\\', '\\\\').replaceAll('$', '\\$').replaceAll('\t', '\\t');
      assert.equal(windowName, shown, 'window name');
      assert.equal(sessionName, shown, 'session name');
    }
    assert.equal(existsSync(mark), false, '#( or run-shell was executed');
    await h.finish();
  });
}
