// Hook ingestion, as `app.hookDispatcher`: hook signals go to fusion and are published through the loop at once.
import fp from 'fastify-plugin';
import { registerHookMetrics } from '../collectors/hooks.ts';
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
    const onOutcome = registerHookMetrics(app.metrics.registry);
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
        onOutcome,
        log: app.log,
      },
    );
    app.decorate('hookDispatcher', dispatcher);
    app.addHook('preClose', async () => dispatcher.close());
  },
  { name: 'paneward-hooks', dependencies: ['paneward-metrics', 'paneward-detector', 'paneward-poller'] },
);
