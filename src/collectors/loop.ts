// The poll loop's metrics: cycles, skips, prefetches and transitions counted as the loop reports them; agents by
// state and kind and the last clean cycle read at scrape time from what the loop holds in memory.
import { AGENT_KINDS, AGENT_STATES, type AgentKind, type AgentState } from '../agents/model.ts';
import { PHASES, type CycleStats, type PhaseName } from '../loop/cycle-run.ts';
import type { Poller } from '../loop/poller.ts';
import { metricsOn, type AppMetrics } from '../metrics.ts';

/** What the loop reports as it runs: pass these as the Poller's callbacks. */
export interface LoopRecorder {
  onCycle(stats: CycleStats, errorsByPhase: Readonly<Record<PhaseName, number>>): void;
  onSkipped(): void;
  onTransition(from: AgentState | null, to: AgentState): void;
}

const PHASE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56];
const CYCLE_BUCKETS = [0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12];

/** Registers the loop metrics; `poller` is read at scrape time, so it may be built after this returns. */
export function registerLoopMetrics(metrics: AppMetrics, poller: () => Poller): LoopRecorder {
  const m = metricsOn(metrics.registry);
  const cycleDuration = m.histogram('paneward_cycle_duration_seconds', 'Duration of one poll cycle: list panes, capture changed ones, classify, write', CYCLE_BUCKETS);
  const cycles = m.counter(
    'paneward_cycles_total',
    'Poll cycles run, by result (error: a tmux query or a store write failed; a tmux server not running and Redis away while memory takes the writes are reported by paneward_tmux_up and paneward_redis_up)',
    ['result'],
  );
  const skipped = m.counter('paneward_cycles_skipped_total', 'Ticks skipped because the previous cycle was still running');
  const prefetches = m.counter(
    'paneward_capture_prefetches_total',
    'Captures asked together with the list for panes on a streak of changes, by whether the pane had changed again (used) or not (unused)',
    ['result'],
  );
  const transitions = m.counter('paneward_agent_transitions_total', 'Published agent state changes', ['from', 'to']);
  const phaseSeconds = m.histogram(
    'paneward_cycle_phase_duration_seconds',
    'Time one poll cycle spent in a phase: list (tmux list), capture (the slowest server\'s capture round trip), classify (CPU; overlaps capture), store (writes)',
    PHASE_BUCKETS,
    ['phase'],
  );
  const phaseErrors = m.counter('paneward_cycle_phase_errors_total', 'Errors recorded by each phase of the poll cycle (list, capture, classify, store)', ['phase']);
  for (const phase of PHASES) phaseErrors.inc({ phase }, 0);
  // Every pair exists from the start at 0, so rate() sees a transition's first occurrence as an increase.
  for (const from of ['none', ...AGENT_STATES]) for (const to of AGENT_STATES) if (from !== to) transitions.inc({ from, to }, 0);
  registerLoopGauges(metrics, poller);
  return {
    onCycle(s, errorsByPhase) {
      cycleDuration.observe(s.durationMs / 1000);
      cycles.inc({ result: s.ok ? 'ok' : 'error' });
      metrics.cache('capture', true, s.captureCacheHits);
      metrics.cache('capture', false, s.panes - s.captureCacheHits);
      if (s.prefetched > s.prefetchUnused) prefetches.inc({ result: 'used' }, s.prefetched - s.prefetchUnused);
      if (s.prefetchUnused > 0) prefetches.inc({ result: 'unused' }, s.prefetchUnused);
      const { listMs, captureMs, classifyMs, storeMs } = s.phases;
      const ms = { list: listMs, capture: captureMs, classify: classifyMs, store: storeMs };
      for (const phase of PHASES) {
        phaseSeconds.observe({ phase }, ms[phase] / 1000);
        if (errorsByPhase[phase] > 0) phaseErrors.inc({ phase }, errorsByPhase[phase]);
      }
    },
    onSkipped: () => skipped.inc(),
    onTransition: (from, to) => transitions.inc({ from: from ?? 'none', to }),
  };
}

function registerLoopGauges(metrics: AppMetrics, poller: () => Poller): void {
  const m = metricsOn(metrics.registry);
  m.gauge('paneward_agents', 'Agents this monitor sees, by state and kind', ['state', 'kind'], function () {
    this.reset();
    const counts = countAgents(poller());
    for (const state of AGENT_STATES) {
      for (const kind of AGENT_KINDS) this.set({ state, kind }, counts.get(state)?.get(kind) ?? 0);
    }
  });
  m.gauge('paneward_last_cycle_success_timestamp_seconds', 'Unix time the last fully successful poll cycle finished (0: none yet)', [], function () {
    const at = poller().lastSuccessAt;
    this.set(at ? at / 1000 : 0);
  });
}

function countAgents(poller: Poller): Map<AgentState, Map<AgentKind, number>> {
  const counts = new Map<AgentState, Map<AgentKind, number>>();
  for (const { classification: c } of poller.current()) {
    let byKind = counts.get(c.state);
    if (!byKind) counts.set(c.state, (byKind = new Map()));
    byKind.set(c.kind, (byKind.get(c.kind) ?? 0) + 1);
  }
  return counts;
}
