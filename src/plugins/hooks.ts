// Hook ingestion, as `app.hookDispatcher`: hook signals go to fusion and are published through the loop at once.
import fp from 'fastify-plugin';
import { Counter } from 'prom-client';
import type { Config } from '../config.ts';
import { HookDispatcher } from '../hooks/dispatcher.ts';

declare module 'fastify' {
  interface FastifyInstance {
    hookDispatcher: HookDispatcher;
  }
}

/** Least time between two hook-driven writes of one pane: a storm of hooks costs one write per pane per this. */
const MIN_GAP_MS = 20;

export default fp<{ config: Config }>(
  async (app, { config }) => {
    const hooks = new Counter({
      name: 'paneward_hooks_total',
      help: 'Hooks received on /v1/hooks/{source}, by outcome: applied, ignored (event says nothing about the state), unmatched (no pane of ours), late (pane listed after the hook came), expired (held, pane never came), coalesced (folded into the next write of a storming pane)',
      labelNames: ['source', 'outcome'] as const,
      registers: [app.metrics.registry],
    });
    const dispatcher = new HookDispatcher(
      {
        panes: () => app.poller.trackedPanes(),
        generation: () => app.poller.cyclesRun,
        signal: (id, signal) => app.detector.signal(id, signal),
        fuseNow: (id, now) => app.detector.fuseNow(id, now),
        publish: (id, classification) => app.poller.publishNow(id, classification),
      },
      {
        pendingMs: config.hookPendingMs,
        minGapMs: MIN_GAP_MS,
        onOutcome: (source, outcome) => hooks.inc({ source, outcome }),
        log: app.log,
      },
    );
    app.decorate('hookDispatcher', dispatcher);
    app.addHook('preClose', async () => dispatcher.close());
  },
  { name: 'paneward-hooks', dependencies: ['paneward-metrics', 'paneward-detector', 'paneward-poller'] },
);
