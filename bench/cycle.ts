// npm run bench -- cycle --agents N --store memory|redis [--strategy pool|exec] [--cycles K] [--json]
// A private tmux server with N panes behaving like agents (a tenth printing, the rest still), the real loop
// and the real store, one cycle per second. The same run repeats with the capture cache off as a baseline.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { buildApp } from '../src/app.ts';
import { configWith } from '../src/config.ts';
import type { CycleStats } from '../src/loop/poller.ts';
import { startPrivateRedis, type PrivateRedis } from '../test/helpers/redis.ts';
import { startPrivateTmux, type PrivateTmux } from '../test/helpers/tmux.ts';

const PRINTING = `sh -c 'i=0; while :; do i=$((i+1)); echo "working: step $i"; sleep 0.5; done'`;
const STILL = `sh -c 'seq 1 40; echo "> waiting for input"; exec sleep 100000'`;

/** N panes in one session, created in one tmux round trip from a sourced command file. */
async function buildFleet(tmux: PrivateTmux, n: number): Promise<void> {
  await tmux.newSession('bench', STILL, { width: 120, height: 40 });
  const lines: string[] = [];
  for (let i = 1; i < n; i++) lines.push(`new-window -d -t bench: "${i % 10 === 0 ? PRINTING : STILL}"`);
  const file = join(tmux.dir, 'fleet.conf');
  writeFileSync(file, `${lines.join('\n')}\n`);
  await tmux.tmux('source-file', file);
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface Run {
  p50_ms: number;
  p99_ms: number;
  captures_per_cycle: number;
  cache_hit_ratio: number;
  errors: number;
}

async function measure(
  tmux: PrivateTmux,
  redis: PrivateRedis | null,
  strategy: 'pool' | 'exec',
  cycles: number,
  captureCache: boolean,
): Promise<Run> {
  const config = configWith({
    sockets: [tmux.socket],
    strategy,
    redisUrl: redis?.url,
    monitorId: 'bench',
    logLevel: 'silent',
    captureMaxAgeMs: captureCache ? 10_000 : 0,
  });
  const app = await buildApp(config, { startLoop: false, logger: false });
  await app.ready();
  try {
    for (let i = 0; i < 3; i++) await app.poller.runNow(); // connect, first captures, first writes
    const stats: CycleStats[] = [];
    for (let i = 0; i < cycles; i++) {
      const started = Date.now();
      stats.push(await app.poller.runNow());
      await sleep(Math.max(0, 1000 - (Date.now() - started)));
    }
    const durations = stats.map((s) => s.durationMs).sort((a, b) => a - b);
    const panes = stats.reduce((n, s) => n + s.panes, 0);
    const hits = stats.reduce((n, s) => n + s.captureCacheHits, 0);
    return {
      p50_ms: percentile(durations, 50),
      p99_ms: percentile(durations, 99),
      captures_per_cycle: Math.round(stats.reduce((n, s) => n + s.captured, 0) / stats.length),
      cache_hit_ratio: panes === 0 ? 0 : Number((hits / panes).toFixed(3)),
      errors: stats.reduce((n, s) => n + s.errors.length, 0),
    };
  } finally {
    await app.close();
  }
}

export async function runCycleBench(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      agents: { type: 'string', default: '1000' },
      store: { type: 'string', default: 'memory' },
      strategy: { type: 'string', default: 'pool' },
      cycles: { type: 'string', default: '30' },
      json: { type: 'boolean', default: false },
    },
  });
  const agents = Number(values.agents);
  const cycles = Number(values.cycles);
  const store = values.store;
  const strategy = values.strategy;
  if (!Number.isInteger(agents) || agents < 1) throw new Error('--agents must be a positive integer');
  if (store !== 'memory' && store !== 'redis') throw new Error('--store must be memory or redis');
  if (strategy !== 'pool' && strategy !== 'exec') throw new Error('--strategy must be pool or exec');

  const tmux = await startPrivateTmux();
  const redis = store === 'redis' ? await startPrivateRedis() : null;
  const log = (msg: string) => process.stderr.write(`${msg}\n`);
  try {
    log(`building ${agents} panes…`);
    await buildFleet(tmux, agents);
    await sleep(1500);
    log(`measuring ${cycles} cycles (${strategy}, ${store} store, capture cache on)…`);
    const main = await measure(tmux, redis, strategy, cycles, true);
    log(`measuring ${cycles} cycles with the capture cache off (baseline)…`);
    const baseline = await measure(tmux, redis, strategy, cycles, false);
    const result = {
      bench: 'cycle',
      agents,
      store,
      strategy,
      ...main,
      baseline_no_capture_cache: baseline,
      speedup_p50: Number((baseline.p50_ms / Math.max(main.p50_ms, 0.001)).toFixed(2)),
    };
    if (!values.json) {
      log(`p50 ${main.p50_ms} ms, p99 ${main.p99_ms} ms, ${main.captures_per_cycle} captures/cycle, hit ratio ${main.cache_hit_ratio}`);
      log(`without capture cache: p50 ${baseline.p50_ms} ms, p99 ${baseline.p99_ms} ms`);
    }
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await redis?.cleanup();
    await tmux.cleanup();
  }
}
