// The shipped Prometheus files: the config and rules load in promtool, and every alert's unit tests pass.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const DIR = new URL('../../deploy/prometheus/', import.meta.url).pathname;

function promtool(...args: string[]) {
  const run = spawnSync('promtool', args, { encoding: 'utf8', cwd: DIR });
  assert.equal(run.error, undefined, 'promtool is installed (.ci/run installs prometheus)');
  return { ok: run.status === 0, output: `${run.stdout}${run.stderr}` };
}

test('deploy/prometheus/alerts.yml passes promtool check rules', () => {
  const { ok, output } = promtool('check', 'rules', 'alerts.yml');
  assert.ok(ok, output);
});

test('deploy/prometheus/prometheus.yml is a valid config that loads the alert rules', () => {
  const { ok, output } = promtool('check', 'config', 'prometheus.yml');
  assert.ok(ok, output);
  assert.match(output, /1 rule files found/);
});

test('every alert unit test in deploy/prometheus/*.test.yml passes (promtool test rules)', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.test.yml'));
  assert.ok(files.length > 0, 'there are rule tests');
  const { ok, output } = promtool('test', 'rules', ...files);
  assert.ok(ok, output);
});

test('every alert in alerts.yml has at least one unit test that expects it to fire', () => {
  const names = [...readFileSync(join(DIR, 'alerts.yml'), 'utf8').matchAll(/^\s+- alert: (\w+)$/gm)].map((m) => m[1]!);
  assert.ok(names.length >= 10, `alerts found: ${names.join(', ')}`);
  const tests = readdirSync(DIR).filter((f) => f.endsWith('.test.yml'));
  const testText = tests.map((f) => readFileSync(join(DIR, f), 'utf8')).join('\n');
  for (const name of names) {
    const firing = new RegExp(`alertname: ${name}\\n\\s+exp_alerts:\\n\\s+- exp_labels`);
    assert.match(testText, firing, `${name} has a test case where it fires`);
  }
});
