// GET /v1/events: the change stream as Server-Sent Events (snapshot, then agent and removed events).
import sseModule, { type SSEPluginOptions } from '@fastify/sse';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import Negotiator from 'negotiator';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { StreamEncoding } from '../src/events/frames.ts';
import { eventsClientsGauge } from '../src/events/metrics.ts';
import { SseClient } from '../src/events/sse-client.ts';
import { SnapshotShelf } from '../src/events/snapshots.ts';
import { AgentKindSchema, AgentStateSchema, ErrorSchema } from '../src/schemas.ts';

// @fastify/sse is CommonJS: its module.exports is the plugin wrapped by fastify-plugin (so its route hook reaches
// the routes of this file), which the types only describe as the module.
const sse = sseModule as unknown as FastifyPluginAsync<SSEPluginOptions>;

/** What EventSource waits before reconnecting after the stream ends. */
export const RETRY_MS = 2000;
/** How long a resuming client waits for this instance's stream to reach the seq the store is at. */
const CATCH_UP_MS = 1000;

const EventsQuerySchema = z.strictObject({
  state: AgentStateSchema.optional(),
  kind: AgentKindSchema.optional(),
  session: z.string().min(1).max(256).optional().describe('tmux session name'),
  monitor: z.string().min(1).max(64).optional().describe('Only agents of this monitor'),
  since: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .describe('Resume after this sequence number, like the Last-Event-ID header (which wins when both are given)'),
  access_token: z
    .string()
    .max(1024)
    .optional()
    .describe('API_TOKEN, for EventSource, which cannot send an Authorization header; accepted on this route only, never logged'),
});

const STREAM_DESCRIPTION = [
  'text/event-stream. A fresh connection first gets one `snapshot` event (data: `{"agents":[…],"seq":N}`, the filtered list, id N),',
  'then `agent` events (data: the full agent record) and `removed` events (data: `{"id":"…"}`), each with `id: <seq>`.',
  'With `Last-Event-ID: N` (or `?since=N`) the stream starts with exactly the changes after N (the last one per agent, what',
  'GET /v1/agents?since=N returns), or with a snapshot when N is too old or unknown. Events made while Redis is away carry',
  '`"stale":true` and no id; they come again with an id once Redis is back. A comment line is sent at least every',
  'EVENTS_HEARTBEAT_MS; `retry:` is set. A client that stops reading is disconnected once EVENTS_CLIENT_BUFFER_BYTES of',
  'events wait for it; it reconnects with its Last-Event-ID and loses nothing. A client that accepts gzip (browsers do) gets',
  'the stream compressed (`Content-Encoding: gzip`, flushed after every write; a cycle\'s changes take about a sixteenth of the bytes).',
].join(' ');

function lastEventId(header: string | string[] | undefined): number | null | undefined {
  if (header === undefined) return undefined;
  const text = Array.isArray(header) ? header[0] : header;
  // A Last-Event-ID this server did not hand out is "unknown": a snapshot, not an error (browsers send it by themselves).
  return text !== undefined && /^\d{1,15}$/.test(text.trim()) ? Number(text.trim()) : null;
}

/** gzip when the client's Accept-Encoding prefers it to identity, as every browser's EventSource does; otherwise as is. */
function encodingFor(req: FastifyRequest): StreamEncoding {
  return new Negotiator(req).encoding(['gzip', 'identity']) === 'gzip' ? 'gzip' : 'identity';
}

const events: FastifyPluginAsyncZod = async (app) => {
  // The heartbeat is the client's (sse-client.ts): it has to go through the stream's compression.
  await app.register(sse, { heartbeatInterval: 0 });
  const clients = new Set<SseClient>();
  const snapshots = new SnapshotShelf(app.store);
  eventsClientsGauge(app.metrics.registry, () => clients.size);
  app.addHook('preClose', async () => {
    for (const client of clients) client.end();
  });

  app.get(
    '/v1/events',
    {
      sse: { kind: 'only', serializer: (data: unknown) => (typeof data === 'string' ? data : JSON.stringify(data)) },
      schema: {
        operationId: 'streamEvents',
        tags: ['agents'],
        summary: 'Live agent changes (Server-Sent Events)',
        description: STREAM_DESCRIPTION,
        querystring: EventsQuerySchema,
        headers: z.object({ 'last-event-id': z.string().max(64).optional().describe('Resume after this sequence number') }),
        response: {
          200: {
            description: STREAM_DESCRIPTION,
            content: {
              'text/event-stream': {
                schema: z
                  .string()
                  .describe('Events, each `event:` line one of: snapshot (data {"agents":[Agent…],"seq":N}), agent (data: an Agent), removed (data {"id":"…"})'),
              },
            },
          },
          400: ErrorSchema,
          401: ErrorSchema,
          406: ErrorSchema,
        },
      },
    },
    async (req, reply) => {
      const { since: sinceQuery, access_token: _token, ...filter } = req.query;
      const fromHeader = lastEventId(req.headers['last-event-id']);
      const since = fromHeader !== undefined ? fromHeader : (sinceQuery ?? null);
      if (since !== null) await catchUp(app.events, await app.store.seq());
      // The client may have left while its resume waited: nothing to stream to, and its close has already been heard.
      if (!reply.sse.isConnected || reply.raw.destroyed) return;
      const encoding = encodingFor(req);
      appendVary(reply, 'Accept-Encoding');
      if (encoding === 'gzip') reply.header('Content-Encoding', 'gzip');
      reply.sse.keepAlive();
      reply.sse.sendHeaders();
      const client = new SseClient(reply, {
        stream: app.events,
        store: app.store,
        filter,
        bufferBytes: app.config.eventsClientBufferBytes,
        snapshots,
        encoding,
        heartbeatMs: app.config.eventsHeartbeatMs,
        retryMs: RETRY_MS,
        onCut: () => req.log.info({ bufferBytes: app.config.eventsClientBufferBytes }, 'events: client too far behind; disconnected'),
      });
      clients.add(client);
      reply.sse.onClose(() => clients.delete(client));
      await client.start(since);
    },
  );
};

/** Adds to Vary rather than replacing it: the CORS hook has set `Vary: Origin` already. */
function appendVary(reply: FastifyReply, field: string): void {
  const vary = reply.getHeader('vary');
  reply.header('Vary', vary ? `${String(vary)}, ${field}` : field);
}

/** Waits (briefly) until this instance's stream has read up to `seq`, so a resume and ?since agree. */
async function catchUp(stream: { seq: number }, seq: number): Promise<void> {
  const deadline = performance.now() + CATCH_UP_MS;
  while (stream.seq < seq && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
}

export default events;
