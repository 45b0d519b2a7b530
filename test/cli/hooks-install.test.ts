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

test('install again with another PANEWARD_URL moves paneward’s hooks there, after a backup, and leaves theirs', async (t) => {
  const dir = home(t);
  const settings = join(dir, '.claude', 'settings.json');
  mkdirSync(join(dir, '.claude'));
  writeFileSync(settings, JSON.stringify({ hooks: { Stop: [{ hooks: [THEIRS] }] } }));
  const first = await paneward(['hooks', 'install', 'claude-code'], { env: { HOME: dir, PANEWARD_URL: 'http://127.0.0.1:7811' } });
  assert.equal(first.code, 0, first.stderr);
  const moved = await paneward(['hooks', 'install', 'claude-code'], { env: { HOME: dir, PANEWARD_URL: 'http://127.0.0.1:7812/' } });
  assert.equal(moved.code, 0, moved.stderr);
  assert.match(moved.stdout, /moved paneward's hooks for .*Stop.* to http:\/\/127\.0\.0\.1:7812/);
  const text = readFileSync(settings, 'utf8');
  assert.ok(!text.includes(':7811'), 'no hook left on the old URL');
  const after = JSON.parse(text);
  assert.deepEqual(after.hooks.Stop[0], { hooks: [THEIRS] });
  assert.equal(after.hooks.Stop.length, 2, 'updated in place, not added twice');
  assert.equal(after.hooks.Stop[1].hooks[0].url, 'http://127.0.0.1:7812/v1/hooks/claude-code');
  assert.equal(readdirSync(join(dir, '.claude')).filter((f) => f.endsWith('.bak')).length, 2, 'a backup before each change');
  const same = await paneward(['hooks', 'install', 'claude-code'], { env: { HOME: dir, PANEWARD_URL: 'http://127.0.0.1:7812' } });
  assert.match(same.stdout, /nothing changed/);
});

test('with PANEWARD_URL set, codex’s notify and command hooks carry the URL (the agent’s environment may lack it)', async (t) => {
  const dir = home(t);
  const env = (url: string) => ({ HOME: dir, CODEX_HOME: '', PANEWARD_URL: url });
  const first = await paneward(['hooks', 'install', 'codex'], { env: env('http://127.0.0.1:7811') });
  assert.equal(first.code, 0, first.stderr + first.stdout);
  const toml = () => readFileSync(join(dir, '.codex', 'config.toml'), 'utf8');
  const hooks = () => JSON.parse(readFileSync(join(dir, '.codex', 'hooks.json'), 'utf8')).hooks;
  assert.match(toml(), /^notify = \[".*paneward(\.js)?", "hook", "codex", "--url", "http:\/\/127\.0\.0\.1:7811"\]\n/);
  assert.match(hooks().Stop[0].hooks[0].command, /hook codex --url http:\/\/127\.0\.0\.1:7811$/);
  const moved = await paneward(['hooks', 'install', 'codex'], { env: env('http://127.0.0.1:7812') });
  assert.equal(moved.code, 0, moved.stderr + moved.stdout);
  assert.match(toml(), /^notify = \[.*"--url", "http:\/\/127\.0\.0\.1:7812"\]\n/);
  assert.equal(toml().match(/^notify/gm)?.length, 1);
  assert.match(hooks().Stop[0].hooks[0].command, /--url http:\/\/127\.0\.0\.1:7812$/);
  assert.equal(hooks().Stop.length, 1);
});

test('settings that are not JSON are named and left alone', async (t) => {
  const dir = home(t);
  const settings = join(dir, '.gemini', 'settings.json');
  mkdirSync(join(dir, '.gemini'));
  writeFileSync(settings, '{ "theme": "dark", ');
  const run = await paneward(['hooks', 'install', 'gemini-cli'], { env: { HOME: dir } });
  assert.equal(run.code, 1);
  assert.ok(run.stderr.includes(settings), run.stderr);
  assert.match(run.stderr, /not valid JSON/);
  assert.equal(readFileSync(settings, 'utf8'), '{ "theme": "dark", ');
  const unknown = await paneward(['hooks', 'print', 'cursor'], {});
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown agent 'cursor'/);
});
