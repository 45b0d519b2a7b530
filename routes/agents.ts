// Agents: list (filters, pagination, changes since a sequence), one agent, its screen, history and explanation.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { redact, redactDeep } from '../src/detect/redact.ts';
import { AgentNotFound, BadCursor, NoExplanation } from '../src/errors.ts';
import { etagMatches } from '../src/etag.ts';
import { FusedTraceSchema } from '../src/detect/fusion.ts';
import { InvalidCursorError } from '../src/store/index.ts';
import {
  AgentIdSchema,
  AgentKindSchema,
  AgentPageSchema,
  AgentSchema,
  AgentStateSchema,
  ErrorSchema,
  TransitionSchema,
} from '../src/schemas.ts';

const DEFAULT_PAGE_SIZE = 100;

const ListQuerySchema = z
  .strictObject({
    state: AgentStateSchema.optional(),
    kind: AgentKindSchema.optional(),
    session: z.string().min(1).max(256).optional().describe('tmux session name'),
    monitor: z.string().min(1).max(64).optional().describe('Only agents of this monitor'),
    limit: z.coerce.number().int().min(1).max(1000).optional().describe(`Page size, 1..1000 (default ${DEFAULT_PAGE_SIZE}); not with since`),
    cursor: z.string().min(1).max(512).optional().describe('nextCursor of the previous page; not with since'),
    since: z.coerce
      .number()
      .int()
      .min(0)
      .optional()
      .describe('Only agents changed after this sequence number, plus the ids removed since (no pagination)'),
  })
  .superRefine((query, ctx) => {
    // Changes since a sequence come whole; a page size or cursor beside it would be silently ignored.
    if (query.since === undefined) return;
    for (const key of ['limit', 'cursor'] as const) {
      if (query[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `${key} cannot be combined with since (changes since a sequence are not paged)` });
    }
  });

/**
 * `true` or `false` in any case (Python's requests sends True and False) and nothing else: a misspelt value must
 * not decide whether secrets are shown.
 */
const RedactSchema = z.stringbool({ truthy: ['true'], falsy: ['false'], case: 'insensitive' }).default(true);

const IdParamsSchema = z.strictObject({ id: AgentIdSchema });
const NoQuerySchema = z.strictObject({});

const agents: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/v1/agents',
    {
      schema: {
        tags: ['agents'],
        operationId: 'listAgents',
        summary: 'List agents',
        description: 'ETag follows the global change sequence (and, while answers are stale, local changes too): send If-None-Match to get 304 while nothing changed.',
        querystring: ListQuerySchema,
        response: {
          200: AgentPageSchema,
          304: z.null().describe('Not modified'),
          400: ErrorSchema,
          401: ErrorSchema,
        },
      },
    },
    async (req, reply) => {
      const { limit, cursor, since, ...filter } = req.query;
      if (etagMatches(req, reply, await app.store.changeTag())) return reply.code(304).send(null);
      if (since !== undefined) {
        const changes = await app.store.since(since, filter);
        return { agents: changes.agents, nextCursor: null, seq: changes.seq, removed: changes.removed, full: changes.full ?? false };
      }
      try {
        return await app.store.list(filter, limit ?? DEFAULT_PAGE_SIZE, cursor ?? null);
      } catch (err) {
        if (err instanceof InvalidCursorError) throw new BadCursor();
        throw err;
      }
    },
  );

  app.get(
    '/v1/agents/:id',
    {
      schema: {
        tags: ['agents'],
        operationId: 'getAgent',
        summary: 'One agent',
        description: 'ETag follows the agent version.',
        params: IdParamsSchema,
        querystring: NoQuerySchema,
        response: { 200: AgentSchema, 304: z.null(), 400: ErrorSchema, 404: ErrorSchema },
      },
    },
    async (req, reply) => {
      const agent = await app.store.get(req.params.id);
      if (!agent) throw new AgentNotFound(req.params.id);
      if (etagMatches(req, reply, `${agent.id}-v${agent.version}${agent.stale ? '-stale' : ''}`)) {
        return reply.code(304).send(null);
      }
      return agent;
    },
  );

  app.get(
    '/v1/agents/:id/screen',
    {
      schema: {
        tags: ['agents'],
        operationId: 'getAgentScreen',
        summary: 'Last captured screen of an agent',
        params: IdParamsSchema,
        querystring: z.strictObject({
          lines: z.coerce.number().int().min(1).max(1000).default(200).describe('Last N lines, 1..1000'),
          redact: RedactSchema.describe('Mask secrets (keys, tokens, passwords, private keys) in the screen; `true` (default) or `false`, in any case: `false` shows it as captured'),
        }),
        response: {
          200: z.object({ id: z.string(), version: z.number().int(), lines: z.array(z.string()), text: z.string() }),
          400: ErrorSchema,
          404: ErrorSchema,
        },
      },
    },
    async (req) => {
      const [agent, screen] = await Promise.all([app.store.get(req.params.id), app.store.screen(req.params.id)]);
      if (!agent || screen === null) throw new AgentNotFound(req.params.id);
      // Redacted whole, before the cut, so a secret spanning lines (a private-key block) is seen entire.
      const lines = (req.query.redact ? redact(screen) : screen).split('\n').slice(-req.query.lines);
      return { id: agent.id, version: agent.version, lines, text: lines.join('\n') };
    },
  );

  app.get(
    '/v1/agents/:id/history',
    {
      schema: {
        tags: ['agents'],
        operationId: 'getAgentHistory',
        summary: 'State transitions of an agent, newest first',
        params: IdParamsSchema,
        querystring: z.strictObject({
          limit: z.coerce.number().int().min(1).max(100).default(20).describe('Most transitions to return, 1..100'),
        }),
        response: {
          200: z.object({ id: z.string(), transitions: z.array(TransitionSchema) }),
          400: ErrorSchema,
          404: ErrorSchema,
        },
      },
    },
    async (req) => {
      const agent = await app.store.get(req.params.id);
      if (!agent) throw new AgentNotFound(req.params.id);
      const transitions = await app.store.history(agent.id, req.query.limit);
      return { id: agent.id, transitions: transitions.map((t) => ({ ...t, evidence: redact(t.evidence) })) };
    },
  );

  app.get(
    '/v1/agents/:id/explain',
    {
      schema: {
        tags: ['agents'],
        operationId: 'explainAgent',
        summary: 'Why the agent is in its state: every rule tried, which matched, which won',
        params: IdParamsSchema,
        querystring: NoQuerySchema,
        response: { 200: z.object({ id: z.string(), trace: FusedTraceSchema }), 400: ErrorSchema, 404: ErrorSchema },
      },
    },
    async (req) => {
      const trace = app.detector.explain(req.params.id);
      if (trace === null || trace === undefined) throw new NoExplanation(req.params.id);
      return { id: req.params.id, trace: redactDeep(trace) };
    },
  );
};

export default agents;
