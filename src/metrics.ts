// The app's Prometheus registry (one per app, never the global one). Each source of metrics (loop, tmux, store,
// detector; see src/collectors/) registers its own metrics on it where that source is built; a plugin adds its own
// the same way, on `app.metrics.registry`. Point-in-time gauges read in-memory state only: a scrape never
// starts I/O, so it never waits on tmux or Redis.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const CACHE_LAYERS = ['capture', 'read'] as const;
export type CacheLayer = (typeof CACHE_LAYERS)[number];

export interface AppMetrics {
  registry: Registry;
  /** Counts cache lookups of a layer; the loop reports `capture`, the store `read`. */
  cache(layer: CacheLayer, hit: boolean, count?: number): void;
}

export function createMetrics(): AppMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // prom-client names these gauges *_total, which promtool rejects; their un-suffixed twins
  // (nodejs_active_handles, …) carry the same numbers.
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
    registry.removeSingleMetric(name);
  }
  return { registry, cache: registerCacheMetrics(registry) };
}

/** The cache family, shared by two sources: lookups counted as they happen, the ratio read from those counts. */
function registerCacheMetrics(registry: Registry): AppMetrics['cache'] {
  const m = metricsOn(registry);
  const requests = m.counter(
    'paneward_cache_requests_total',
    'Cache lookups by layer (capture: pane unchanged so not captured again; read: API read cache) and result',
    ['layer', 'result'],
  );
  m.gauge('paneward_cache_hit_ratio', 'Hits over lookups since start, by cache layer', ['layer'], async function () {
    this.reset();
    const byLayer = new Map<string, { hit: number; miss: number }>(CACHE_LAYERS.map((layer) => [layer, { hit: 0, miss: 0 }]));
    for (const { labels, value } of (await requests.get()).values) {
      const counts = byLayer.get(String(labels.layer)) ?? { hit: 0, miss: 0 };
      counts[labels.result === 'hit' ? 'hit' : 'miss'] += value;
      byLayer.set(String(labels.layer), counts);
    }
    for (const [layer, { hit, miss }] of byLayer) this.set({ layer }, hit + miss === 0 ? 0 : hit / (hit + miss));
  });
  return (layer, hit, count = 1) => {
    if (count > 0) requests.inc({ layer, result: hit ? 'hit' : 'miss' }, count);
  };
}

/** Metric constructors bound to one registry: a collector declares each metric by its name, help and labels. */
export function metricsOn(registry: Registry) {
  const registers = [registry];
  return {
    counter: <L extends string = never>(name: string, help: string, labelNames: readonly L[] = []) =>
      new Counter<L>({ name, help, labelNames, registers }),
    histogram: <L extends string = never>(name: string, help: string, buckets: number[], labelNames: readonly L[] = []) =>
      new Histogram<L>({ name, help, buckets, labelNames, registers }),
    /** A gauge filled at scrape time by `collect`, which must read memory only. */
    gauge: <L extends string = never>(name: string, help: string, labelNames: readonly L[], collect?: (this: Gauge<L>) => void | Promise<void>) =>
      new Gauge<L>({ name, help, labelNames, registers, collect }),
  };
}
