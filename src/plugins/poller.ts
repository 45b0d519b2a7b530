// The background poll loop, as `app.poller`: starts when the app is ready, stops (finishing the cycle in
// flight) when it closes. Also feeds the scrape-time gauges from the loop's in-memory state.
import fp from 'fastify-plugin';
import type { Config } from '../config.ts';
import { agentCountKey } from '../metrics.ts';
import { registerAgentAttention } from '../metrics/attention.ts';
import { registerCyclePhases } from '../metrics/phases.ts';
import { youngGenerationCollector } from '../loop/idle-gc.ts';
import { Poller } from '../loop/poller.ts';

declare module 'fastify' {
  interface FastifyInstance {
    poller: Poller;
  }
}

export default fp<{ config: Config; startLoop?: boolean }>(
  async (app, { config, startLoop = true }) => {
    const attention = registerAgentAttention(app.metrics.registry, () => poller.current().map((a) => a.id));
    const phases = registerCyclePhases(app.metrics.registry);
    const poller = new Poller({
      monitor: config.monitorId,
      servers: () => app.tmux.servers,
      store: app.store,
      classifier: () => app.detector,
      intervalMs: config.pollIntervalMs,
      captureMaxAgeMs: config.captureMaxAgeMs,
      refreshEveryMs: Math.max(1000, (config.agentTtlSeconds * 1000) / 3),
      betweenCycles: youngGenerationCollector() ?? undefined,
      onCycle(s) {
        app.metrics.cycleFinished(s.durationMs / 1000, s.ok);
        phases.observe(s.phases);
        app.metrics.cache('capture', true, s.captureCacheHits);
        app.metrics.cache('capture', false, s.panes - s.captureCacheHits);
        app.metrics.prefetched(s.prefetched - s.prefetchUnused, s.prefetchUnused);
      },
      onSkipped: () => app.metrics.cycleSkipped(),
      onTransition: (from, to) => app.metrics.transition(from, to),
      onWritten: (records) => attention.noteWritten(records),
      log: app.log,
    });
    app.decorate('poller', poller);

    app.metrics.setSource({
      pools: () => app.tmux.servers.map((s) => ({ socket: s.socket, stats: s.poolStats() })),
      tmuxStatus: () => app.tmux.statuses(),
      agentCounts() {
        const counts = new Map<string, number>();
        for (const { classification: c } of poller.current()) {
          const key = agentCountKey(c.state, c.kind);
          counts.set(key, (counts.get(key) ?? 0) + 1);
        }
        return counts;
      },
      cacheStats: () => ({
        capture: { hits: poller.captureCache.hits, misses: poller.captureCache.misses },
        read: app.store.cacheStats().read,
      }),
      redisUp: () => {
        const health = app.store.health();
        return health.backend === 'redis' ? health.up : null;
      },
      lastCycleSuccessAt: () => poller.lastSuccessAt,
    });

    if (startLoop) app.addHook('onReady', async () => poller.start());
    app.addHook('preClose', async () => poller.stop());
  },
  { name: 'paneward-poller', dependencies: ['paneward-tmux', 'paneward-store', 'paneward-detector'] },
);
