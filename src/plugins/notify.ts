// Webhooks, as `app.webhooks`: loads WEBHOOKS_FILE (reloading it when it changes), follows the change stream
// (`app.events`) from when the app is ready and delivers until the app closes. Without WEBHOOKS_FILE it only
// reports so.
import fp from 'fastify-plugin';
import type { Config } from '../config.ts';
import { watchWebhooksFile, type WatchedWebhooks } from '../notify/load.ts';
import { Notifier, type HookReport } from '../notify/notifier.ts';
import { RedisQueue } from '../notify/queue/redis.ts';
import type { Hook } from '../notify/schemas.ts';
import type { ChangeSource } from '../notify/source.ts';

export interface Webhooks {
  file: string | null;
  queue: 'memory' | 'redis' | null;
  hooks(): Hook[];
  report(hook: string): HookReport;
  loadedAt(): number | null;
  lastReloadError(): string | null;
}

declare module 'fastify' {
  interface FastifyInstance {
    webhooks: Webhooks;
  }
}

const NONE: Webhooks = {
  file: null,
  queue: null,
  hooks: () => [],
  report: () => ({ delivered: 0, failures: 0, dropped: 0, suppressed: 0, lastDelivery: null, queueDepth: 0 }),
  loadedAt: () => null,
  lastReloadError: () => null,
};

export default fp<{ config: Config; source?: ChangeSource }>(
  async (app, { config, source }) => {
    if (!config.webhooksFile) {
      app.decorate('webhooks', NONE);
      return;
    }
    const file: WatchedWebhooks = watchWebhooksFile(config.webhooksFile, { onChange: () => undefined, log: (msg, level) => app.log[level ?? 'info'](msg) });
    const notifier = new Notifier({
      monitor: config.monitorId,
      config: () => file.current(),
      queue: config.redis ? new RedisQueue({ redis: config.redis, monitor: config.monitorId, maxPending: config.webhooksMaxPending }) : null,
      maxPending: config.webhooksMaxPending,
      registry: app.metrics.registry,
      log: { info: (msg) => app.log.info(msg), warn: (msg) => app.log.warn(msg) },
    });
    app.decorate('webhooks', {
      file: config.webhooksFile,
      queue: notifier.backend,
      hooks: () => file.current().hooks,
      report: (hook) => notifier.report(hook),
      loadedAt: () => file.loadedAt(),
      lastReloadError: () => file.lastError(),
    });
    app.addHook('onReady', async () => notifier.start(source ?? app.events));
    app.addHook('onClose', async () => {
      file.close();
      await notifier.close();
    });
  },
  { name: 'paneward-notify', dependencies: ['paneward-metrics', 'paneward-events'] },
);
