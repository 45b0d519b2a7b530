// npm run bench -- soak [--agents N] [--minutes M] [--sample-seconds S] [--scrape-seconds P] [--baseline-seconds B]
//                        [--warmup-seconds W] [--json]
// The real server as `npm start` runs it (a child process, with a private redis-server) on a private tmux fleet (a
// tenth printing) for M minutes, sampled every S seconds from /proc: node's memory and CPU, and the tmux server's
// CPU both before paneward attaches (B seconds, the baseline of the same fleet in the same run) and while it
// watches. /metrics (heap, cycles, skips, errors) is scraped every P seconds, as a Prometheus would: a scrape
// costs the server CPU, so scraping at every sample would measure the bench rather than the server.
// The last line on stdout is one JSON object; its figures cover the sampled span (after the warm-up), except
// cycles_skipped_before_sampling (start-up and warm-up).
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { freePort, startPrivateRedis, type PrivateRedis } from '../test/helpers/redis.ts';
import { startPrivateTmux, tmuxEnv, type PrivateTmux } from '../test/helpers/tmux.ts';
import { buildFleet, killFleet } from './cycle.ts';

const ROOT = resolve(import.meta.dirname, '..');
const MB = 1024 * 1024;
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

interface Options {
  agents: number;
  minutes: number;
  sampleSeconds: number;
  scrapeSeconds: number;
  baselineSeconds: number;
  warmupSeconds: number;
  json: boolean;
}

/** One reading of the server: its memory and the counters /metrics holds. */
interface Sample {
  at: number; // performance.now() ms
  rssMb: number;
  heapUsedMb: number;
  nodeCpuTicks: number;
  tmuxCpuTicks: number;
  cycles: number;
  cycleErrors: number;
  skipped: number;
  redisUp: boolean;
}

function options(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      agents: { type: 'string', default: '1000' },
      minutes: { type: 'string', default: '10' },
      'sample-seconds': { type: 'string', default: '5' },
      'scrape-seconds': { type: 'string', default: '15' },
      'baseline-seconds': { type: 'string', default: '60' },
      'warmup-seconds': { type: 'string', default: '30' },
      json: { type: 'boolean', default: false },
    },
  });
  const number = (name: string, v: string | undefined, min: number) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number ≥ ${min}`);
    return n;
  };
  return {
    agents: Math.floor(number('agents', values.agents, 1)),
    minutes: number('minutes', values.minutes, 0.5),
    sampleSeconds: number('sample-seconds', values['sample-seconds'], 1),
    scrapeSeconds: number('scrape-seconds', values['scrape-seconds'], 1),
    baselineSeconds: number('baseline-seconds', values['baseline-seconds'], 5),
    warmupSeconds: number('warmup-seconds', values['warmup-seconds'], 0),
    json: values.json,
  };
}

/** utime + stime of a process, in clock ticks (/proc/<pid>/stat fields 14 and 15, after the command in parens). */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function rssMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
}

/** Percent of one core a process used between two readings. */
function cpuPercent(ticksBefore: number, ticksAfter: number, msBetween: number): number {
  return ((ticksAfter - ticksBefore) / CLOCK_TICKS / (msBetween / 1000)) * 100;
}

/** Sum of a metric's samples in a Prometheus exposition, those whose labels contain `labelPart` when given. */
function metricSum(body: string, name: string, labelPart = ''): number {
  let sum = 0;
  for (const line of body.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== ' ' && line[name.length] !== '{')) continue;
    if (labelPart && !line.includes(labelPart)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

function startServer(port: number, socket: string, redisUrl: string): ChildProcess {
  // As `npm start` runs it: node with --expose-gc, TypeScript through tsx.
  return spawn(process.execPath, ['--expose-gc', '--import', 'tsx', 'src/cli/main.ts', 'serve'], {
    cwd: ROOT,
    env: { ...tmuxEnv(), PORT: String(port), HOST: '127.0.0.1', TMUX_SOCKETS: socket, REDIS_URL: redisUrl, MONITOR_ID: 'soak', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

async function waitReady(base: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode} before it was ready`);
    const ok = await fetch(`${base}/readyz`).then((r) => r.ok, () => false);
    if (ok) return;
    await sleep(250);
  }
  throw new Error('the server was not ready within 60 s');
}

/** The last /metrics exposition, scraped again once `everyMs` passed. */
function scraper(base: string, everyMs: number): () => Promise<string> {
  let body = '';
  let at = -Infinity;
  return async () => {
    if (performance.now() - at >= everyMs) {
      body = await (await fetch(`${base}/metrics`)).text();
      at = performance.now();
    }
    return body;
  };
}

async function sample(scrape: () => Promise<string>, nodePid: number, tmuxPid: number): Promise<Sample> {
  const body = await scrape();
  return {
    at: performance.now(),
    rssMb: rssMb(nodePid),
    heapUsedMb: metricSum(body, 'nodejs_heap_size_used_bytes') / MB,
    nodeCpuTicks: cpuTicks(nodePid),
    tmuxCpuTicks: cpuTicks(tmuxPid),
    cycles: metricSum(body, 'paneward_cycles_total'),
    cycleErrors: metricSum(body, 'paneward_cycles_total', 'result="error"'),
    skipped: metricSum(body, 'paneward_cycles_skipped_total'),
    redisUp: metricSum(body, 'paneward_redis_up') === 1,
  };
}

/** The tmux server's CPU over `seconds` with nothing attached to it but the fleet. */
async function tmuxBaseline(tmuxPid: number, seconds: number): Promise<number> {
  const before = cpuTicks(tmuxPid);
  const started = performance.now();
  await sleep(seconds * 1000);
  return cpuPercent(before, cpuTicks(tmuxPid), performance.now() - started);
}

async function stopServer(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  child.kill('SIGTERM');
  const code = await Promise.race([exited, sleep(15_000).then(() => 'timeout' as const)]);
  if (code !== 'timeout') return code;
  child.kill('SIGKILL');
  return exited;
}

const round = (v: number, places = 1) => Math.round(v * 10 ** places) / 10 ** places;

function summary(opts: Options, samples: Sample[], tmuxIdlePercent: number, exitCode: number | null) {
  const first = samples[0]!;
  const last = samples.at(-1)!;
  const ms = last.at - first.at;
  const tmuxWatched = cpuPercent(first.tmuxCpuTicks, last.tmuxCpuTicks, ms);
  return {
    bench: 'soak',
    agents: opts.agents,
    minutes: round(ms / 60_000, 2),
    samples: samples.length,
    rss_mb: {
      start: round(first.rssMb),
      end: round(last.rssMb),
      max: round(Math.max(...samples.map((s) => s.rssMb))),
      end_vs_start_pct: round(((last.rssMb - first.rssMb) / first.rssMb) * 100),
    },
    heap_used_mb: { start: round(first.heapUsedMb), end: round(last.heapUsedMb), max: round(Math.max(...samples.map((s) => s.heapUsedMb))) },
    node_cpu_pct: round(cpuPercent(first.nodeCpuTicks, last.nodeCpuTicks, ms), 2),
    tmux_cpu_pct: { without_paneward: round(tmuxIdlePercent, 2), with_paneward: round(tmuxWatched, 2), extra_pp: round(tmuxWatched - tmuxIdlePercent, 2) },
    cycles: last.cycles - first.cycles,
    cycles_skipped: last.skipped - first.skipped,
    cycles_skipped_before_sampling: first.skipped,
    errors: last.cycleErrors - first.cycleErrors,
    /** Samples whose last scrape said Redis was away or out of sync (the store then rewrote its state into it). */
    redis_down_samples: samples.filter((s) => !s.redisUp).length,
    exit_code: exitCode,
  };
}

export async function runSoakBench(argv: string[]): Promise<void> {
  const opts = options(argv);
  const log = (msg: string) => process.stderr.write(`${msg}\n`);
  let tmux: PrivateTmux | null = null;
  let redis: PrivateRedis | null = null;
  let child: ChildProcess | null = null;
  try {
    tmux = await startPrivateTmux();
    redis = await startPrivateRedis();
    log(`building ${opts.agents} panes…`);
    await buildFleet(tmux, opts.agents);
    const tmuxPid = Number((await tmux.tmux('display-message', '-p', '#{pid}')).trim());
    log(`tmux alone for ${opts.baselineSeconds} s…`);
    const tmuxIdle = await tmuxBaseline(tmuxPid, opts.baselineSeconds);

    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    child = startServer(port, tmux.socket, redis.url);
    await waitReady(base, child);
    log(`server ready; warming up for ${opts.warmupSeconds} s, then sampling every ${opts.sampleSeconds} s for ${opts.minutes} min…`);
    await sleep(opts.warmupSeconds * 1000);

    const scrape = scraper(base, opts.scrapeSeconds * 1000);
    const samples: Sample[] = [];
    const end = performance.now() + opts.minutes * 60_000;
    for (;;) {
      const final = performance.now() >= end; // the last sample scrapes afresh, so the counters cover the whole span
      const s = await sample(final ? scraper(base, 0) : scrape, child.pid!, tmuxPid);
      samples.push(s);
      if (!opts.json) log(`  rss ${round(s.rssMb)} MB, heap ${round(s.heapUsedMb)} MB, cycles ${s.cycles}, skipped ${s.skipped}, errors ${s.cycleErrors}${s.redisUp ? '' : ', redis down'}`);
      if (final) break;
      await sleep(Math.min(opts.sampleSeconds * 1000, Math.max(0, end - performance.now())));
    }
    const exitCode = await stopServer(child);
    child = null;
    const result = summary(opts, samples, tmuxIdle, exitCode);
    if (!opts.json) {
      log(`rss ${result.rss_mb.start} → ${result.rss_mb.end} MB (max ${result.rss_mb.max}), node ${result.node_cpu_pct} % of a core`);
      log(`tmux ${result.tmux_cpu_pct.without_paneward} % alone, ${result.tmux_cpu_pct.with_paneward} % watched (${result.tmux_cpu_pct.extra_pp >= 0 ? '+' : ''}${result.tmux_cpu_pct.extra_pp} pp)`);
    }
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    if (child) await stopServer(child);
    if (tmux) {
      await killFleet(tmux).catch(() => undefined);
      await tmux.cleanup();
    }
    await redis?.cleanup();
  }
}
