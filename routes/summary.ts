// Fleet summary: how many agents are in each state and of each kind, overall and per monitor.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AgentRecord } from '../src/agents/model.ts';
import { ErrorSchema } from '../src/schemas.ts';

const CountsSchema = z.object({
  total: z.number().int(),
  byState: z.record(z.string(), z.number().int()),
  byKind: z.record(z.string(), z.number().int()),
});

type Counts = z.infer<typeof CountsSchema>;

function tally(counts: Counts, a: AgentRecord): void {
  counts.total++;
  counts.byState[a.state] = (counts.byState[a.state] ?? 0) + 1;
  counts.byKind[a.kind] = (counts.byKind[a.kind] ?? 0) + 1;
}

const emptyCounts = (): Counts => ({ total: 0, byState: {}, byKind: {} });

const summary: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/v1/summary',
    {
      schema: {
        tags: ['agents'],
        operationId: 'getSummary',
        summary: 'Counts by state and kind, overall and per monitor',
        querystring: z.strictObject({}),
        response: {
          200: CountsSchema.extend({
            seq: z.number().int(),
            stale: z.boolean(),
            monitors: z.record(z.string(), CountsSchema),
          }),
          400: ErrorSchema,
        },
      },
    },
    async () => {
      const all = emptyCounts();
      const monitors: Record<string, Counts> = {};
      let cursor: string | null = null;
      let seq = 0;
      do {
        const page = await app.store.list({}, 1000, cursor);
        seq = page.seq;
        for (const a of page.agents) {
          tally(all, a);
          tally((monitors[a.monitor] ??= emptyCounts()), a);
        }
        cursor = page.nextCursor;
      } while (cursor);
      return { ...all, seq, stale: !app.store.health().up, monitors };
    },
  );
};

export default summary;
