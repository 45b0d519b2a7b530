import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { buildApp } from '../../src/app.ts';
import { configWith, type Config } from '../../src/config.ts';
import { genericDetector, TOKEN } from '../api/helper.ts';
import { FakeTmuxServer } from '../helpers/fake-tmux.ts';
import { agent, Emitter, hooksFile, SECRET, startReceiver, waitFor } from './helpers.ts';

async function app(t: TestContext, config: Partial<Config>, stream = new Emitter()) {
  const a = await buildApp(configWith({ monitorId: 'mon-a', ...config }), {
    servers: [new FakeTmuxServer()],
    startLoop: false,
    logger: false,
    detector: genericDetector(),
    changeSource: stream,
  });
  t.after(() => a.close());
  await a.ready();
  return a;
}

test('GET /v1/webhooks without WEBHOOKS_FILE: no hooks', async (t) => {
  const a = await app(t, {});
  const res = await a.inject('/v1/webhooks');
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json(), { file: null, queue: null, loadedAt: null, reloadError: null, hooks: [] });
});

test('GET /v1/webhooks: filters, last delivery, failures and queue depth, and no secret, header value or URL path', async (t) => {
  const receiver = await startReceiver(t);
  const path = hooksFile(t, {
    hooks: [
      { name: 'ops', url: `${receiver.url}/hook?token=url-secret`, secret: SECRET, states: ['waiting'], afterMs: 0, cooldownMs: 5000, headers: { 'X-Api-Key': 'header-secret' } },
      { name: 'team', url: 'https://hooks.slack.com/services/T0/B0/slack-secret', format: 'slack', kinds: ['codex'] },
    ],
  });
  const stream = new Emitter();
  const a = await app(t, { webhooksFile: path }, stream);
  stream.transition(agent(), 'working');
  await waitFor('the delivery', () => receiver.requests.length === 1);
  await waitFor('the delivery recorded', async () => {
    const ops = (await a.inject('/v1/webhooks')).json().hooks[0];
    return ops.delivered === 1 && ops.queueDepth === 0;
  });

  const res = await a.inject('/v1/webhooks');
  assert.equal(res.statusCode, 200);
  const body = res.json();
  assert.equal(body.file, path);
  assert.equal(body.queue, 'memory');
  assert.equal(body.reloadError, null);
  const [ops, team] = body.hooks;
  assert.equal(ops.target, receiver.url);
  assert.deepEqual(ops.filters, { states: ['waiting'], kinds: null, sessions: null, monitors: null });
  assert.equal(ops.signed, true);
  assert.equal(ops.cooldownMs, 5000);
  assert.equal(ops.lastDelivery.status, 200);
  assert.equal(ops.lastDelivery.ok, true);
  assert.equal(ops.failures, 0);
  assert.equal(ops.queueDepth, 0);
  assert.equal(team.target, 'https://hooks.slack.com');
  assert.equal(team.format, 'slack');
  assert.equal(team.lastDelivery, null);
  assert.doesNotMatch(res.body, /whsec_|url-secret|header-secret|slack-secret|services/);

  const metrics = (await a.inject('/metrics')).body;
  assert.match(metrics, /paneward_webhook_deliveries_total\{hook="ops",result="ok"\} 1/);
  assert.match(metrics, /paneward_webhook_queue_depth\{hook="team"\} 0/);
});

test('GET /v1/webhooks needs the API token like the rest of /v1, and takes no query', async (t) => {
  const a = await app(t, { apiToken: TOKEN });
  assert.equal((await a.inject('/v1/webhooks')).statusCode, 401);
  const ok = await a.inject({ url: '/v1/webhooks', headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(ok.statusCode, 200);
  const bad = await a.inject({ url: '/v1/webhooks?verbose=1', headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(bad.statusCode, 400);
  assert.match(bad.json().message, /verbose/);
});

test('a bad WEBHOOKS_FILE stops the app from building, naming the entry', async (t) => {
  const path = hooksFile(t, { hooks: [{ name: 'x', url: 'https://example.org', secret: SECRET }, { name: 'y', url: 'mailto:a@b' }] });
  await assert.rejects(app(t, { webhooksFile: path }), /WEBHOOKS_FILE hooks\[1\]\.url \(hook "y"\)/);
});

test('hooks reloaded from a changed file take effect in the running app; a bad change is shown and keeps them', async (t) => {
  const receiver = await startReceiver(t);
  const path = hooksFile(t, { hooks: [{ name: 'before', url: `${receiver.url}/before`, secret: SECRET }] });
  const stream = new Emitter();
  const a = await app(t, { webhooksFile: path }, stream);
  const { writeFileSync } = await import('node:fs');
  writeFileSync(path, JSON.stringify({ hooks: [{ name: 'after', url: `${receiver.url}/after`, secret: SECRET }] }));
  await waitFor('the reload', async () => (await a.inject('/v1/webhooks')).json().hooks[0]?.name === 'after');
  stream.transition(agent(), 'working');
  await waitFor('the delivery', () => receiver.requests.length === 1);
  assert.equal(receiver.requests[0]!.path, '/after');

  writeFileSync(path, '{"hooks": [{"name": "broken"');
  await waitFor('the rejection', async () => (await a.inject('/v1/webhooks')).json().reloadError !== null);
  const body = (await a.inject('/v1/webhooks')).json();
  assert.match(body.reloadError, /not valid JSON/);
  assert.equal(body.hooks[0].name, 'after');
});
