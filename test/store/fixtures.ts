// Observation builders shared by the store tests.
import type { AgentObservation, AgentState } from '../../src/agents/model.ts';

export const T0 = Date.parse('2026-01-01T00:00:00.000Z');

export function observation(id: string, overrides: Partial<AgentObservation> = {}): AgentObservation {
  const state: AgentState = overrides.state ?? 'working';
  return {
    id,
    monitor: 'm1',
    socket: '/tmp/tmux-1000/default',
    target: `${id}:0.0`,
    session: 'main',
    windowIndex: 0,
    windowName: 'agent',
    paneIndex: 0,
    paneId: '%1',
    pid: 4242,
    command: 'claude',
    kind: 'claude-code',
    state,
    detail: { rule: `rule-${state}`, evidence: `line showing ${state}`, confidence: 0.9 },
    screenHash: `hash-${state}`,
    screen: `screen of ${id} while ${state}`,
    observedAt: T0,
    ...overrides,
  };
}
