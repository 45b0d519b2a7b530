// npm run bench -- hooks [--agents N] [--rate R] [--seconds S] [--rounds K] [--json]
// A private tmux server with N panes (see cycle.ts), the real app with its loop running and listening on loopback.
// K rounds, each S/K seconds without hooks (the baseline) then S/K seconds with R hooks/s posted by another
// process over HTTP, spread over the panes: alternating, so drift and neighbours weigh on both sides alike. Meanwhile probes post a hook to one pane and poll GET /v1/agents/{id} until the
// state shows (POST → visible), while a client of GET /v1/events waits for the agent event that carries it (POST →
// SSE). Reports the cycle p50 with and without the load, skipped cycles, the rate achieved and the probe percentiles.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { EventSource } from 'eventsource';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.ts';
import { configWith } from '../src/config.ts';
import { buildFleet, killFleet } from './cycle.ts';
import { percentile } from './lib/stats.ts';
import { startPrivateTmux } from '../test/helpers/tmux.ts';

const round1 = (v: number) => Math.round(v * 10) / 10;
const round2 = (v: number) => Math.round(v * 100) / 100;

interface Window {
  cycles: number[];
  skipped: number;
}

/** Watches the loop for `seconds`: every cycle's duration, and the ticks it skipped. */
async function watchCycles(app: FastifyInstance, seconds: number, during: Promise<unknown> = Promise.resolve()): Promise<Window> {
  const cycles: number[] = [];
  const skippedBefore = app.poller.cyclesSkipped;
  let seen = app.poller.cyclesRun;
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    await sleep(20);
    if (app.poller.cyclesRun !== seen) {
      seen = app.poller.cyclesRun;
      if (app.poller.lastCycle) cycles.push(app.poller.lastCycle.durationMs);
    }
  }
  await during;
  return { cycles, skipped: app.poller.cyclesSkipped - skippedBefore };
}

/** A client of GET /v1/events that resolves a waiter when an agent event shows `id` in `state`. */
class StreamWatcher {
  private readonly waiters = new Map<string, (at: number) => void>();
  private readonly source: EventSource;
  readonly ready: Promise<void>;

  constructor(base: string) {
    // As is, not gzipped: this client lives in the server's process, and decoding here would be billed to the server.
    const plain = (input: string | URL | Request, init?: RequestInit) => fetch(input, { ...init, headers: { ...init?.headers, 'accept-encoding': 'identity' } });
    this.source = new EventSource(`${base}/v1/events`, { fetch: plain });
    this.ready = new Promise((resolve) => this.source.addEventListener('snapshot', () => resolve(), { once: true }));
    this.source.addEventListener('agent', (e) => {
      const agent = JSON.parse(e.data) as { id: string; state: string };
      if (process.env.BENCH_DEBUG) process.stderr.write(`EV ${agent.id} ${agent.state} ${(agent as any).detail.rule}\n`);
      const key = `${agent.id} ${agent.state}`;
      this.waiters.get(key)?.(performance.now());
      this.waiters.delete(key);
    });
  }

  /** Resolves with performance.now() when the event arrives. */
  next(id: string, state: string): Promise<number> {
    return new Promise((resolve) => this.waiters.set(`${id} ${state}`, resolve));
  }

  close(): void {
    this.source.close();
  }
}

/** `promise`, or an error naming `what` after `ms`; the timer goes with the answer. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  const timer = new AbortController();
  const late = sleep(ms, undefined, { signal: timer.signal }).then(() => Promise.reject(new Error(what)));
  late.catch(() => undefined);
  try {
    return await Promise.race([promise, late]);
  } finally {
    timer.abort();
  }
}

interface ProbeTarget {
  pane: string;
  id: string;
  /** The state its last probe posted. */
  state: string;
}

interface ProbeResult {
  toGet: number;
  toSse: number;
}

/** Posts one hook to `pane`; resolves with the ms until GET /v1/agents/{id} showed it and until the stream did. */
async function probe(base: string, tmuxVar: string, stream: StreamWatcher, pane: string, id: string, state: string): Promise<ProbeResult> {
  const started = performance.now();
  const event = stream.next(id, state);
  const res = await fetch(`${base}/v1/hooks/generic`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-tmux-pane': pane, 'x-tmux': tmuxVar },
    body: JSON.stringify({ state, message: 'probe' }),
  });
  if (res.status !== 202) throw new Error(`probe hook: ${res.status} ${await res.text()}`);
  let toGet = 0;
  for (;;) {
    const agent = (await (await fetch(`${base}/v1/agents/${id}`)).json()) as { state: string };
    if (agent.state === state) {
      toGet = performance.now() - started;
      break;
    }
    if (performance.now() - started > 5000) throw new Error(`probe: ${id} never showed ${state}`);
  }
  const toSse = (await within(event, 5000, `probe: no event for ${id} ${state}`)) - started;
  return { toGet, toSse };
}

async function probes(base: string, tmuxVar: string, stream: StreamWatcher, targets: ProbeTarget[], seconds: number): Promise<ProbeResult[]> {
  const out: ProbeResult[] = [];
  const end = Date.now() + seconds * 1000;
  for (let i = 0; Date.now() < end; i++) {
    const t = targets[i % targets.length]!;
    // Each probe pane flips its own state, so every probe is a change (a repeated state publishes nothing).
    t.state = t.state === 'waiting' ? 'working' : 'waiting';
    out.push(await probe(base, tmuxVar, stream, t.pane, t.id, t.state));
    await sleep(50);
  }
  return out;
}

/** p50 and p99 of one measure of the probes. */
function latency(results: ProbeResult[], pick: (r: ProbeResult) => number) {
  const sorted = results.map(pick).sort((a, b) => a - b);
  return { p50_ms: round2(percentile(sorted, 50)), p99_ms: round2(percentile(sorted, 99)), probes: sorted.length };
}

function runLoad(base: string, tmuxVar: string, rate: number, seconds: number, panes: string[]): Promise<Record<string, number>> {
  return new Promise((done, fail) => {
    const script = resolve(import.meta.dirname, 'lib/hook-load.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', script, base, tmuxVar, String(rate), String(seconds), panes.join(',')], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => (code === 0 ? done(JSON.parse(out.trim().split('\n').at(-1)!)) : fail(new Error(`hook load exited ${code}`))));
  });
}

function addWindow(into: Window, w: Window): void {
  into.cycles.push(...w.cycles);
  into.skipped += w.skipped;
}

function cpuMsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

/** The load processes' reports of all rounds as one: counts added, the worst of the maxima, the rate over `seconds`. */
function combineLoads(loads: Array<Record<string, number>>, seconds: number): Record<string, number> {
  const sum = (key: string) => loads.reduce((n, l) => n + (l[key] ?? 0), 0);
  const worst = (key: string) => Math.max(...loads.map((l) => l[key] ?? 0));
  return {
    sent: sum('sent'),
    ok: sum('ok'),
    failed: sum('failed'),
    per_second: Math.round(sum('ok') / seconds),
    // Percentiles cannot be pooled from percentiles: the worst round's.
    response_p50_ms_worst_round: worst('response_p50_ms'),
    response_p99_ms_worst_round: worst('response_p99_ms'),
    over_900_ms: sum('over_900_ms'),
    max_ms: worst('max_ms'),
    // The load process's own CPU per hook: what it takes from the cores tmux and the server also need.
    cpu_ms_per_hook_worst_round: worst('cpu_ms_per_hook'),
  };
}

const summary = (w: Window) => {
  const sorted = [...w.cycles].sort((a, b) => a - b);
  return { cycles: sorted.length, p50_ms: round1(percentile(sorted, 50)), p99_ms: round1(percentile(sorted, 99)), skipped: w.skipped };
};

export async function runHooksBench(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      agents: { type: 'string', default: '1000' },
      rate: { type: 'string', default: '2000' },
      seconds: { type: 'string', default: '30' },
      rounds: { type: 'string', default: '3' },
      json: { type: 'boolean', default: false },
    },
  });
  const agents = Number(values.agents);
  const rate = Number(values.rate);
  const seconds = Number(values.seconds);
  const rounds = Number(values.rounds);
  for (const [name, v] of [['agents', agents], ['rate', rate], ['seconds', seconds], ['rounds', rounds]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer`);
  }
  const log = (msg: string) => process.stderr.write(`${msg}\n`);
  const tmux = await startPrivateTmux();
  let app: FastifyInstance | null = null;
  let stream: StreamWatcher | null = null;
  try {
    log(`building ${agents} panes…`);
    await buildFleet(tmux, agents);
    const serverPid = (await tmux.tmux('display-message', '-p', '#{pid}')).trim();
    const tmuxVar = `${tmux.socket},${serverPid},0`;
    const panes = (await tmux.tmux('list-panes', '-s', '-t', 'bench', '-F', '#{pane_id}')).trim().split('\n');
    app = await buildApp(configWith({ sockets: [tmux.socket], monitorId: 'bench', logLevel: 'silent' }), { logger: false });
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    log('warming up (10 s)…');
    await sleep(10_000);

    // Probes use panes of their own, so that the load never writes the state a probe waits for.
    const probePanes = panes.slice(0, 10);
    const loadPanes = panes.slice(10);
    const byPane = new Map([...app.poller.trackedPanes()].map(({ id, pane }) => [pane.paneId, id]));
    const targets: ProbeTarget[] = probePanes.map((pane) => ({ pane, id: byPane.get(pane)!, state: 'idle' }));
    stream = new StreamWatcher(base);
    await stream.ready;

    const window = seconds / rounds;
    const baseline: Window = { cycles: [], skipped: 0 };
    const loaded: Window = { cycles: [], skipped: 0 };
    const idle: ProbeResult[] = [];
    const latencies: ProbeResult[] = [];
    const loads: Array<Record<string, number>> = [];
    let baselineCpuMs = 0;
    let baselineMs = 0;
    let loadCpuMs = 0;
    let loadMs = 0;
    for (let round = 1; round <= rounds; round++) {
      log(`round ${round}/${rounds}: ${window} s of cycles without hooks, probes only…`);
      let cpu = process.cpuUsage();
      let wall = performance.now();
      const baselineProbes = probes(base, tmuxVar, stream, targets, window);
      addWindow(baseline, await watchCycles(app, window, baselineProbes));
      idle.push(...(await baselineProbes));
      baselineCpuMs += cpuMsSince(cpu);
      baselineMs += performance.now() - wall;

      log(`round ${round}/${rounds}: ${window} s at ${rate} hooks/s over ${loadPanes.length} panes…`);
      cpu = process.cpuUsage();
      wall = performance.now();
      const load = runLoad(base, tmuxVar, rate, window, loadPanes);
      const loadProbes = probes(base, tmuxVar, stream, targets, window);
      addWindow(loaded, await watchCycles(app, window, Promise.all([load, loadProbes])));
      loads.push(await load);
      latencies.push(...(await loadProbes));
      loadCpuMs += cpuMsSince(cpu);
      loadMs += performance.now() - wall;
    }
    const achieved = combineLoads(loads, seconds);

    const base50 = summary(baseline).p50_ms;
    const load50 = summary(loaded).p50_ms;
    const result = {
      bench: 'hooks',
      agents,
      rate,
      seconds,
      rounds,
      post_to_get: latency(latencies, (r) => r.toGet),
      post_to_sse: latency(latencies, (r) => r.toSse),
      post_to_get_without_load: latency(idle, (r) => r.toGet),
      post_to_sse_without_load: latency(idle, (r) => r.toSse),
      load: achieved,
      cycle_without_hooks: summary(baseline),
      cycle_with_hooks: summary(loaded),
      cycle_p50_ratio: Number((load50 / Math.max(base50, 0.001)).toFixed(3)),
      // What one hook costs the bench's process (the server, plus its stream client and probes, as in the
      // baseline): its CPU with the load less what it uses without at the same pace for as long (the load
      // windows run longer: the load process's start and finish), per hook answered.
      server_cpu_ms_per_hook: round2((loadCpuMs - (baselineCpuMs / Math.max(1, baselineMs)) * loadMs) / Math.max(1, achieved.ok ?? 0)),
    };
    if (!values.json) {
      log(`POST → GET p50 ${result.post_to_get.p50_ms} ms, p99 ${result.post_to_get.p99_ms} ms under ${achieved.per_second} hooks/s`);
      log(`POST → SSE p50 ${result.post_to_sse.p50_ms} ms, p99 ${result.post_to_sse.p99_ms} ms`);
      log(`cycle p50 ${base50} → ${load50} ms (×${result.cycle_p50_ratio}), skipped ${summary(loaded).skipped}`);
    }
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    stream?.close();
    await app?.close();
    await killFleet(tmux);
  }
}
