// Prometheus metrics: one registry per app. Events are counted as they happen; point-in-time gauges are
// filled at scrape time from in-memory state only, so a scrape never waits on tmux or Redis.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { AGENT_KINDS, AGENT_STATES, type AgentKind, type AgentState } from './agents/model.ts';
import type { PoolStats, Strategy, TmuxObserver, TmuxServerStatus } from './tmux/types.ts';

/** What the gauges read at scrape time; set once the loop and store exist. */
export interface MetricsSource {
  pools(): Array<{ socket: string; stats: PoolStats | null }>;
  tmuxStatus(): TmuxServerStatus[];
  agentCounts(): Map<string, number>; // key `${state}\u0000${kind}`
  cacheStats(): Record<string, { hits: number; misses: number }>;
  redisUp(): boolean | null; // null: no Redis configured
  lastCycleSuccessAt(): number | null; // epoch ms
}

export type Metrics = ReturnType<typeof createMetrics>;

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // prom-client names these gauges *_total, which promtool rejects; their un-suffixed twins
  // (nodejs_active_handles, …) carry the same numbers.
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
    registry.removeSingleMetric(name);
  }
  let source: MetricsSource | null = null;
  const registers = [registry];

  const cycleDuration = new Histogram({
    name: 'paneward_cycle_duration_seconds',
    help: 'Duration of one poll cycle: list panes, capture changed ones, classify, write',
    buckets: [0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12],
    registers,
  });
  const cycles = new Counter({
    name: 'paneward_cycles_total',
    help: 'Poll cycles run, by result (error: a tmux query or a store write failed; a tmux server not running and Redis away while memory takes the writes are reported by paneward_tmux_up and paneward_redis_up)',
    labelNames: ['result'] as const,
    registers,
  });
  const cyclesSkipped = new Counter({
    name: 'paneward_cycles_skipped_total',
    help: 'Ticks skipped because the previous cycle was still running',
    registers,
  });
  const acquireDuration = new Histogram({
    name: 'paneward_pool_acquire_duration_seconds',
    help: 'Time spent waiting to borrow a control-mode connection from a pool',
    buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers,
  });
  const connectionsCreated = new Counter({
    name: 'paneward_pool_connections_created_total',
    help: 'Control-mode connections opened',
    registers,
  });
  const connectionsDestroyed = new Counter({
    name: 'paneward_pool_connections_destroyed_total',
    help: 'Control-mode connections closed, by reason',
    labelNames: ['reason'] as const,
    registers,
  });
  const cacheRequests = new Counter({
    name: 'paneward_cache_requests_total',
    help: 'Cache lookups by layer (capture: pane unchanged so not captured again; read: API read cache) and result',
    labelNames: ['layer', 'result'] as const,
    registers,
  });
  const prefetches = new Counter({
    name: 'paneward_capture_prefetches_total',
    help: 'Captures asked together with the list for panes on a streak of changes, by whether the pane had changed again (used) or not (unused)',
    labelNames: ['result'] as const,
    registers,
  });
  const transitions = new Counter({
    name: 'paneward_agent_transitions_total',
    help: 'Published agent state changes',
    labelNames: ['from', 'to'] as const,
    registers,
  });
  const tmuxCommands = new Counter({
    name: 'paneward_tmux_commands_total',
    help: 'tmux commands run, by strategy and result (error: tmux refused it, e.g. a pane gone, or it was lost with its connection)',
    labelNames: ['strategy', 'result'] as const,
    registers,
  });
  const tmuxCommandDuration = new Histogram({
    name: 'paneward_tmux_command_duration_seconds',
    help: 'Time a request to tmux took (one command, or a pipelined batch such as a cycle\'s captures); a list returns at its own reply, before the captures sent along with it',
    labelNames: ['strategy'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
    registers,
  });
  const ruleHits = new Counter({
    name: 'paneward_detection_rule_hits_total',
    help: 'Detection rules that decided an observation, by agent kind and rule id',
    labelNames: ['kind', 'rule'] as const,
    registers,
  });

  // The detector reports a rule for every pane in every cycle: each (kind, rule) keeps its own child counter, as
  // inc() with a label object hashes the labels into a key on every call (0.5 ms per 1000 panes).
  const ruleHitCounters = new Map<string, Map<string, Counter.Internal>>();

  new Gauge({
    name: 'paneward_pool_connections',
    help: 'Control-mode connections per tmux server, by state',
    labelNames: ['socket', 'state'] as const,
    registers,
    collect() {
      this.reset();
      for (const { socket, stats } of source?.pools() ?? []) {
        if (!stats) continue;
        this.set({ socket, state: 'idle' }, stats.idle);
        this.set({ socket, state: 'borrowed' }, stats.borrowed);
      }
    },
  });
  new Gauge({
    name: 'paneward_pool_pending_acquires',
    help: 'Borrowers waiting for a control-mode connection',
    labelNames: ['socket'] as const,
    registers,
    collect() {
      this.reset();
      for (const { socket, stats } of source?.pools() ?? []) if (stats) this.set({ socket }, stats.pending);
    },
  });
  new Gauge({
    name: 'paneward_cache_hit_ratio',
    help: 'Hits over lookups since start, by cache layer',
    labelNames: ['layer'] as const,
    registers,
    collect() {
      this.reset();
      for (const [layer, { hits, misses }] of Object.entries(source?.cacheStats() ?? {})) {
        this.set({ layer }, hits + misses === 0 ? 0 : hits / (hits + misses));
      }
    },
  });
  new Gauge({
    name: 'paneward_agents',
    help: 'Agents this monitor sees, by state and kind',
    labelNames: ['state', 'kind'] as const,
    registers,
    collect() {
      this.reset();
      const counts = source?.agentCounts() ?? new Map<string, number>();
      for (const state of AGENT_STATES) {
        for (const kind of AGENT_KINDS) this.set({ state, kind }, counts.get(agentCountKey(state, kind)) ?? 0);
      }
    },
  });
  new Gauge({
    name: 'paneward_tmux_up',
    help: 'Whether the tmux server answered the last query (1) or not (0)',
    labelNames: ['socket'] as const,
    registers,
    collect() {
      this.reset();
      for (const s of source?.tmuxStatus() ?? []) this.set({ socket: s.socket }, s.up ? 1 : 0);
    },
  });
  new Gauge({
    name: 'paneward_redis_up',
    help: 'Whether Redis answers (1) or not (0); absent-valued 1 with the embedded store',
    registers,
    collect() {
      const up = source?.redisUp();
      this.set(up === false ? 0 : 1);
    },
  });
  new Gauge({
    name: 'paneward_last_cycle_success_timestamp_seconds',
    help: 'Unix time the last fully successful poll cycle finished (0: none yet)',
    registers,
    collect() {
      const at = source?.lastCycleSuccessAt();
      this.set(at ? at / 1000 : 0);
    },
  });

  const tmuxObserver: TmuxObserver = {
    onRequest(strategy: Strategy, _ok: boolean, seconds: number) {
      tmuxCommandDuration.observe({ strategy }, seconds);
    },
    onCommandDone(strategy: Strategy, ok: boolean) {
      tmuxCommands.inc({ strategy, result: ok ? 'ok' : 'error' });
    },
    onAcquire(_socket: string, seconds: number) {
      acquireDuration.observe(seconds);
    },
    onConnectionCreated() {
      connectionsCreated.inc();
    },
    onConnectionDestroyed(_socket: string, reason: string) {
      connectionsDestroyed.inc({ reason });
    },
  };

  return {
    registry,
    tmuxObserver,
    setSource(s: MetricsSource) {
      source = s;
    },
    cycleFinished(seconds: number, ok: boolean) {
      cycleDuration.observe(seconds);
      cycles.inc({ result: ok ? 'ok' : 'error' });
    },
    cycleSkipped() {
      cyclesSkipped.inc();
    },
    cache(layer: string, hit: boolean, count = 1) {
      if (count > 0) cacheRequests.inc({ layer, result: hit ? 'hit' : 'miss' }, count);
    },
    prefetched(used: number, unused: number) {
      if (used > 0) prefetches.inc({ result: 'used' }, used);
      if (unused > 0) prefetches.inc({ result: 'unused' }, unused);
    },
    transition(from: AgentState | null, to: AgentState) {
      transitions.inc({ from: from ?? 'none', to });
    },
    ruleHit(kind: string, rule: string) {
      let byRule = ruleHitCounters.get(kind);
      if (!byRule) ruleHitCounters.set(kind, (byRule = new Map()));
      let counter = byRule.get(rule);
      if (!counter) byRule.set(rule, (counter = ruleHits.labels(kind, rule)));
      counter.inc();
    },
  };
}

export function agentCountKey(state: AgentState, kind: AgentKind): string {
  return `${state}\u0000${kind}`;
}
