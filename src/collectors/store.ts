// The store's metrics: whether Redis answers, exported only when the store is Redis-backed (an embedded store has
// no Redis to be up or down). Read from the store's last known health, never by asking Redis or starting a probe.
import type { Registry } from 'prom-client';
import { metricsOn } from '../metrics.ts';
import type { AgentStore } from '../store/types.ts';

export function registerStoreMetrics(registry: Registry, store: AgentStore): void {
  if (store.knownHealth().backend !== 'redis') return;
  metricsOn(registry).gauge('paneward_redis_up', "Whether Redis answers and holds this process's latest state (1) or not (0)", [], function () {
    this.set(store.knownHealth().up ? 1 : 0);
  });
}
