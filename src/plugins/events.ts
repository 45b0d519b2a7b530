// The change stream, as `app.events`: every published change of the store (fleet-wide with Redis), in seq
// order, for SSE clients, webhooks and the transition log.
import fp from 'fastify-plugin';
import type { Config } from '../config.ts';
import { createChangeSource, type ChangeHub } from '../events/index.ts';
import { eventsDeliveryHistogram } from '../events/metrics.ts';
import { logTransitions } from '../events/transition-log.ts';

declare module 'fastify' {
  interface FastifyInstance {
    events: ChangeHub;
  }
}

export default fp<{ config: Config }>(
  async (app, { config }) => {
    let lastError = '';
    const delivery = eventsDeliveryHistogram(app.metrics.registry);
    const source = await createChangeSource(app.store, {
      redis: config.redis,
      onDelivered: (waitedMs) => delivery.observe(waitedMs / 1000),
      onListenerError: (err) => app.log.error({ err }, 'events: a subscriber failed'),
      onError: (err) => {
        // The store reports Redis outages already; one line per distinct reason is enough here.
        if (err.message !== lastError) app.log.warn({ err: err.message }, 'events: redis reader error; retrying');
        lastError = err.message;
      },
    });
    app.decorate('events', source.hub);
    const stopLog = logTransitions(source.hub, config.monitorId, app.log);
    app.addHook('onClose', async () => {
      stopLog();
      await source.close();
    });
  },
  { name: 'paneward-events', dependencies: ['paneward-metrics', 'paneward-store'] },
);
