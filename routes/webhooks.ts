// The configured webhooks and how their deliveries are going; never a secret, a header value or a URL's path.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { HookFormatSchema, type Hook } from '../src/notify/schemas.ts';
import { AgentKindSchema, AgentStateSchema, ErrorSchema } from '../src/schemas.ts';

const filter = <T extends z.ZodType>(item: T) => z.array(item).nullable().describe('null: no filter');

const HookReportSchema = z
  .object({
    name: z.string(),
    format: HookFormatSchema,
    target: z.string().describe("Scheme, host and port the hook posts to (the path and query are left out: they may hold a token)"),
    signed: z.boolean().describe('Deliveries carry Standard Webhooks signature headers'),
    filters: z.object({
      states: filter(AgentStateSchema),
      kinds: filter(AgentKindSchema),
      sessions: filter(z.string()),
      monitors: filter(z.string()),
    }),
    afterMs: z.number().int(),
    cooldownMs: z.number().int(),
    lastDelivery: z
      .object({
        at: z.string().describe('When the last attempt ended (ISO 8601)'),
        ok: z.boolean(),
        status: z.number().int().nullable().describe('HTTP status, null when no answer came'),
        error: z.string().nullable(),
      })
      .nullable()
      .describe('The last delivery attempt of this instance, null before the first'),
    delivered: z.number().int().describe('Deliveries the receiver accepted (2xx), since this instance started'),
    failures: z.number().int().describe('Attempts that failed (each is retried until the retry window ends)'),
    dropped: z.number().int().describe('Deliveries dropped because the queue was full'),
    suppressed: z.number().int().describe('Notifications left out because of the cooldown'),
    queueDepth: z.number().int().describe('Deliveries pending, due or waiting for a retry'),
  })
  .describe('One webhook');

const WebhooksSchema = z
  .object({
    file: z.string().nullable().describe('WEBHOOKS_FILE, null when unset (no webhooks)'),
    queue: z.enum(['memory', 'redis']).nullable().describe('Where pending deliveries are kept'),
    loadedAt: z.string().nullable().describe('When the hooks in force were loaded (ISO 8601)'),
    reloadError: z.string().nullable().describe('Why the last change to the file was rejected (the previous hooks stay), null when it loaded'),
    hooks: z.array(HookReportSchema),
  })
  .describe('Webhooks and their deliveries');

function target(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}`;
}

const webhooks: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/v1/webhooks',
    {
      schema: {
        operationId: 'listWebhooks',
        tags: ['webhooks'],
        summary: 'Configured webhooks: filters, last delivery, failures and queue depth (no secrets)',
        querystring: z.strictObject({}),
        response: { 200: WebhooksSchema, 400: ErrorSchema, 401: ErrorSchema },
      },
    },
    async () => {
      const w = app.webhooks;
      const loadedAt = w.loadedAt();
      return {
        file: w.file,
        queue: w.queue,
        loadedAt: loadedAt === null ? null : new Date(loadedAt).toISOString(),
        reloadError: w.lastReloadError(),
        hooks: w.hooks().map((h: Hook) => ({
          name: h.name,
          format: h.format,
          target: target(h.url),
          signed: h.secret !== undefined,
          filters: { states: h.states ?? null, kinds: h.kinds ?? null, sessions: h.sessions ?? null, monitors: h.monitors ?? null },
          afterMs: h.afterMs,
          cooldownMs: h.cooldownMs,
          ...w.report(h.name),
        })),
      };
    },
  );
};

export default webhooks;
