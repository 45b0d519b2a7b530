// State detection from declarative profiles, as `app.detector`.
import fp from 'fastify-plugin';
import type { Config } from '../config.ts';
import { registerDetectorMetrics } from '../collectors/detector.ts';
import { createDetector, type Detector } from '../detect/index.ts';

declare module 'fastify' {
  interface FastifyInstance {
    detector: Detector;
  }
}

export default fp<{ config: Config; detector?: Detector }>(
  async (app, { config, detector: given }) => {
    const onRuleHit = registerDetectorMetrics(app.metrics.registry);
    const detector =
      given ??
      createDetector({
        profileDirs: config.profilesDir ? [config.profilesDir] : [],
        watch: true,
        stuckAfterMs: config.stuckAfterMs,
        idleAfterMs: config.idleAfterMs,
        onRuleHit,
        log: (msg) => app.log.info(msg),
      });
    app.decorate('detector', detector);
    app.addHook('onClose', async () => detector.close());
  },
  { name: 'paneward-detector', dependencies: ['paneward-metrics'] },
);
