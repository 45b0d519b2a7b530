// npm run bench -- events --agents N --clients C [--cycles K] [--encoding gzip|identity] [--json]
// A private tmux fleet of N agents (a tenth printing, as in the cycle bench), the real server with a private
// Redis, and C SSE clients of GET /v1/events on loopback in a child process, reading the stream as is (or, with
// --encoding gzip, compressed as browsers ask for it; then each client parses HTTP and gunzips, on the same cores). The loop runs at its one-second
// pace; K cycles without clients are the baseline, then K with them. Reports the time from each store write (its
// reply) to each client's receipt of the event, the cycle p50 both ways, and the server's RSS per client.
import { fork } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { buildApp } from '../src/app.ts';
import { configWith } from '../src/config.ts';
import { buildFleet, WARMUP_CYCLES } from './cycle.ts';
import { histogramBuckets, histogramPercentile, percentile } from './lib/stats.ts';
import { startPrivateRedis } from '../test/helpers/redis.ts';
import { startPrivateTmux } from '../test/helpers/tmux.ts';

const now = () => performance.timeOrigin + performance.now();
const DELIVERY_METRIC = 'paneward_events_delivery_seconds';
const round1 = (v: number) => Math.round(v * 10) / 10;

/** One cycle, then the rest of a one-second tick; resolves with the cycle's duration (ms). */
async function paced(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  const took = performance.now() - started;
  await sleep(Math.max(0, 1000 - took));
  return took;
}

/** RSS, and the memory live objects hold (JS heap in use plus buffers), after a full GC. */
function memoryAfterGc(): { rss: number; live: number } {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, live: m.heapUsed + m.external };
}

function ask<T>(child: ReturnType<typeof fork>, type: string, msg?: object): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: { type: string }) => {
      if (m.type !== type) return;
      child.off('message', on);
      resolve(m as T);
    };
    child.on('message', on);
    if (msg) child.send(msg);
  });
}

export async function runEventsBench(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { agents: { type: 'string', default: '1000' }, clients: { type: 'string', default: '1000' }, cycles: { type: 'string', default: '30' }, encoding: { type: 'string', default: 'identity' }, json: { type: 'boolean', default: false } },
  });
  const agents = Number(values.agents);
  const clients = Number(values.clients);
  const cycles = Number(values.cycles);
  const encoding = values.encoding;
  if (encoding !== 'identity' && encoding !== 'gzip') throw new Error(`--encoding: identity or gzip, not ${encoding}`);
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const redis = await startPrivateRedis();
  const tmux = await startPrivateTmux();
  let child: ReturnType<typeof fork> | null = null;
  try {
    await buildFleet(tmux, agents);
    const config = configWith({ sockets: [tmux.socket], redis: redis.url, monitorId: 'bench', logLevel: 'silent', eventsHeartbeatMs: 15_000 });
    const app = await buildApp(config, { startLoop: false, logger: false });
    const port = Number(new URL(await app.listen({ host: '127.0.0.1', port: 0 })).port);
    // When each version reached the store (the write's reply), and the seq the stream gave it.
    const wroteAt = new Map<string, number>();
    const write = app.store.write.bind(app.store);
    app.store.write = async (observations) => {
      const result = await write(observations);
      const at = now();
      for (const r of result.changed) wroteAt.set(`${r.id}\0${r.version}`, at);
      return result;
    };
    const writes = new Map<number, number>();
    const published: number[] = [];
    let measuring = false;
    app.events.subscribe(null, (e) => {
      if (e.type !== 'reset' && !e.stale) published.push(e.seq);
      if (!measuring || e.type !== 'agent' || e.stale) return;
      const at = wroteAt.get(`${e.agent.id}\0${e.agent.version}`);
      if (at !== undefined) writes.set(e.seq, at);
    });
    const cycleMs = async (n: number) => {
      const ms: number[] = [];
      for (let i = 0; i < n; i++) ms.push(await paced(() => app.poller.runNow()));
      return ms.sort((a, b) => a - b);
    };

    log(`events bench: ${agents} agents, ${clients} clients; warm-up`);
    await cycleMs(WARMUP_CYCLES);
    const memBefore = memoryAfterGc();
    log('baseline: no clients');
    const without = await cycleMs(cycles);

    log(`connecting ${clients} clients`);
    child = fork(new URL('./lib/sse-clients.ts', import.meta.url), [String(port), String(clients), encoding], { execArgv: ['--import', 'tsx'] });
    const readyP = ask<{ connected: number; snapshots: number; closed: number }>(child, 'ready');
    // The loop keeps its pace while clients connect.
    let connecting = true;
    const background = (async () => {
      while (connecting) await paced(() => app.poller.runNow());
    })();
    const ready = await readyP;
    connecting = false;
    await background;
    await cycleMs(3);
    const memWith = memoryAfterGc();

    log(`measuring with ${ready.snapshots} clients`);
    child.send({ type: 'start' });
    measuring = true;
    const cpuAtStart = process.cpuUsage();
    const deliveryBefore = await histogramBuckets(app.metrics.registry, DELIVERY_METRIC);
    const withClients = await cycleMs(cycles);
    measuring = false;
    await sleep(1000); // the last events' way to the clients
    const serverCpu = process.cpuUsage(cpuAtStart);
    const deliveryAfter = await histogramBuckets(app.metrics.registry, DELIVERY_METRIC);
    const report = await ask<{ cpuMs: number; latencies: [number, number, number]; received: number; expected: number; gaps: number; verified: number; closed: number }>(child, 'report', {
      type: 'report',
      writes: [...writes],
      published,
    });
    const cycleP50 = { without: round1(percentile(without, 50)), with: round1(percentile(withClients, 50)) };
    const result = {
      bench: 'events',
      agents,
      clients,
      encoding,
      cycles,
      events: writes.size,
      deliveries: { received: report.received, expected: report.expected, reads_verified: report.verified, reads_with_gaps: report.gaps, clients_cut: report.closed },
      latency_ms: { p50: round1(report.latencies[0]), p99: round1(report.latencies[1]), max: round1(report.latencies[2]) },
      // The server's part: from a change reaching its stream to the write to each client's socket (from the
      // histogram, so an estimate as fine as its buckets).
      server_handoff_ms: { p50: round1(histogramPercentile(deliveryBefore, deliveryAfter, 50)), p99: round1(histogramPercentile(deliveryBefore, deliveryAfter, 99)) },
      cycle_p50_ms: cycleP50,
      cycle_p50_ratio: Number((cycleP50.with / cycleP50.without).toFixed(3)),
      // CPU per measured cycle: the server (loop, Redis reader, fan-out) and the process all the clients share.
      cpu_ms_per_cycle: { server: round1((serverCpu.user + serverCpu.system) / 1000 / cycles), clients: round1(report.cpuMs / cycles) },
      rss_per_client_kb: round1((memWith.rss - memBefore.rss) / 1024 / Math.max(1, ready.snapshots)),
      // RSS also counts what the allocators keep after the snapshots' burst (it varies from run to run); the
      // memory live objects hold is what the clients cost.
      live_per_client_kb: round1((memWith.live - memBefore.live) / 1024 / Math.max(1, ready.snapshots)),
      rss_mb: { before: round1(memBefore.rss / 2 ** 20), with_clients: round1(memWith.rss / 2 ** 20) },
    };
    if (!values.json) log(JSON.stringify(result, null, 2));
    process.stdout.write(`${JSON.stringify(result)}\n`);
    child.kill();
    await app.close();
  } finally {
    child?.kill();
    await tmux.cleanup();
    await redis.cleanup();
  }
}
