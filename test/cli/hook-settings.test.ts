// Moving paneward's installed hooks to another URL touches only entries exactly as paneward writes them, and of
// those only where they send: the user's own commands that run paneward, and their edits, stay theirs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { claudeHooks, commandHooks, mergeCodexToml, mergeHooks, tomlArray } from '../../src/cli/hook-settings.ts';

const BIN = '/opt/paneward/bin/paneward.js';
const A = 'http://127.0.0.1:7811';
const B = 'http://127.0.0.1:7812';

test('an http hook of paneward’s is moved by its URL alone: a timeout the user set stays', () => {
  const installed = claudeHooks(A);
  const edited = { hooks: { Stop: [{ hooks: [{ ...installed.Stop![0]!.hooks[0], timeout: 5 }] }] } };
  const { settings, updated } = mergeHooks(edited, { Stop: claudeHooks(B).Stop! }, 'claude-code', true);
  assert.deepEqual(updated, ['Stop']);
  const hook = (settings.hooks as any).Stop[0].hooks[0];
  assert.equal(hook.url, `${B}/v1/hooks/claude-code`);
  assert.equal(hook.timeout, 5);
});

test('without a URL asked for, hooks already installed stay where they go', () => {
  const settings = { hooks: claudeHooks(A) };
  const { added, updated } = mergeHooks(settings, claudeHooks('http://127.0.0.1:7700'), 'claude-code', false);
  assert.deepEqual([added, updated], [[], []]);
});

test('a second paneward the user already sends to is left beside the first', () => {
  const both = { hooks: { Stop: [{ hooks: [claudeHooks(A).Stop![0]!.hooks[0]!, claudeHooks(B).Stop![0]!.hooks[0]!] }] } };
  const { updated } = mergeHooks(both, { Stop: claudeHooks(B).Stop! }, 'claude-code', true);
  assert.deepEqual(updated, []);
});

test('a command of the user’s that runs paneward among other things is not rewritten', () => {
  const theirs = { hooks: { Stop: [{ hooks: [{ type: 'command', command: 'PANEWARD_HOOK_TOKEN=s3cret paneward hook codex' }] }] } };
  const { added, updated } = mergeHooks(theirs, commandHooks(['Stop'], `${BIN} hook codex --url ${B}`), 'codex', true);
  assert.deepEqual([added, updated], [[], []]);
  const ours = { hooks: commandHooks(['Stop'], `${BIN} hook codex --url ${A}`) };
  const moved = mergeHooks(ours, commandHooks(['Stop'], `${BIN} hook codex --url ${B}`), 'codex', true);
  assert.deepEqual(moved.updated, ['Stop']);
  assert.equal((moved.settings.hooks as any).Stop[0].hooks[0].command, `${BIN} hook codex --url ${B}`);
});

test('notify: paneward’s own line is moved; a fan-out, a multi-line array or a commented line is the user’s', () => {
  const wanted = [BIN, 'hook', 'codex', '--url', B];
  const own = mergeCodexToml(`notify = ${tomlArray([BIN, 'hook', 'codex', '--url', A])}\n`, wanted, true);
  assert.equal(own.toml.split('\n')[0], `notify = ${tomlArray(wanted)}`);
  assert.deepEqual(own.changed, ['notify', 'features.codex_hooks']);
  for (const theirs of [
    'notify = ["/home/me/bin/fanout", "my-notifier", "paneward", "hook", "codex"]\n',
    `notify = ["paneward", "hook", "codex",\n  "--url", "${A}"]\n`,
    `notify = ${tomlArray(['paneward', 'hook', 'codex'])} # to the laptop\n`,
  ]) {
    const merged = mergeCodexToml(theirs, wanted, true);
    assert.ok(merged.toml.startsWith(theirs), merged.toml);
    assert.ok(!merged.changed.includes('notify'));
    assert.equal(merged.conflict, null);
  }
  assert.ok(!mergeCodexToml(own.toml, [BIN, 'hook', 'codex'], false).changed.includes('notify'), 'no URL asked for: left');
});

test('a URL with $ patterns in it is written as it is', () => {
  const odd = [BIN, 'hook', 'codex', '--url', 'http://h:7700/a$&b$\'c'];
  const { toml } = mergeCodexToml(`notify = ${tomlArray([BIN, 'hook', 'codex'])}\n`, odd, true);
  assert.equal(toml.split('\n')[0], `notify = ${tomlArray(odd)}`);
});
