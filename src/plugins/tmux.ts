// The tmux servers we watch, one access object per socket, as `app.tmux`.
import fp from 'fastify-plugin';
import type { Config } from '../config.ts';
import { registerTmuxMetrics } from '../collectors/tmux.ts';
import { createTmuxServer } from '../tmux/index.ts';
import type { Strategy, TmuxServer, TmuxServerStatus } from '../tmux/types.ts';

export interface TmuxFleet {
  readonly servers: TmuxServer[];
  strategy(): Strategy;
  /** Switch every server; commands in flight finish on the strategy they started with. */
  setStrategy(strategy: Strategy): void;
  statuses(): TmuxServerStatus[];
}

declare module 'fastify' {
  interface FastifyInstance {
    tmux: TmuxFleet;
  }
}

export default fp<{ config: Config; servers?: TmuxServer[] }>(
  async (app, { config, servers: given }) => {
    const observer = registerTmuxMetrics(app.metrics.registry, () => servers);
    const servers: TmuxServer[] =
      given ??
      config.sockets.map((socket) =>
        createTmuxServer({
          socket,
          strategy: config.strategy,
          poolMin: config.poolMin,
          poolMax: config.poolMax,
          observer,
        }),
      );
    let strategy = config.strategy;
    app.decorate('tmux', {
      servers,
      strategy: () => strategy,
      setStrategy(next: Strategy) {
        strategy = next;
        for (const s of servers) s.setStrategy(next);
      },
      statuses: () => servers.map((s) => s.status()),
    });
    app.addHook('onClose', async () => {
      await Promise.all(servers.map((s) => s.close()));
    });
  },
  { name: 'paneward-tmux', dependencies: ['paneward-metrics'] },
);
