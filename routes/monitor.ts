// The monitor itself: loop, pools, caches and tmux servers; switch strategy; run a cycle on demand.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { BodyNotAccepted } from '../src/errors.ts';
import { CycleStatsSchema, ErrorSchema, StrategySchema } from '../src/schemas.ts';

const CacheSchema = z.object({ hits: z.number().int(), misses: z.number().int(), hitRatio: z.number() });

const PoolStatsSchema = z.object({
  size: z.number().int(),
  idle: z.number().int(),
  borrowed: z.number().int(),
  pending: z.number().int(),
  min: z.number().int(),
  max: z.number().int(),
  createdTotal: z.number().int(),
  destroyedTotal: z.record(z.string(), z.number().int()),
  acquireWaitMs: z.object({ count: z.number(), sumMs: z.number(), lastMs: z.number() }),
  reuseRatio: z.number(),
});

const MonitorSchema = z.object({
  monitor: z.string(),
  strategy: StrategySchema,
  loop: z.object({
    running: z.boolean(),
    intervalMs: z.number().int(),
    cyclesRun: z.number().int(),
    cyclesSkipped: z.number().int(),
    lastCycle: CycleStatsSchema.nullable(),
    lastSuccessAt: z.string().nullable(),
  }),
  tmux: z.array(
    z.object({
      socket: z.string(),
      up: z.boolean(),
      reason: z.string().nullable(),
      strategy: StrategySchema,
      effectiveStrategy: StrategySchema,
      lastOkAt: z.string().nullable(),
      pool: PoolStatsSchema.nullable(),
    }),
  ),
  cache: z.object({ capture: CacheSchema, read: CacheSchema }),
  store: z.object({ backend: z.enum(['memory', 'redis']), up: z.boolean(), reason: z.string().nullable() }),
});

const withRatio = ({ hits, misses }: { hits: number; misses: number }) => ({
  hits,
  misses,
  hitRatio: hits + misses === 0 ? 0 : hits / (hits + misses),
});

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const NoBodySchema = z.strictObject({});

const monitor: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/v1/monitor',
    {
      schema: {
        tags: ['monitor'],
        operationId: 'getMonitor',
        summary: 'Loop, pool and cache statistics, strategy, tmux servers up or down',
        querystring: z.strictObject({}),
        response: { 200: MonitorSchema, 400: ErrorSchema },
      },
    },
    async () => {
      const { poller, tmux, store } = app;
      return {
        monitor: app.config.monitorId,
        strategy: tmux.strategy(),
        loop: {
          running: poller.isRunning,
          intervalMs: app.config.pollIntervalMs,
          cyclesRun: poller.cyclesRun,
          cyclesSkipped: poller.cyclesSkipped,
          lastCycle: poller.lastCycle,
          lastSuccessAt: iso(poller.lastSuccessAt),
        },
        tmux: tmux.servers.map((s) => {
          const st = s.status();
          return { ...st, lastOkAt: iso(st.lastOkAt), pool: s.poolStats() };
        }),
        cache: {
          capture: withRatio(poller.captureCache),
          read: withRatio(store.cacheStats().read),
        },
        store: store.health(),
      };
    },
  );

  app.put(
    '/v1/monitor/strategy',
    {
      schema: {
        tags: ['monitor'],
        operationId: 'setStrategy',
        summary: 'Switch how tmux is reached, without restart; commands in flight finish on the old strategy',
        querystring: z.strictObject({}),
        body: z.strictObject({ strategy: StrategySchema }),
        response: { 200: z.object({ strategy: StrategySchema, previous: StrategySchema }), 400: ErrorSchema },
      },
    },
    async (req) => {
      const previous = app.tmux.strategy();
      app.tmux.setStrategy(req.body.strategy);
      req.log.info({ previous, strategy: req.body.strategy }, 'tmux strategy switched');
      return { strategy: req.body.strategy, previous };
    },
  );

  app.post(
    '/v1/monitor/cycle',
    {
      schema: {
        tags: ['monitor'],
        operationId: 'runCycle',
        summary: 'Run a poll cycle now (after the one in flight, never overlapping) and return its statistics',
        querystring: z.strictObject({}),
        response: { 200: CycleStatsSchema, 400: ErrorSchema },
      },
      // No body, or an empty JSON object: anything in it would be a setting this endpoint ignores. Checked here,
      // not as schema.body, which would make the OpenAPI document say a body is required.
      preValidation: async (req) => {
        const parsed = NoBodySchema.safeParse(req.body === '' || req.body == null ? {} : req.body);
        if (!parsed.success) throw new BodyNotAccepted(parsed.error.issues[0]!.message);
      },
    },
    async () => app.poller.runNow(),
  );
};

export default monitor;
