// State detection from declarative profiles, fused with the agents' own hook signals, as `app.detector`.
import fp from 'fastify-plugin';
import type { Config } from '../config.ts';
import { withHookFusion, type Fused } from '../detect/fusion.ts';
import { createDetector } from '../detect/index.ts';
import type { Classifier } from '../detect/types.ts';

export type Detector = Classifier & {
  explain(id: string): unknown;
  reload(): { ok: boolean; errors: string[]; profiles: string[] };
  close(): void;
};

declare module 'fastify' {
  interface FastifyInstance {
    detector: Fused<Detector>;
  }
}

export default fp<{ config: Config; detector?: Detector }>(
  async (app, { config, detector: given }) => {
    const screen =
      given ??
      createDetector({
        profileDirs: config.profilesDir ? [config.profilesDir] : [],
        watch: true,
        stuckAfterMs: config.stuckAfterMs,
        idleAfterMs: config.idleAfterMs,
        onRuleHit: (kind, rule) => app.metrics.ruleHit(kind, rule),
        log: (msg) => app.log.info(msg),
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
