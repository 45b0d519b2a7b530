// The app's Prometheus registry, as `app.metrics`. Each source registers its own collector on it where it is built
// (plugins tmux, store, detector, poller); any later plugin adds its metrics to `app.metrics.registry` likewise.
import fp from 'fastify-plugin';
import { createMetrics, type AppMetrics } from '../metrics.ts';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: AppMetrics;
  }
}

export default fp(
  async (app) => {
    app.decorate('metrics', createMetrics());
  },
  { name: 'paneward-metrics' },
);
