// Agents: list (filters, pagination, changes since a sequence), one agent, its screen, history and explanation.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AgentNotFound, BadCursor, NoExplanation } from '../src/errors.ts';
import { etagMatches } from '../src/etag.ts';
import { DetectionTraceSchema } from '../src/detect/index.ts';
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

const ListQuerySchema = z.strictObject({
  state: AgentStateSchema.optional(),
  kind: AgentKindSchema.optional(),
  session: z.string().min(1).max(256).optional().describe('tmux session name'),
  monitor: z.string().min(1).max(64).optional().describe('Only agents of this monitor'),
  limit: z.coerce.number().int().min(1).max(1000).default(100).describe('Page size, 1..1000'),
  cursor: z.string().min(1).max(512).optional().describe('nextCursor of the previous page'),
  since: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .describe('Only agents changed after this sequence number, plus the ids removed since (no pagination)'),
});

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
        return await app.store.list(filter, limit, cursor ?? null);
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
      const lines = screen.split('\n').slice(-req.query.lines);
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
      return { id: agent.id, transitions: await app.store.history(agent.id, req.query.limit) };
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
        response: { 200: z.object({ id: z.string(), trace: DetectionTraceSchema }), 400: ErrorSchema, 404: ErrorSchema },
      },
    },
    async (req) => {
      const trace = app.detector.explain(req.params.id);
      if (trace === null || trace === undefined) throw new NoExplanation(req.params.id);
      return { id: req.params.id, trace };
    },
  );
};

export default agents;
