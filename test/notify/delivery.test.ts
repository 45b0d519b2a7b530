// Deliveries against a real HTTP receiver and a real redis-server: retries through failures and downtime,
// signatures, a restart with deliveries pending in Redis, and several instances on one Redis.
import assert from 'node:assert/strict';
import { after, before, test, type TestContext } from 'node:test';
import { Registry } from 'prom-client';
import { Redis } from 'ioredis';
import { Webhook } from 'standardwebhooks';
import { Notifier } from '../../src/notify/notifier.ts';
import { RedisQueue, WEBHOOK_KEY_PREFIX } from '../../src/notify/queue/redis.ts';
import { WebhooksFileSchema } from '../../src/notify/schemas.ts';
import { startPrivateRedis, type PrivateRedis } from '../helpers/redis.ts';
import { agent, Emitter, SECRET, startReceiver, waitFor, type Received, type Receiver } from './helpers.ts';

let redis: PrivateRedis;
before(async () => {
  redis = await startPrivateRedis();
});
after(() => redis.cleanup());

/** Retries every 100–400 ms: a two-second outage spans several attempts of each delivery. */
const FAST_RETRY = { firstDelayMs: 100, maxDelayMs: 400, retryForMs: 60_000, timeoutMs: 2000 };
const DOWN_MS = 2000;

interface Setup {
  monitor?: string;
  redis?: boolean;
  hooks?: Array<Record<string, unknown>>;
  stream?: Emitter;
}

function notifier(t: TestContext, receiver: Receiver, s: Setup & { timeoutMs?: number; maxPending?: number } = {}) {
  const monitor = s.monitor ?? 'mon-a';
  const config = WebhooksFileSchema.parse({
    hooks: s.hooks ?? [{ name: 'ops', url: `${receiver.url}/hook`, secret: SECRET }],
    retry: { ...FAST_RETRY, timeoutMs: s.timeoutMs ?? FAST_RETRY.timeoutMs },
  });
  const registry = new Registry();
  const logs: string[] = [];
  const n = new Notifier({
    monitor,
    config: () => config,
    queue: s.redis ? new RedisQueue({ redis: redis.url, monitor, maxPending: s.maxPending ?? 1000 }) : null,
    maxPending: s.maxPending ?? 1000,
    registry,
    log: { info: (m) => logs.push(m), warn: (m) => logs.push(m) },
    tickMs: 50,
  });
  const stream = s.stream ?? new Emitter();
  n.start(stream);
  let closed = false;
  const close = async () => {
    if (!closed) await n.close();
    closed = true;
  };
  t.after(close);
  return { notifier: n, stream, registry, logs, close };
}

function verify(r: Received): unknown {
  return new Webhook(SECRET).verify(r.body, {
    'webhook-id': String(r.headers['webhook-id']),
    'webhook-timestamp': String(r.headers['webhook-timestamp']),
    'webhook-signature': String(r.headers['webhook-signature']),
  });
}

/** webhook-id → how many times the receiver accepted it. */
function accepted(receiver: Receiver): Map<string, number> {
  const out = new Map<string, number>();
  receiver.requests.forEach((r, n) => {
    if (receiver.status(n) >= 300) return;
    const id = String(r.headers['webhook-id']);
    out.set(id, (out.get(id) ?? 0) + 1);
  });
  return out;
}

function agents(monitor: string, count: number) {
  return Array.from({ length: count }, (_, i) => agent({ monitor, id: `${monitor}-1a2b3c4d-p${i}`, target: `work:${i}.0` }));
}

async function failThenGoDown(t: TestContext, storeInRedis: boolean) {
  const receiver = await startReceiver(t);
  const okFrom = { n: Number.POSITIVE_INFINITY };
  receiver.status = (n) => (n < 3 || n < okFrom.n ? 500 : 200);
  const { notifier: n, stream, registry } = notifier(t, receiver, { redis: storeInRedis });
  const fleet = agents('mon-a', 5);
  for (const a of fleet) stream.transition(a, 'working');

  await waitFor('the first failed requests', () => receiver.requests.length >= 3);
  await receiver.stop();
  const failuresBefore = n.report('ops').failures;
  await new Promise((r) => setTimeout(r, DOWN_MS));
  const refused = n.report('ops').failures - failuresBefore;
  assert.ok(refused >= 3 * fleet.length, `only ${refused} attempts while the receiver was down`);
  assert.match(n.report('ops').lastDelivery!.error!, /ECONNREFUSED/);
  assert.equal(n.report('ops').queueDepth, fleet.length);

  okFrom.n = receiver.requests.length;
  await receiver.start();
  await waitFor('every delivery', () => accepted(receiver).size === fleet.length);
  await waitFor('an empty queue', () => n.report('ops').queueDepth === 0);
  await new Promise((r) => setTimeout(r, 500));

  const ids = accepted(receiver);
  assert.deepEqual([...ids.values()], fleet.map(() => 1), 'each webhook-id accepted once');
  const failedIds = new Set(receiver.requests.slice(0, okFrom.n).map((r) => String(r.headers['webhook-id'])));
  for (const id of failedIds) assert.ok(ids.has(id), `a retry changed webhook-id ${id}`);
  const targets = receiver.requests.filter((_, i) => i >= okFrom.n).map((r) => (verify(r) as { data: { agent: { target: string } } }).data.agent.target);
  assert.deepEqual(targets.sort(), fleet.map((a) => a.target).sort());
  const metrics = await registry.metrics();
  assert.match(metrics, /paneward_webhook_deliveries_total\{hook="ops",result="ok"\} 5/);
  assert.match(metrics, /paneward_webhook_queue_depth\{hook="ops"\} 0/);
  assert.match(metrics, /paneward_webhook_delivery_duration_seconds_count\{hook="ops"\} \d+/);
}

test('a receiver that fails its first requests and then is down still gets every delivery once per webhook-id, signed (memory queue)', async (t) => {
  await failThenGoDown(t, false);
});

test('the same with the deliveries pending in Redis', async (t) => {
  await failThenGoDown(t, true);
});

for (const storeInRedis of [false, true]) {
  test(`a full queue (${storeInRedis ? 'Redis' : 'memory'}) drops new deliveries and counts them`, async (t) => {
    const receiver = await startReceiver(t);
    receiver.status = () => 503;
    const { stream, notifier: n, registry } = notifier(t, receiver, { redis: storeInRedis, monitor: `full-${storeInRedis}`, maxPending: 2 });
    for (const a of agents(`full-${storeInRedis}`, 5)) stream.transition(a, 'working');
    await waitFor('the drops counted', () => n.report('ops').dropped === 3);
    await waitFor('the depth read', () => n.report('ops').queueDepth === 2);
    assert.match(await registry.metrics(), /paneward_webhook_deliveries_total\{hook="ops",result="dropped"\} 3/);
  });
}

test('a tampered body or another secret fails verification', async (t) => {
  const receiver = await startReceiver(t);
  const { stream } = notifier(t, receiver);
  stream.transition(agent(), 'working');
  await waitFor('the delivery', () => receiver.requests.length === 1);
  const r = receiver.requests[0]!;
  assert.ok(verify(r));
  assert.throws(() => verify({ ...r, body: r.body.replace('waiting', 'idle') }), /signature/i);
  const other = `whsec_${Buffer.from('another-secret-of-32-bytes-long!').toString('base64')}`;
  assert.throws(() => new Webhook(other).verify(r.body, r.headers as Record<string, string>), /signature/i);
});

test('a restart of paneward with deliveries pending in Redis delivers them', async (t) => {
  const receiver = await startReceiver(t);
  receiver.status = () => 503;
  const first = notifier(t, receiver, { redis: true, monitor: 'restart' });
  const fleet = agents('restart', 3);
  for (const a of fleet) first.stream.transition(a, 'working');
  await waitFor('failed attempts of every delivery', () => new Set(receiver.requests.map((r) => r.headers['webhook-id'])).size === 3);
  await first.close();

  const probe = new Redis(redis.port, '127.0.0.1');
  t.after(() => probe.disconnect());
  assert.equal(await probe.zcard(`${WEBHOOK_KEY_PREFIX}restart:due`), 3, 'pending in Redis after the close');

  const seen = receiver.requests.length;
  receiver.status = (n) => (n < seen ? 503 : 200);
  const second = notifier(t, receiver, { redis: true, monitor: 'restart' });
  await waitFor('the pending deliveries', () => accepted(receiver).size === 3);
  await waitFor('an empty queue', async () => (await probe.zcard(`${WEBHOOK_KEY_PREFIX}restart:due`)) === 0);
  assert.deepEqual([...accepted(receiver).values()], [1, 1, 1]);
  assert.equal(second.stream.subscribers, 1);
});

test('closing cuts an attempt in flight short and leaves it due: the next start sends it at once', async (t) => {
  const receiver = await startReceiver(t);
  receiver.status = (n) => (n === 0 ? 0 : 200);
  const first = notifier(t, receiver, { redis: true, monitor: 'cut', timeoutMs: 60_000 });
  first.stream.transition(agent({ monitor: 'cut', id: 'cut-1-p1' }), 'working');
  await waitFor('the attempt in flight', () => receiver.requests.length === 1);
  const closing = Date.now();
  await first.close();
  assert.ok(Date.now() - closing < 5000, 'close waited for the attempt');
  notifier(t, receiver, { redis: true, monitor: 'cut' });
  await waitFor('the delivery', () => receiver.requests.length === 2, 5000);
  assert.equal(receiver.requests[1]!.headers['webhook-id'], receiver.requests[0]!.headers['webhook-id']);
});

test('two monitors on one Redis and one fleet-wide stream notify each agent once, by its owner', async (t) => {
  const receiver = await startReceiver(t);
  const stream = new Emitter();
  notifier(t, receiver, { redis: true, monitor: 'two-a', stream });
  notifier(t, receiver, { redis: true, monitor: 'two-b', stream });
  const fleet = [...agents('two-a', 4), ...agents('two-b', 4)];
  for (const a of fleet) stream.transition(a, 'working');
  await waitFor('a notification per agent', () => accepted(receiver).size === fleet.length);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(receiver.requests.length, fleet.length);
  const notified = receiver.requests.map((r) => (verify(r) as { data: { agent: { id: string } } }).data.agent.id).sort();
  assert.deepEqual(notified, fleet.map((a) => a.id).sort());
});

test('two instances of one monitor on one Redis never send a delivery twice', async (t) => {
  const receiver = await startReceiver(t);
  receiver.status = (n) => (n % 3 === 0 ? 500 : 200);
  const stream = new Emitter();
  notifier(t, receiver, { redis: true, monitor: 'twin', stream });
  notifier(t, receiver, { redis: true, monitor: 'twin', stream });
  const fleet = agents('twin', 12);
  for (const a of fleet) stream.transition(a, 'working');
  await waitFor('every delivery', () => accepted(receiver).size === fleet.length);
  await new Promise((r) => setTimeout(r, 800));
  assert.deepEqual([...accepted(receiver).values()], fleet.map(() => 1));
});

test('a transition replayed to a restarted paneward is not sent again', async (t) => {
  const receiver = await startReceiver(t);
  const first = notifier(t, receiver, { redis: true, monitor: 'replay' });
  const a = agent({ monitor: 'replay', id: 'replay-1-p1' });
  first.stream.transition(a, 'working');
  await waitFor('the delivery', () => receiver.requests.length === 1);
  await waitFor('the delivery finished', () => first.notifier.report('ops').queueDepth === 0);
  await first.close();
  const second = notifier(t, receiver, { redis: true, monitor: 'replay' });
  second.stream.transition(a, 'working');
  second.stream.transition(agent({ ...a, id: 'replay-1-p2' }), 'working');
  await waitFor('the new agent delivered', () => receiver.requests.length >= 2);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(receiver.requests.length, 2);
});

test('slack and ntfy hooks post their bodies to the right URLs, with the hook headers', async (t) => {
  const receiver = await startReceiver(t);
  const { stream } = notifier(t, receiver, {
    hooks: [
      { name: 'slack', format: 'slack', url: `${receiver.url}/services/T0/B0/secret-token` },
      { name: 'ntfy', format: 'ntfy', url: `${receiver.url}/agents`, headers: { Authorization: 'Bearer tk_ntfy' } },
    ],
  });
  stream.transition(agent(), 'working');
  await waitFor('both deliveries', () => receiver.requests.length === 2);
  const slack = receiver.requests.find((r) => r.path.startsWith('/services'))!;
  assert.equal(JSON.parse(slack.body).text, 'claude-code in work:2.0 is waiting: Do you want to proceed?');
  const ntfy = receiver.requests.find((r) => r.path === '/')!;
  assert.equal(ntfy.headers.authorization, 'Bearer tk_ntfy');
  assert.deepEqual(JSON.parse(ntfy.body).topic, 'agents');
  assert.equal(slack.headers['webhook-signature'], undefined, 'unsigned without a secret');
});

test('no log line carries a hook URL or secret', async (t) => {
  const receiver = await startReceiver(t);
  receiver.status = () => 410;
  const { stream, logs } = notifier(t, receiver, { hooks: [{ name: 'slack', format: 'slack', url: `${receiver.url}/services/T0/B0/secret-token`, secret: SECRET }] });
  stream.transition(agent(), 'working');
  await waitFor('the give-up log line', () => logs.some((l) => l.includes('rejected')));
  assert.equal(receiver.requests.length, 1, '410 Gone is not retried');
  for (const l of logs) assert.doesNotMatch(l, /secret-token|whsec_|127\.0\.0\.1/, l);
});

test('while Redis is away new deliveries wait in memory and are still sent', async (t) => {
  const receiver = await startReceiver(t);
  const { stream, logs, notifier: n } = notifier(t, receiver, { redis: true, monitor: 'outage' });
  stream.transition(agent({ monitor: 'outage', id: 'outage-1-p1' }), 'working');
  await waitFor('the delivery through Redis', () => receiver.requests.length === 1);
  await redis.stop();
  try {
    stream.transition(agent({ monitor: 'outage', id: 'outage-1-p2' }), 'working');
    await waitFor('the delivery through memory', () => receiver.requests.length === 2);
    assert.ok(verify(receiver.requests[1]!));
    await waitFor('the outage logged', () => logs.some((l) => /queue \(redis\) unavailable/.test(l)));
  } finally {
    await redis.start();
  }
  await waitFor('the queue back', () => logs.some((l) => /queue \(redis\) answers again/.test(l)));
  assert.equal(n.report('ops').delivered, 2);
});
