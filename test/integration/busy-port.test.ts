// `npm start` (the README command) on a port something else holds: one line that names PORT, a non-zero exit.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { freePort } from '../helpers/redis.ts';
import { startPrivateTmux, tmuxEnv } from '../helpers/tmux.ts';

test('npm start on a busy PORT exits non-zero with one line that names PORT', async (t) => {
  const tmux = await startPrivateTmux();
  t.after(() => tmux.cleanup());
  await tmux.newSession('s', 'sleep 1000');
  const port = await freePort();
  const squatter = createServer();
  await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
  t.after(() => squatter.close());

  const child = spawn('npm', ['start', '--silent'], {
    env: { ...tmuxEnv(), PORT: String(port), TMUX_SOCKETS: tmux.socket, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const [code] = await once(child, 'exit');
  assert.notEqual(code, 0);
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  assert.equal(lines.length, 1, `stderr: ${stderr}`);
  assert.match(lines[0]!, new RegExp(`PORT=${port}`));
  assert.match(lines[0]!, /already in use/);
  assert.doesNotMatch(stdout, /could not start|"level":50/, `stdout: ${stdout}`);
});
