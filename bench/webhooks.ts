// npm run bench -- webhooks [--deliveries N] [--rate R] [--json]
// Transitions at a steady rate R/s into the notifier (in-memory change stream), a real HTTP receiver on
// loopback: the time from the transition to the signed request's arrival (p50, p99, max) with the memory queue
// and with a real redis-server, against a baseline of plain signed POSTs of the same bodies in the same run.
import { Registry } from 'prom-client';
import { setTimeout as sleep } from 'node:timers/promises';
import { Notifier } from '../src/notify/notifier.ts';
import { RedisQueue } from '../src/notify/queue/redis.ts';
import { WebhooksFileSchema } from '../src/notify/schemas.ts';
import { signatureHeaders } from '../src/notify/send.ts';
import { startPrivateRedis } from '../test/helpers/redis.ts';
import { agent, Emitter, Receiver, SECRET } from '../test/notify/helpers.ts';
import { argValue, percentile } from './lib/stats.ts';

interface Latency {
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  delivered: number;
}

function summarize(times: number[]): Latency {
  const sorted = [...times].sort((a, b) => a - b);
  const r = (v: number) => Math.round(v * 100) / 100;
  return { p50_ms: r(percentile(sorted, 50)), p99_ms: r(percentile(sorted, 99)), max_ms: r(sorted.at(-1) ?? Number.NaN), delivered: times.length };
}

/** Calls `send(i)` n times at `rate` per second; resolves once every arrival was recorded. */
async function paced(n: number, rate: number, send: (i: number) => void, arrived: () => number): Promise<void> {
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    await sleep(Math.max(0, started + (i * 1000) / rate - performance.now()));
    send(i);
  }
  const deadline = Date.now() + 60_000;
  while (arrived() < n && Date.now() < deadline) await sleep(10);
}

async function baseline(receiver: Receiver, n: number, rate: number): Promise<Latency> {
  const times: number[] = [];
  const body = JSON.stringify({ type: 'agent.state_changed', data: { agent: agent() } });
  await paced(n, rate, (i) => {
    const sent = performance.now();
    const headers = { 'content-type': 'application/json', ...signatureHeaders(SECRET, `msg_base_${i}`, new Date(), body) };
    void fetch(`${receiver.url}/hook`, { method: 'POST', headers, body }).then(async (res) => {
      await res.body?.cancel();
      times.push(performance.now() - sent);
    });
  }, () => times.length);
  return summarize(times);
}

async function throughNotifier(receiver: Receiver, n: number, rate: number, redisUrl: string | null, monitor: string): Promise<Latency> {
  const config = WebhooksFileSchema.parse({ hooks: [{ name: 'bench', url: `${receiver.url}/hook`, secret: SECRET }] });
  const notifier = new Notifier({
    monitor,
    config: () => config,
    queue: redisUrl ? new RedisQueue({ redis: redisUrl, monitor, maxPending: n + 10 }) : null,
    maxPending: n + 10,
    registry: new Registry(),
    log: { info: () => undefined, warn: (m) => process.stderr.write(`${m}\n`) },
  });
  const stream = new Emitter();
  notifier.start(stream);
  const sentAt = new Map<string, number>();
  const times: number[] = [];
  receiver.onRequest = (r) => {
    const id = (JSON.parse(r.body) as { data: { agent: { id: string } } }).data.agent.id;
    const at = sentAt.get(id);
    if (at !== undefined) times.push(performance.now() - at);
  };
  await paced(n, rate, (i) => {
    const id = `${monitor}-bench-p${i}`;
    sentAt.set(id, performance.now());
    stream.transition(agent({ monitor, id }), 'working');
  }, () => times.length);
  receiver.onRequest = null;
  await notifier.close();
  return summarize(times);
}

const WARMUP = 200;

export async function runWebhooksBench(argv: string[]): Promise<void> {
  const n = Number(argValue(argv, 'deliveries', '1000'));
  const rate = Number(argValue(argv, 'rate', '200'));
  const receiver = new Receiver();
  await receiver.start();
  const redis = await startPrivateRedis();
  try {
    // Warm-up rounds, unmeasured: the first run of each path otherwise pays for JIT compilation and connections.
    await baseline(receiver, WARMUP, rate);
    await throughNotifier(receiver, WARMUP, rate, null, 'bench-warm-memory');
    await throughNotifier(receiver, WARMUP, rate, redis.url, 'bench-warm-redis');
    const base = await baseline(receiver, n, rate);
    const memory = await throughNotifier(receiver, n, rate, null, 'bench-memory');
    const inRedis = await throughNotifier(receiver, n, rate, redis.url, 'bench-redis');
    const ratio = (l: Latency) => Math.round((l.p50_ms / base.p50_ms) * 100) / 100;
    const result = { deliveries: n, rate_per_s: rate, baseline_post: base, memory, redis: inRedis, p50_ratio_memory: ratio(memory), p50_ratio_redis: ratio(inRedis) };
    if (!argv.includes('--json')) {
      process.stdout.write(`plain signed POST: p50 ${base.p50_ms} ms, p99 ${base.p99_ms} ms\n`);
      process.stdout.write(`notifier, memory queue: p50 ${memory.p50_ms} ms, p99 ${memory.p99_ms} ms, max ${memory.max_ms} ms\n`);
      process.stdout.write(`notifier, Redis queue: p50 ${inRedis.p50_ms} ms, p99 ${inRedis.p99_ms} ms, max ${inRedis.max_ms} ms\n`);
    }
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await receiver.stop();
    await redis.cleanup();
  }
}
