// Liveness, readiness and Prometheus metrics.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ErrorSchema } from '../src/schemas.ts';

const METRICS_EXAMPLE = [
  '# HELP paneward_agents Agents this monitor sees, by state and kind',
  '# TYPE paneward_agents gauge',
  'paneward_agents{state="waiting",kind="claude-code"} 1',
  '',
].join('\n');

const CheckSchema = z.object({ ok: z.boolean(), detail: z.string() });
const ReadySchema = z.object({
  status: z.enum(['ok', 'degraded', 'unavailable']),
  checks: z.object({ loop: CheckSchema, tmux: CheckSchema, store: CheckSchema }),
});

const health: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/livez',
    {
      schema: {
        tags: ['health'],
        operationId: 'getLiveness',
        summary: 'The process is alive',
        querystring: z.strictObject({}),
        response: { 200: z.object({ status: z.literal('ok') }), 400: ErrorSchema },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['health'],
        operationId: 'getReadiness',
        summary: 'Ready: the loop cycles and tmux answers (200 ok or degraded, 503 unavailable)',
        description: 'degraded: serving, but Redis is unreachable (answers are stale) or some tmux server is down.',
        querystring: z.strictObject({}),
        response: { 200: ReadySchema, 503: ReadySchema, 400: ErrorSchema },
      },
    },
    async (_req, reply) => {
      const { poller, tmux, store, config } = app;
      const lateAfterMs = Math.max(3 * config.pollIntervalMs, 5000);
      const lastOk = poller.lastSuccessAt;
      const lastAny = poller.lastCycle ? Date.parse(poller.lastCycle.startedAt) : null;
      const loopOk = poller.isRunning && lastAny !== null && Date.now() - lastAny < lateAfterMs + config.pollIntervalMs;
      const loop = {
        ok: loopOk,
        detail: !poller.isRunning
          ? 'loop not running'
          : lastAny === null
            ? 'no cycle finished yet'
            : `last cycle ${new Date(lastAny).toISOString()}${lastOk ? `, last clean cycle ${new Date(lastOk).toISOString()}` : ''}`,
      };
      const statuses = tmux.statuses();
      const down = statuses.filter((s) => !s.up);
      const tmuxCheck = {
        ok: down.length < statuses.length,
        detail:
          down.length === 0
            ? `${statuses.length} tmux server(s) up`
            : down.map((s) => `${s.socket}: ${s.reason ?? 'down'}`).join('; '),
      };
      const h = store.health();
      const storeCheck = { ok: h.up, detail: h.up ? `${h.backend} store up` : `${h.backend} store down: ${h.reason ?? 'unreachable'}; serving stale state from memory` };
      const checks = { loop, tmux: tmuxCheck, store: storeCheck };
      if (!loop.ok || !tmuxCheck.ok) return reply.code(503).send({ status: 'unavailable' as const, checks });
      const status = storeCheck.ok && down.length === 0 ? ('ok' as const) : ('degraded' as const);
      return { status, checks };
    },
  );

  app.get(
    '/metrics',
    {
      schema: {
        tags: ['health'],
        operationId: 'getMetrics',
        summary: 'Prometheus metrics (text exposition format)',
        description: 'Needs the bearer token only with METRICS_AUTH=true.',
        querystring: z.strictObject({}),
        response: {
          200: {
            description: 'Prometheus text exposition format 0.0.4',
            content: { 'text/plain': { schema: z.string().meta({ example: METRICS_EXAMPLE }) } },
          },
        },
      },
    },
    async (_req, reply) => {
      const body = await app.metrics.registry.metrics();
      return reply.type(app.metrics.registry.contentType).send(body);
    },
  );
};

export default health;
