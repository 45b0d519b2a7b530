import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { loadWebhooksFile, watchWebhooksFile, WebhooksFileError } from '../../src/notify/load.ts';
import { hooksFile, SECRET, waitFor } from './helpers.ts';

const ok = (over: Record<string, unknown> = {}) => ({ name: 'ops', url: 'https://example.org/hook', secret: SECRET, ...over });

function loadError(path: string): string {
  try {
    loadWebhooksFile(path);
  } catch (err) {
    assert.ok(err instanceof WebhooksFileError, `not a WebhooksFileError: ${err}`);
    return (err as Error).message;
  }
  assert.fail('the file was accepted');
}

test('a valid file gets its defaults: format json, afterMs and cooldownMs 0, a retry schedule of at least 30 minutes', (t) => {
  const config = loadWebhooksFile(hooksFile(t, { hooks: [ok()] }));
  assert.equal(config.hooks[0]!.format, 'json');
  assert.equal(config.hooks[0]!.afterMs, 0);
  assert.equal(config.hooks[0]!.cooldownMs, 0);
  assert.ok(config.retry.retryForMs >= 30 * 60_000);
});

test('a bad url names the entry by index and hook name', (t) => {
  const path = hooksFile(t, { hooks: [ok({ name: 'a' }), ok({ name: 'b' }), ok({ name: 'team', url: 'ftp://example.org/x' })] });
  assert.match(loadError(path), /^WEBHOOKS_FILE hooks\[2\]\.url \(hook "team"\): an http:\/\/ or https:\/\/ URL/);
});

test('a json hook without a secret is refused, naming hooks[0].secret', (t) => {
  const { secret: _, ...noSecret } = ok();
  assert.match(loadError(hooksFile(t, { hooks: [noSecret] })), /WEBHOOKS_FILE hooks\[0\]\.secret \(hook "ops"\): required for format json/);
});

test('slack and ntfy hooks need no secret', (t) => {
  const config = loadWebhooksFile(hooksFile(t, { hooks: [{ name: 's', url: 'https://hooks.slack.com/services/T/B/x', format: 'slack' }, { name: 'n', url: 'https://ntfy.sh/topic', format: 'ntfy' }] }));
  assert.deepEqual(config.hooks.map((h) => h.format), ['slack', 'ntfy']);
});

test('an ntfy hook needs a topic in its URL', (t) => {
  const path = hooksFile(t, { hooks: [{ name: 'phone', url: 'https://ntfy.sh/', format: 'ntfy' }] });
  assert.match(loadError(path), /hooks\[0\]\.url \(hook "phone"\): an ntfy topic URL/);
});

test('a secret that is not whsec_ base64 is refused and not repeated in the message', (t) => {
  const message = loadError(hooksFile(t, { hooks: [ok({ secret: 'whsec_tooshort-but-secret' })] }));
  assert.match(message, /hooks\[0\]\.secret/);
  assert.doesNotMatch(message, /tooshort/);
});

test('unknown fields, unknown states and empty filters are refused with their path', (t) => {
  assert.match(loadError(hooksFile(t, { hooks: [ok({ state: ['waiting'] })] })), /hooks\[0\].*state/);
  assert.match(loadError(hooksFile(t, { hooks: [ok({ states: ['asleep'] })] })), /hooks\[0\]\.states\[0\]/);
  assert.match(loadError(hooksFile(t, { hooks: [ok({ kinds: [] })] })), /hooks\[0\]\.kinds \(hook "ops"\): leave it out/);
  assert.match(loadError(hooksFile(t, { hooks: [ok({ afterMs: -1 })] })), /hooks\[0\]\.afterMs/);
});

test('two hooks with one name are refused', (t) => {
  assert.match(loadError(hooksFile(t, { hooks: [ok(), ok()] })), /hooks\[1\]\.name: name "ops" is used twice/);
});

test('YAML by extension, and YAML syntax errors say so', (t) => {
  const yaml = `hooks:\n  - name: team\n    url: https://hooks.slack.com/services/T0/B0/xyz\n    format: slack\n    states: [waiting, error]\n    afterMs: 5000\n`;
  const config = loadWebhooksFile(hooksFile(t, yaml, 'hooks.yaml'));
  assert.deepEqual(config.hooks[0]!.states, ['waiting', 'error']);
  assert.equal(config.hooks[0]!.afterMs, 5000);
  assert.match(loadError(hooksFile(t, 'hooks: [ {', 'hooks.yml')), /^WEBHOOKS_FILE: .* is not valid YAML/);
  assert.match(loadError(hooksFile(t, '{"hooks": [', 'hooks.json')), /^WEBHOOKS_FILE: .* is not valid JSON/);
});

test('a missing file is named', () => {
  assert.match(loadError('/nonexistent/paneward-hooks.json'), /cannot read \/nonexistent\/paneward-hooks.json: ENOENT/);
});

test('a changed file is reloaded; a bad change keeps the previous hooks and says why', async (t) => {
  const path = hooksFile(t, { hooks: [ok({ name: 'first' })] });
  const logs: string[] = [];
  const watched = watchWebhooksFile(path, { onChange: () => undefined, log: (m, level) => logs.push(`${level ?? 'info'}: ${m}`) });
  t.after(() => watched.close());
  assert.equal(watched.current().hooks[0]!.name, 'first');

  writeFileSync(path, JSON.stringify({ hooks: [ok({ name: 'second' })] }));
  await waitFor('the new hook', () => watched.current().hooks[0]?.name === 'second');

  writeFileSync(path, JSON.stringify({ hooks: [ok({ name: 'third', url: 'nope' })] }));
  await waitFor('the rejection', () => watched.lastError() !== null);
  assert.equal(watched.current().hooks[0]!.name, 'second');
  assert.match(watched.lastError()!, /hooks\[0\]\.url \(hook "third"\)/);
  assert.ok(logs.some((l) => l.startsWith('warn: ') && l.includes('keeping the previous hooks')), `a rejection is a warning: ${logs.join('\n')}`);
  assert.ok(logs.some((l) => l.startsWith('info: webhooks reloaded')), logs.join('\n'));
});
