// The package as users get it: `npm pack`, installed from the tarball into an empty folder (its dependencies from
// the registry, no dev tools), then `npx paneward status` against a running server.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { configWith } from '../../src/config.ts';
import { startPrivateTmux, type PrivateTmux } from '../helpers/tmux.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

let work: string;
let tmux: PrivateTmux;
let app: FastifyInstance;
let url: string;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'paneward-pack-'));
  tmux = await startPrivateTmux();
  await tmux.newSession('packed', 'sleep 600');
  app = await buildApp(configWith({ sockets: [tmux.socket], monitorId: 'pack-test', pollIntervalMs: 3_600_000 }), { logger: false });
  url = await app.listen({ host: '127.0.0.1', port: 0 });
  await app.inject({ method: 'POST', url: '/v1/monitor/cycle' });
});

after(async () => {
  await app?.close();
  await tmux?.cleanup();
  rmSync(work, { recursive: true, force: true });
});

test('the packed tarball installs into an empty folder and `npx paneward status` lists a running server\'s agents', { timeout: 600_000 }, async () => {
  const npmEnv = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
  await run('npm', ['pack', '--pack-destination', work], { cwd: ROOT, env: npmEnv, maxBuffer: 16 << 20 });
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
  assert.ok(tarball, 'npm pack wrote a tarball');

  const project = join(work, 'user-project');
  await run('mkdir', ['-p', project]);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user-project', private: true }));
  await run('npm', ['install', '--omit=dev', join(work, tarball)], { cwd: project, env: npmEnv, maxBuffer: 16 << 20 });
  const installed = join(project, 'node_modules', 'paneward');
  assert.ok(existsSync(join(installed, 'dist', 'src', 'cli', 'main.js')), 'the compiled command is in the package');
  assert.ok(!existsSync(join(installed, 'src')), 'the TypeScript sources are not');
  assert.ok(!existsSync(join(project, 'node_modules', 'tsx')), 'no TypeScript loader is installed: the command runs compiled JavaScript');

  const { stdout } = await run('npx', ['--no-install', 'paneward', 'status'], {
    cwd: project,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', PANEWARD_URL: url },
  });
  const lines = stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /^TARGET +KIND +STATE +FOR +EVIDENCE$/);
  assert.match(stdout, /^packed:0\.0 /m);
});
