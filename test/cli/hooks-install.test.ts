// `paneward hooks print|install`: the snippet is the settings an agent reads; install merges it after a backup,
// twice is the same as once, and the user's own hooks and settings stay as they were.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { assertBuilt, BIN, paneward } from './helpers.ts';

before(() => assertBuilt());

function home(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'paneward-home-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const THEIRS = { type: 'command', command: '~/bin/notify-me.sh' };

test('print claude-code gives JSON with an http hook per event, carrying the tmux pane headers', async () => {
  const run = await paneward(['hooks', 'print', 'claude-code'], { env: { PANEWARD_URL: 'http://127.0.0.1:7777' } });
  assert.equal(run.code, 0, run.stderr);
  const { hooks } = JSON.parse(run.stdout) as { hooks: Record<string, Array<{ hooks: Array<Record<string, unknown>> }>> };
  for (const event of ['UserPromptSubmit', 'PreToolUse', 'PermissionRequest', 'Notification', 'Stop', 'StopFailure', 'SessionEnd']) {
    const hook = hooks[event]?.[0]?.hooks[0];
    assert.equal(hook?.type, 'http', event);
    assert.equal(hook?.url, 'http://127.0.0.1:7777/v1/hooks/claude-code');
    assert.deepEqual(hook?.headers, { 'X-Tmux-Pane': '$TMUX_PANE', 'X-Tmux': '$TMUX', Authorization: 'Bearer $PANEWARD_HOOK_TOKEN' });
    assert.deepEqual(hook?.allowedEnvVars, ['TMUX_PANE', 'TMUX', 'PANEWARD_HOOK_TOKEN']);
  }
});

test('install claude-code keeps the user’s hooks and settings, backs up first, and is idempotent', async (t) => {
  const dir = home(t);
  const settings = join(dir, '.claude', 'settings.json');
  mkdirSync(join(dir, '.claude'));
  const original = { model: 'opus', permissions: { allow: ['Bash(ls)'] }, hooks: { Stop: [{ hooks: [THEIRS] }], PreCompact: [{ hooks: [THEIRS] }] } };
  writeFileSync(settings, JSON.stringify(original, null, 2));

  const first = await paneward(['hooks', 'install', 'claude-code'], { env: { HOME: dir } });
  assert.equal(first.code, 0, first.stderr);
  const after = JSON.parse(readFileSync(settings, 'utf8'));
  assert.equal(after.model, 'opus');
  assert.deepEqual(after.permissions, original.permissions);
  assert.deepEqual(after.hooks.PreCompact, original.hooks.PreCompact);
  assert.deepEqual(after.hooks.Stop[0], { hooks: [THEIRS] }, 'their Stop hook first, untouched');
  assert.equal(after.hooks.Stop[1].hooks[0].type, 'http');
  assert.equal(after.hooks.PermissionRequest[0].hooks[0].type, 'http');
  const backups = readdirSync(join(dir, '.claude')).filter((f) => f.endsWith('.bak'));
  assert.equal(backups.length, 1);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, '.claude', backups[0]!), 'utf8')), original);

  const text = readFileSync(settings, 'utf8');
  const second = await paneward(['hooks', 'install', 'claude-code'], { env: { HOME: dir } });
  assert.equal(second.code, 0);
  assert.match(second.stdout, /nothing changed/);
  assert.equal(readFileSync(settings, 'utf8'), text, 'a second install changes nothing');
  assert.equal(readdirSync(join(dir, '.claude')).filter((f) => f.endsWith('.bak')).length, 1, 'and writes no second backup');
});

test('install into a HOME without settings creates them', async (t) => {
  const dir = home(t);
  const run = await paneward(['hooks', 'install', 'gemini-cli'], { env: { HOME: dir, PATH: '/usr/bin:/bin' } });
  assert.equal(run.code, 0, run.stderr);
  const { hooks } = JSON.parse(readFileSync(join(dir, '.gemini', 'settings.json'), 'utf8'));
  assert.equal(hooks.AfterAgent[0].hooks[0].command, `${BIN} hook gemini-cli`, 'this checkout\'s bin/paneward.js (no paneward on PATH)');
});

test('install codex sets notify and the hooks feature in config.toml, leaving the rest of it', async (t) => {
  const dir = home(t);
  mkdirSync(join(dir, '.codex'));
  const toml = 'model = "gpt-5"\n\n[features]\nweb_search = true\n\n[mcp_servers.x]\ncommand = "x"\n';
  writeFileSync(join(dir, '.codex', 'config.toml'), toml);
  const run = await paneward(['hooks', 'install', 'codex'], { env: { HOME: dir, CODEX_HOME: '' } });
  assert.equal(run.code, 0, run.stderr + run.stdout);
  const after = readFileSync(join(dir, '.codex', 'config.toml'), 'utf8');
  assert.match(after, /^notify = \[".*paneward(\.js)?", "hook", "codex"\]\n/);
  assert.match(after, /\[features\]\ncodex_hooks = true\nweb_search = true/);
  assert.ok(after.endsWith('[mcp_servers.x]\ncommand = "x"\n'));
  const { hooks } = JSON.parse(readFileSync(join(dir, '.codex', 'hooks.json'), 'utf8'));
  assert.match(hooks.Stop[0].hooks[0].command, /hook codex$/);
  const again = await paneward(['hooks', 'install', 'codex'], { env: { HOME: dir, CODEX_HOME: '' } });
  assert.equal(again.code, 0);
  assert.equal(readFileSync(join(dir, '.codex', 'config.toml'), 'utf8'), after);
});

test('a notify of another program is left alone and reported', async (t) => {
  const dir = home(t);
  mkdirSync(join(dir, '.codex'));
  writeFileSync(join(dir, '.codex', 'config.toml'), 'notify = ["my-notifier"]\n');
  const run = await paneward(['hooks', 'install', 'codex'], { env: { HOME: dir, CODEX_HOME: '' } });
  assert.equal(run.code, 1);
  assert.match(run.stdout, /already has notify = \["my-notifier"\]/);
  assert.match(readFileSync(join(dir, '.codex', 'config.toml'), 'utf8'), /^notify = \["my-notifier"\]\n/);
});
