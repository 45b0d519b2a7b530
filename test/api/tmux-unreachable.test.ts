// /readyz, /v1/monitor and the log say which of "no server", "not installed", "permission denied" it is, once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { buildApp } from '../../src/app.ts';
import { configWith } from '../../src/config.ts';
import { cycle, getJson } from './helper.ts';

test('a socket with no tmux server: /readyz and /v1/monitor say so, and the log says it once', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'paneward-nosrv-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const socket = join(dir, 'sock');
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const app = await buildApp(configWith({ sockets: [socket], logLevel: 'info' }), { startLoop: false, logger: { stream } });
  t.after(() => app.close());
  for (let i = 0; i < 4; i++) await cycle(app);

  const ready = await app.inject({ url: '/readyz' });
  assert.equal(ready.statusCode, 503);
  assert.match(ready.json().checks.tmux.detail, new RegExp(`no tmux server running on ${socket}`));
  const monitor = (await getJson(app, '/v1/monitor')).body;
  assert.equal(monitor.tmux[0].problem, 'no_server');
  const said = lines.filter((l) => l.includes('unavailable'));
  assert.equal(said.length, 1, lines.join('\n'));
  assert.match(said[0]!, /no tmux server running on/);
});
