// npm run bench -- cycle --agents N --store memory|redis [--strategy pool|exec] [--cycles K] [--baseline-cycles B] [--json]
// A private tmux server with N panes behaving like agents (a tenth printing, the rest still), the real loop
// and the real store, one cycle per second after ten warm-up cycles. The same run repeats with the capture cache
// off as a baseline. 200 cycles by default, so that p99 is the 99th percentile and not the slowest cycle (of 60
// cycles, the nearest-rank p99 is the maximum); the baseline is compared at p50 and gets 60.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { buildApp } from '../src/app.ts';
import { configWith } from '../src/config.ts';
import type { CycleStats } from '../src/loop/poller.ts';
import { percentile } from './lib/stats.ts';
import { startPrivateRedis, type PrivateRedis } from '../test/helpers/redis.ts';
import { startPrivateTmux, type PrivateTmux } from '../test/helpers/tmux.ts';

/** N panes in one session (a tenth printing, the rest still), created in one tmux round trip. */
export async function buildFleet(tmux: PrivateTmux, n: number): Promise<void> {
  // Scripts in files: tmux's config parser would expand $ and mangle nested quotes in inline commands.
  // The printer is one process, like an agent: a shell loop forking `sleep` 200 times a second across the fleet
  // cost this 2-core machine about a core (4-5 ms per fork) and measured the fleet instead of the monitor.
  const printing = join(tmux.dir, 'printing.pl');
  const still = join(tmux.dir, 'still.sh');
  writeFileSync(printing, '$| = 1;\nfor (my $i = 1; ; $i++) { print "working: step $i\\n"; select(undef, undef, undef, 0.5); }\n');
  writeFileSync(still, 'seq 1 40\necho "> waiting for input"\nexec sleep 100000\n');
  await tmux.newSession('bench', `sh ${still}`, { width: 120, height: 40 });
  const lines: string[] = [];
  for (let i = 1; i < n; i++) lines.push(`new-window -d -t bench: '${i % 10 === 0 ? `perl ${printing}` : `sh ${still}`}'`);
  const file = join(tmux.dir, 'fleet.conf');
  writeFileSync(file, `${lines.join('\n')}\n`);
  await tmux.tmux('source-file', file);
  const panes = (await tmux.tmux('list-panes', '-s', '-t', 'bench', '-F', '#{pane_id}')).trim().split('\n');
  if (panes.length !== n) throw new Error(`built ${panes.length} panes, wanted ${n}`);
}

export const WARMUP_CYCLES = 10;

/** Runs `fn`, then sleeps out the rest of a one-second tick like the loop does; resolves with fn's duration (ms). */
async function paced(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  const took = performance.now() - started;
  await sleep(Math.max(0, 1000 - took));
  return took;
}

const median = (values: number[]) => percentile([...values].sort((a, b) => a - b), 50);
/** Milliseconds to one decimal. */
const round1 = (v: number) => Math.round(v * 10) / 10;

/** One measured cycle: how long the caller waited for it, and what it reported. */
export interface CycleSample {
  ms: number;
  stats: CycleStats;
}

/** Percentiles of the cycles' durations and per-cycle averages of what they did. */
export function summarize(samples: readonly CycleSample[]) {
  const durations = samples.map((s) => s.ms).sort((a, b) => a - b);
  const stats = samples.map((s) => s.stats);
  const perCycle = (f: (s: CycleStats) => number) => stats.reduce((n, s) => n + f(s), 0) / stats.length;
  const panes = stats.reduce((n, s) => n + s.panes, 0);
  const hits = stats.reduce((n, s) => n + s.captureCacheHits, 0);
  return {
    cycles: samples.length,
    p50_ms: round1(percentile(durations, 50)),
    p90_ms: round1(percentile(durations, 90)),
    p99_ms: round1(percentile(durations, 99)),
    max_ms: round1(durations[durations.length - 1]!),
    captures_per_cycle: Math.round(perCycle((s) => s.captured)),
    /** Captures asked with the list (panes on a streak of changes), and those of them not used. */
    prefetched_per_cycle: Math.round(perCycle((s) => s.prefetched)),
    prefetch_unused_per_cycle: Number(perCycle((s) => s.prefetchUnused).toFixed(2)),
    cache_hit_ratio: panes === 0 ? 0 : Number((hits / panes).toFixed(3)),
    errors: stats.reduce((n, s) => n + s.errors.length, 0),
    phases_p50_ms: {
      list: median(stats.map((s) => s.phases.listMs)),
      capture: median(stats.map((s) => s.phases.captureMs)),
      classify: median(stats.map((s) => s.phases.classifyMs)),
      store: median(stats.map((s) => s.phases.storeMs)),
    },
  };
}

type Run = ReturnType<typeof summarize> & {
  /** CPU per cycle of this process (the monitor) and of the tmux server: speed bought with CPU shows here. */
  cpu_ms_per_cycle: { monitor: number; tmux: number };
};

/** utime + stime of a process in ms, from /proc (clock ticks of 10 ms on Linux). */
function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function measure(
  tmux: PrivateTmux,
  redis: PrivateRedis | null,
  strategy: 'pool' | 'exec',
  cycles: number,
  captureCache: boolean,
): Promise<Run> {
  const defaults = configWith();
  const config = configWith({
    sockets: [tmux.socket],
    strategy,
    redis: redis?.url,
    monitorId: 'bench',
    logLevel: 'silent',
    captureMaxAgeMs: captureCache ? defaults.captureMaxAgeMs : 0,
  });
  const app = await buildApp(config, { startLoop: false, logger: false });
  await app.ready();
  try {
    // Warm-up at the loop's pace: connect, first captures and writes, and the fleet's first seconds (a young
    // process's command line is read again at each check until it is 5 s old).
    for (let i = 0; i < WARMUP_CYCLES; i++) await paced(() => app.poller.runNow());
    const samples: CycleSample[] = [];
    const tmuxPid = Number((await tmux.tmux('display-message', '-p', '#{pid}')).trim());
    // CPU over the whole window, so work done between cycles (refreshes of quiet panes) counts too.
    const monitorCpuBefore = process.cpuUsage();
    const tmuxCpuBefore = processCpuMs(tmuxPid);
    for (let i = 0; i < cycles; i++) {
      let stats: CycleStats | undefined;
      const ms = await paced(async () => void (stats = await app.poller.runNow()));
      samples.push({ ms, stats: stats! });
    }
    const used = process.cpuUsage(monitorCpuBefore);
    const monitorCpu = (used.user + used.system) / 1000;
    const tmuxCpu = processCpuMs(tmuxPid) - tmuxCpuBefore;
    return { ...summarize(samples), cpu_ms_per_cycle: { monitor: round1(monitorCpu / cycles), tmux: round1(tmuxCpu / cycles) } };
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
      cycles: { type: 'string', default: '200' },
      'baseline-cycles': { type: 'string', default: '60' },
      json: { type: 'boolean', default: false },
    },
  });
  const agents = Number(values.agents);
  const cycles = Number(values.cycles);
  const baselineCycles = Number(values['baseline-cycles']);
  const store = values.store;
  const strategy = values.strategy;
  if (!Number.isInteger(agents) || agents < 1) throw new Error('--agents must be a positive integer');
  if (!Number.isInteger(cycles) || cycles < 1) throw new Error('--cycles must be a positive integer');
  if (!Number.isInteger(baselineCycles) || baselineCycles < 1) throw new Error('--baseline-cycles must be a positive integer');
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
    log(`measuring ${baselineCycles} cycles with the capture cache off (baseline)…`);
    const baseline = await measure(tmux, redis, strategy, baselineCycles, false);
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
      log(`p50 ${main.p50_ms} ms, p90 ${main.p90_ms} ms, p99 ${main.p99_ms} ms, max ${main.max_ms} ms, ${main.captures_per_cycle} captures/cycle, hit ratio ${main.cache_hit_ratio}`);
      log(`without capture cache: p50 ${baseline.p50_ms} ms, p99 ${baseline.p99_ms} ms`);
    }
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await redis?.cleanup();
    await killFleet(tmux);
  }
}

/**
 * Ends the fleet's server. kill-server takes tmux 3.3a minutes of CPU to close 1000 windows one by one, which would
 * weigh on whatever runs next; SIGKILL closes every pty at once and the kernel hangs up the panes' processes.
 */
export async function killFleet(tmux: PrivateTmux): Promise<void> {
  const pid = Number((await tmux.tmux('display-message', '-p', '#{pid}').catch(() => '')).trim());
  if (pid > 0) process.kill(pid, 'SIGKILL');
  await tmux.cleanup();
}
