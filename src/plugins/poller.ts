// The background poll loop, as `app.poller`: starts when the app is ready, stops (finishing the cycle in
// flight) when it closes. Registers the loop's metrics, which read its in-memory state.
import fp from 'fastify-plugin';
import type { Config } from '../config.ts';
import { registerLoopMetrics } from '../collectors/loop.ts';
import { registerAgentAttention } from '../metrics/attention.ts';
import { youngGenerationCollector } from '../loop/idle-gc.ts';
import { Poller } from '../loop/poller.ts';

/** How long upkeep waits at most for the change stream to hand out the cycle's changes. */
const DELIVERY_FIRST_MS = 100;

declare module 'fastify' {
  interface FastifyInstance {
    poller: Poller;
  }
}

export default fp<{ config: Config; startLoop?: boolean }>(
  async (app, { config, startLoop = true }) => {
    const recorder = registerLoopMetrics(app.metrics, () => poller);
    const attention = registerAgentAttention(app.metrics.registry, () => poller.current().map((a) => a.id));
    const poller = new Poller({
      monitor: config.monitorId,
      servers: () => app.tmux.servers,
      store: app.store,
      classifier: () => app.detector,
      intervalMs: config.pollIntervalMs,
      captureMaxAgeMs: config.captureMaxAgeMs,
      refreshEveryMs: Math.max(1000, (config.agentTtlSeconds * 1000) / 3),
      betweenCycles: youngGenerationCollector() ?? undefined,
      beforeUpkeep: () => app.events.drained(DELIVERY_FIRST_MS),
      onCycle: recorder.onCycle,
      onSkipped: recorder.onSkipped,
      onTransition: recorder.onTransition,
      onWritten: (records) => attention.noteWritten(records),
      log: app.log,
    });
    app.decorate('poller', poller);

    if (startLoop) app.addHook('onReady', async () => poller.start());
    app.addHook('preClose', async () => poller.stop());
  },
  { name: 'paneward-poller', dependencies: ['paneward-tmux', 'paneward-store', 'paneward-events', 'paneward-detector'] },
);
