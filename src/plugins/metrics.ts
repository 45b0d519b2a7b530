// The app's Prometheus registry and recorders, as `app.metrics`.
import fp from 'fastify-plugin';
import { createMetrics, type Metrics } from '../metrics.ts';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics;
  }
}

export default fp(
  async (app) => {
    app.decorate('metrics', createMetrics());
  },
  { name: 'paneward-metrics' },
);
