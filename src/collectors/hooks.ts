// Hook ingestion's metrics: what became of each hook received.
import type { Registry } from 'prom-client';
import type { HookOutcome } from '../hooks/dispatcher.ts';
import { metricsOn } from '../metrics.ts';

/** Registers the hooks counter; returns the callback the dispatcher reports each outcome to. */
export function registerHookMetrics(registry: Registry): (source: string, outcome: HookOutcome) => void {
  const hooks = metricsOn(registry).counter(
    'paneward_hooks_total',
    'Hooks received on /v1/hooks/{source}, by outcome: applied, ignored (event says nothing about the state), unmatched (no pane of ours), late (pane listed after the hook came), expired (held, pane never came), coalesced (folded into the next write of a storming pane)',
    ['source', 'outcome'],
  );
  return (source, outcome) => hooks.inc({ source, outcome });
}
