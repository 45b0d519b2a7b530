// Webhooks end to end: two real monitors (full apps, their poll loops running) on one real redis-server watch
// one private tmux server; a pane that dies non-zero reaches the receiver once per agent, by its owner, signed;
// and one monitor with the embedded store, through the in-process stream.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { Webhook } from 'standardwebhooks';
import { buildApp } from '../../src/app.ts';
import { configWith } from '../../src/config.ts';
import { startPrivateRedis, type PrivateRedis } from '../helpers/redis.ts';
import { deadPane, startPrivateTmux, type PrivateTmux } from '../helpers/tmux.ts';
import { hooksFile, Receiver, SECRET, waitFor } from './helpers.ts';

let tmux: PrivateTmux;
let redis: PrivateRedis;
const receiver = new Receiver();
const apps: FastifyInstance[] = [];

before(async () => {
  tmux = await startPrivateTmux();
  await tmux.newSession('work', 'bash --norc --noprofile');
  redis = await startPrivateRedis();
  await receiver.start();
});

after(async () => {
  for (const app of apps) await app.close();
  await receiver.stop();
  await redis.cleanup();
  await tmux.cleanup();
});

test('a crashed pane is notified once per agent, by the monitor that owns it, signed', { timeout: 60_000 }, async (t) => {
  const file = hooksFile(t, {
    hooks: [{ name: 'crashes', url: `${receiver.url}/hook`, secret: SECRET, states: ['crashed'], sessions: ['work'] }],
  });
  for (const monitorId of ['e2e-a', 'e2e-b']) {
    const app = await buildApp(configWith({ sockets: [tmux.socket], pollIntervalMs: 250, monitorId, redis: redis.url, webhooksFile: file }), { logger: false });
    apps.push(app);
    await app.ready();
  }
  await deadPane(tmux, 'work', 'sh -c "exit 3"', '3');
  await waitFor('a notification from each monitor', () => receiver.requests.length >= 2, 30_000);
  await new Promise((r) => setTimeout(r, 2000));

  assert.equal(receiver.requests.length, 2, 'one delivery per agent');
  const events = receiver.requests.map(
    (r) => new Webhook(SECRET).verify(r.body, r.headers as Record<string, string>) as { data: { agent: { id: string; monitor: string; state: string }; summary: string } },
  );
  assert.deepEqual(events.map((e) => e.data.agent.monitor).sort(), ['e2e-a', 'e2e-b']);
  for (const e of events) {
    assert.equal(e.data.agent.state, 'crashed');
    assert.ok(e.data.agent.id.startsWith(`${e.data.agent.monitor}-`));
    assert.match(e.data.summary, /^\S+ in work:\d+\.0 is crashed/);
  }
  const status = (await apps[0]!.inject('/v1/webhooks')).json();
  assert.equal(status.queue, 'redis');
  assert.equal(status.hooks[0].delivered, 1);
});

test('with the embedded store, the in-process stream notifies the same way', { timeout: 60_000 }, async (t) => {
  const file = hooksFile(t, { hooks: [{ name: 'crashes', url: `${receiver.url}/embedded`, secret: SECRET, states: ['crashed'] }] });
  const app = await buildApp(configWith({ sockets: [tmux.socket], pollIntervalMs: 250, monitorId: 'e2e-mem', webhooksFile: file }), { logger: false });
  apps.push(app);
  await app.ready();
  const mine = () => receiver.requests.filter((r) => r.path === '/embedded');
  await waitFor('the crashed pane notified', () => mine().length >= 1, 30_000);
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(mine().length, 1);
  const event = new Webhook(SECRET).verify(mine()[0]!.body, mine()[0]!.headers as Record<string, string>) as { data: { agent: { monitor: string } } };
  assert.equal(event.data.agent.monitor, 'e2e-mem');
  assert.equal((await app.inject('/v1/webhooks')).json().queue, 'memory');
});
