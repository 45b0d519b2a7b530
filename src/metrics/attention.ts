// Since when each agent that needs a human has been in its state, so Prometheus can alert on "waiting for more
// than N minutes" and a dashboard can list who waits and for how long.
//
// Cardinality: one series per agent in a state that needs a human (NEEDS_HUMAN), none for the others; an agent
// that leaves the state or whose pane vanishes loses its series at the next scrape. The labels of an agent's
// series are the same each time it re-enters a state, so flapping moves a value and mints no new series.
import { Gauge, type Registry } from 'prom-client';
import type { AgentRecord, AgentState } from '../agents/model.ts';

export const NEEDS_HUMAN: ReadonlySet<AgentState> = new Set(['waiting', 'error', 'rate_limited', 'stuck', 'crashed']);

type Held = Pick<AgentRecord, 'id' | 'target' | 'kind' | 'state' | 'stateSince'>;

export interface AgentAttention {
  /** Records the store just wrote (new versions): remembers the ones in a state that needs a human. */
  noteWritten(records: ReadonlyArray<Held>): void;
}

/**
 * Registers paneward_agent_state_since_timestamp_seconds on `registry`. `liveIds` names the agents the monitor
 * still sees; it is read at scrape time from memory.
 */
export function registerAgentAttention(registry: Registry, liveIds: () => Iterable<string>): AgentAttention {
  const held = new Map<string, Held>();
  new Gauge({
    name: 'paneward_agent_state_since_timestamp_seconds',
    help: `Unix time an agent entered its current state, for agents in a state that needs a human (${[...NEEDS_HUMAN].join(', ')}) only`,
    labelNames: ['id', 'target', 'kind', 'state'] as const,
    registers: [registry],
    collect() {
      this.reset();
      dropVanished(held, new Set(liveIds()));
      for (const a of held.values()) {
        this.set({ id: a.id, target: a.target, kind: a.kind, state: a.state }, Date.parse(a.stateSince) / 1000);
      }
    },
  });
  return {
    noteWritten(records) {
      for (const r of records) {
        if (NEEDS_HUMAN.has(r.state)) held.set(r.id, { id: r.id, target: r.target, kind: r.kind, state: r.state, stateSince: r.stateSince });
        else held.delete(r.id);
      }
    },
  };
}

function dropVanished(held: Map<string, Held>, live: Set<string>): void {
  for (const id of held.keys()) if (!live.has(id)) held.delete(id);
}
