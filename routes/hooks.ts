// POST /v1/hooks/{source}: agents report their own state. Answered from memory at once; the state is fused with
// the screen and published through the store right after (see src/hooks/README.md).
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { HOOK_SOURCES, PAYLOAD_SCHEMAS, type HookPayload, type HookSource } from '../src/hooks/payloads.ts';
import { paneRefOf } from '../src/hooks/pane.ts';
import { signalOf } from '../src/hooks/signals.ts';
import { AgentStateSchema, ErrorSchema } from '../src/schemas.ts';

/** Tool inputs (a file being written) can be large; more than this is not a hook worth reading. */
const HOOK_BODY_LIMIT = 1024 * 1024;

const HookHeadersSchema = z.looseObject({
  'x-tmux-pane': z.string().max(64).optional().describe("tmux's $TMUX_PANE in the agent's environment, e.g. %12"),
  'x-tmux': z.string().max(4096).optional().describe("tmux's $TMUX: socket path, server pid and session, comma-separated"),
});

export const HookAcceptedSchema = z
  .object({
    matched: z.boolean().describe('The hook named a pane this monitor watches (false: not in tmux, another server, or a pane not listed yet, kept a few seconds)'),
    id: z.string().optional().describe('The agent the hook was applied to'),
    state: AgentStateSchema.nullable().describe('The state the event means; null when it says nothing about the state'),
  })
  .describe('Hook taken');

const TITLES: Record<HookSource, string> = {
  'claude-code': 'Claude Code hook (its http hook posts the hook input as is)',
  codex: 'Codex notify payload or hooks.json input',
  'gemini-cli': 'Gemini CLI hook input',
  generic: 'Any program reporting its own state',
};

const pascal = (s: string) => s.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase());

const hooks: FastifyPluginAsyncZod = async (app) => {
  for (const source of HOOK_SOURCES) {
    app.post(
      `/v1/hooks/${source}`,
      {
        bodyLimit: HOOK_BODY_LIMIT,
        schema: {
          operationId: `postHook${pascal(source)}`,
          tags: ['hooks'],
          summary: TITLES[source],
          description:
            'The pane comes from X-Tmux-Pane and X-Tmux. Answers at once (202) without waiting on tmux or the store; the state is published right after. Needs Authorization: Bearer <HOOK_TOKEN> when HOOK_TOKEN is set.',
          headers: HookHeadersSchema,
          body: PAYLOAD_SCHEMAS[source],
          response: { 202: HookAcceptedSchema, 400: ErrorSchema, 401: ErrorSchema, 413: ErrorSchema },
        },
      },
      async (req, reply) => {
        const at = Date.now();
        const signal = signalOf({ source, body: req.body } as HookPayload, at);
        const ref = paneRefOf(req.headers['x-tmux-pane'], req.headers['x-tmux']);
        const { matched, id } = app.hookDispatcher.accept(source, ref, signal);
        return reply.code(202).send({ matched, ...(id ? { id } : {}), state: signal?.state ?? null });
      },
    );
  }
};

export default hooks;
