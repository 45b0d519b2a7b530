// Where agent state lives (Redis when configured, embedded otherwise), as `app.store`.
import fp from 'fastify-plugin';
import type { Config } from '../config.ts';
import { registerStoreMetrics } from '../collectors/store.ts';
import { createStore } from '../store/index.ts';
import type { AgentStore } from '../store/types.ts';

export type AppStore = AgentStore & { cacheStats(): { read: { hits: number; misses: number } } };

declare module 'fastify' {
  interface FastifyInstance {
    store: AppStore;
  }
}

export default fp<{ config: Config; store?: AppStore }>(
  async (app, { config, store: given }) => {
    const store =
      given ??
      createStore({
        monitor: config.monitorId,
        redis: config.redis,
        ttlSeconds: config.agentTtlSeconds,
        observer: { onCache: (layer, hit) => app.metrics.cache(layer, hit) },
      });
    registerStoreMetrics(app.metrics.registry, store);
    app.decorate('store', store);
    app.addHook('onClose', async () => {
      await store.close();
    });
  },
  { name: 'paneward-store', dependencies: ['paneward-metrics'] },
);
