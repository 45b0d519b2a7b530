// Builds the paneward app from an explicit config; never listens (src/server.ts does).
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import agentRoutes from '../routes/agents.ts';
import boardRoutes from '../routes/board.ts';
import eventRoutes from '../routes/events.ts';
import healthRoutes from '../routes/health.ts';
import hookRoutes from '../routes/hooks.ts';
import monitorRoutes from '../routes/monitor.ts';
import summaryRoutes from '../routes/summary.ts';
import webhookRoutes from '../routes/webhooks.ts';
import type { Config } from './config.ts';
import corsPlugin from './plugins/cors.ts';
import type { Detector } from './detect/index.ts';
import { loggerOptions, RequestLog } from './logging.ts';
import detectorPlugin from './plugins/detector.ts';
import docsPlugin from './plugins/docs.ts';
import errorsPlugin, { answerRouterError } from './plugins/errors.ts';
import eventsPlugin from './plugins/events.ts';
import hooksPlugin from './plugins/hooks.ts';
import metricsPlugin from './plugins/metrics.ts';
import notifyPlugin from './plugins/notify.ts';
import pollerPlugin from './plugins/poller.ts';
import securityPlugin from './plugins/security.ts';
import storePlugin, { type AppStore } from './plugins/store.ts';
import tmuxPlugin from './plugins/tmux.ts';
import type { ChangeSource } from './notify/source.ts';
import { AGENT_ID_MAX_LENGTH } from './schemas.ts';
import type { TmuxServer } from './tmux/types.ts';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
  }
}

/** Parts a test or an embedder may supply instead of the ones built from config. */
export interface AppDeps {
  servers?: TmuxServer[];
  store?: AppStore;
  detector?: Detector;
  /** Start the poll loop when the app is ready (default true). */
  startLoop?: boolean;
  /** false: no log; a stream: the log goes there as JSON (tests read it); default: stdout. */
  logger?: boolean | { stream: NodeJS.WritableStream };
  /** What webhooks follow instead of the app's change stream. */
  changeSource?: ChangeSource;
  /** Whether stdout is a terminal (LOG_FORMAT=auto logs pretty there); src/server.ts says. */
  stdoutIsTTY?: boolean;
}

export async function buildApp(config: Config, deps: AppDeps = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger:
      deps.logger === false
        ? false
        : typeof deps.logger === 'object'
          ? { level: config.logLevel, stream: deps.logger.stream }
          : loggerOptions(config, deps.stdoutIsTTY ?? false),
    logController: new RequestLog(),
    // Ids and cursors are short; a long URL is a mistake or an attack.
    routerOptions: { maxParamLength: AGENT_ID_MAX_LENGTH },
    frameworkErrors: answerRouterError,
    bodyLimit: 16 * 1024,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorate('config', config);

  await app.register(errorsPlugin);
  await app.register(securityPlugin, { config });
  await app.register(corsPlugin, { config });
  await app.register(docsPlugin);
  await app.register(metricsPlugin);
  await app.register(tmuxPlugin, { config, servers: deps.servers });
  await app.register(storePlugin, { config, store: deps.store });
  await app.register(eventsPlugin, { config });
  await app.register(detectorPlugin, { config, detector: deps.detector });
  await app.register(pollerPlugin, { config, startLoop: deps.startLoop });
  await app.register(notifyPlugin, { config, source: deps.changeSource });
  await app.register(hooksPlugin, { config });

  await app.register(healthRoutes);
  await app.register(agentRoutes);
  await app.register(summaryRoutes);
  await app.register(monitorRoutes);
  await app.register(webhookRoutes);
  await app.register(eventRoutes);
  await app.register(hookRoutes);
  await app.register(boardRoutes);
  return app;
}
