// State detection from declarative profiles, fused with the agents' own hook signals, as `app.detector`.
import fp from 'fastify-plugin';
import type { Config } from '../config.ts';
import { registerDetectorMetrics } from '../collectors/detector.ts';
import { withHookFusion, type FusedDetector } from '../detect/fusion.ts';
import { createDetector, type Detector } from '../detect/index.ts';

declare module 'fastify' {
  interface FastifyInstance {
    detector: FusedDetector;
  }
}

export default fp<{ config: Config; detector?: Detector }>(
  async (app, { config, detector: given }) => {
    const onRuleHit = registerDetectorMetrics(app.metrics.registry);
    const screen =
      given ??
      createDetector({
        profileDirs: config.profilesDir ? [config.profilesDir] : [],
        watch: true,
        stuckAfterMs: config.stuckAfterMs,
        idleAfterMs: config.idleAfterMs,
        onRuleHit,
        log: (msg, level) => app.log[level ?? 'info'](msg),
      });
    const detector = withHookFusion(screen, {
      confirmMs: config.hookConfirmMs,
      freshMs: config.hookFreshMs,
      stuckAfterMs: config.stuckAfterMs,
    });
    app.decorate('detector', detector);
    app.addHook('onClose', async () => detector.close());
  },
  { name: 'paneward-detector', dependencies: ['paneward-metrics'] },
);
