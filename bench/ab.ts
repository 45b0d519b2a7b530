// npm run bench -- ab --base DIR [--agents N] [--cycles K] [--store memory|redis] [--json]
// Two code trees' loops on one fleet, cycle by cycle in turn: this tree and DIR (another checkout, e.g.
// `git worktree add /tmp/base HEAD~1`, with node_modules). This VM's speed drifts by a third within an hour, so
// figures from two separate runs cannot tell a few milliseconds apart; alternating cycles on one fleet can.
// Both loops share one process and so one heap: a change to garbage collection needs separate runs instead.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { startPrivateRedis } from '../test/helpers/redis.ts';
import { startPrivateTmux } from '../test/helpers/tmux.ts';
import { buildFleet, killFleet, summarize, WARMUP_CYCLES, type CycleSample } from './cycle.ts';

const HERE = resolve(import.meta.dirname, '..');

async function appOf(root: string, config: Record<string, unknown>): Promise<FastifyInstance> {
  const { buildApp } = (await import(resolve(root, 'src/app.ts'))) as typeof import('../src/app.ts');
  const { configWith } = (await import(resolve(root, 'src/config.ts'))) as typeof import('../src/config.ts');
  const app = await buildApp(configWith(config), { startLoop: false, logger: false });
  await app.ready();
  return app;
}

export async function runAbBench(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      base: { type: 'string' },
      agents: { type: 'string', default: '1000' },
      cycles: { type: 'string', default: '100' },
      store: { type: 'string', default: 'redis' },
      json: { type: 'boolean', default: false },
    },
  });
  const agents = Number(values.agents);
  const cycles = Number(values.cycles);
  if (!values.base || !existsSync(resolve(values.base, 'src/app.ts'))) throw new Error('--base must be another checkout of paneward');
  if (!Number.isInteger(agents) || agents < 1) throw new Error('--agents must be a positive integer');
  if (!Number.isInteger(cycles) || cycles < 1) throw new Error('--cycles must be a positive integer');
  if (values.store !== 'memory' && values.store !== 'redis') throw new Error('--store must be memory or redis');
  const base = resolve(values.base);
  const log = (msg: string) => process.stderr.write(`${msg}\n`);

  const tmux = await startPrivateTmux();
  const redis = values.store === 'redis' ? await startPrivateRedis() : null;
  const apps: FastifyInstance[] = [];
  try {
    log(`building ${agents} panes…`);
    await buildFleet(tmux, agents);
    await sleep(1500);
    // Distinct monitor ids: each loop keeps its own agents, in one Redis.
    const common = { sockets: [tmux.socket], strategy: 'pool', redis: redis?.url, logLevel: 'silent' };
    apps.push(await appOf(base, { ...common, monitorId: 'base' }), await appOf(HERE, { ...common, monitorId: 'head' }));
    const samples: CycleSample[][] = [[], []];
    log(`alternating ${cycles} cycles each (${values.store} store): ${base} and ${HERE}…`);
    // Each loop cycles once a second, the two half a second apart, the first of each pair taking turns.
    for (let i = 0; i < WARMUP_CYCLES + cycles; i++) {
      for (const k of i % 2 === 0 ? [0, 1] : [1, 0]) {
        const started = performance.now();
        const stats = await apps[k]!.poller.runNow();
        const took = performance.now() - started;
        if (i >= WARMUP_CYCLES) samples[k]!.push({ ms: took, stats });
        await sleep(Math.max(0, 500 - took));
      }
    }
    const [b, h] = samples.map(summarize) as [ReturnType<typeof summarize>, ReturnType<typeof summarize>];
    const ratio = (key: 'p50_ms' | 'p90_ms' | 'p99_ms') => Number((b[key] / Math.max(h[key], 0.001)).toFixed(2));
    if (!values.json) {
      log(`base: p50 ${b.p50_ms} ms, p90 ${b.p90_ms} ms, p99 ${b.p99_ms} ms`);
      log(`head: p50 ${h.p50_ms} ms, p90 ${h.p90_ms} ms, p99 ${h.p99_ms} ms`);
    }
    const result = { bench: 'ab', agents, store: values.store, cycles, base, head: HERE, base_run: b, head_run: h };
    process.stdout.write(`${JSON.stringify({ ...result, speedup: { p50: ratio('p50_ms'), p90: ratio('p90_ms'), p99: ratio('p99_ms') } })}\n`);
  } finally {
    for (const app of apps) await app.close();
    await redis?.cleanup();
    await killFleet(tmux);
  }
}
