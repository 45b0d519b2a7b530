// Shared zod schemas of the API; their .describe() text becomes the OpenAPI documentation.
import { z } from 'zod';
import { AGENT_KINDS, AGENT_STATES } from './agents/model.ts';

export const AgentStateSchema = z.enum(AGENT_STATES).meta({ id: 'AgentState', description: 'Agent state' });
export const AgentKindSchema = z.enum(AGENT_KINDS).meta({ id: 'AgentKind', description: 'What runs in the pane' });

/** What an agent looks like in the API documentation's examples. */
const AGENT_EXAMPLE = {
  id: 'myhost-1a2b3c4d-p3',
  monitor: 'myhost',
  socket: '/tmp/tmux-1000/default',
  target: 'work:1.0',
  session: 'work',
  windowIndex: 1,
  windowName: 'claude',
  paneIndex: 0,
  paneId: '%3',
  pid: 48213,
  command: 'claude',
  kind: 'claude-code',
  state: 'waiting',
  stateSince: '2026-12-06T09:14:03.512Z',
  version: 17,
  observedAt: '2026-12-06T09:20:41.007Z',
  changedAt: '2026-12-06T09:14:03.512Z',
  detail: { rule: 'claude.permission', evidence: 'Do you want to make this edit to server.ts?', confidence: 0.95 },
  stale: false,
};

/** Also the router's limit on a path parameter, so a longer id is refused the same way (src/plugins/errors.ts). */
export const AGENT_ID_MAX_LENGTH = 200;

export const AgentIdSchema = z
  .string()
  .regex(new RegExp(`^[A-Za-z0-9._~-]{1,${AGENT_ID_MAX_LENGTH}}$`), 'an agent id is letters, digits and . _ ~ - (as listed by GET /v1/agents)')
  .describe('Agent id, e.g. myhost-1a2b3c4d-p12');

export const StateDetailSchema = z
  .object({
    rule: z.string().describe('Id of the rule that decided the state'),
    evidence: z.string().describe('The screen line or signal that matched, secrets redacted'),
    confidence: z.number().min(0).max(1).describe('How sure the rule is, 0..1'),
    resetsAt: z.string().optional().describe('When a rate limit lifts (ISO 8601), if the screen says'),
    source: z
      .enum(['hook', 'screen'])
      .optional()
      .describe("Who said it: 'hook' (the agent's own hook event, POST /v1/hooks) or 'screen' (detection rules on the captured screen)"),
  })
  .meta({ id: 'StateDetail', description: 'Why the agent is in its state' });

export const AgentSchema = z
  .object({
    id: AgentIdSchema,
    monitor: z.string().describe('Monitor that observed the agent'),
    socket: z.string().describe('tmux server socket path'),
    target: z.string().describe('session:window.pane'),
    session: z.string(),
    windowIndex: z.number().int(),
    windowName: z.string(),
    paneIndex: z.number().int(),
    paneId: z.string().describe('tmux pane id, %N'),
    pid: z.number().int().describe('pid of the process tmux started in the pane'),
    command: z.string().describe("tmux's pane_current_command"),
    kind: AgentKindSchema,
    state: AgentStateSchema,
    stateSince: z.string().describe('When the current state began (ISO 8601)'),
    version: z.number().int().min(1).describe('1 when first seen, +1 on every change of state or screen'),
    observedAt: z.string().describe('Last observation (ISO 8601)'),
    changedAt: z.string().describe('Last version change (ISO 8601)'),
    detail: StateDetailSchema,
    stale: z.boolean().describe('True while the store is unreachable and this comes from memory'),
  })
  .meta({ id: 'Agent', description: 'An agent: one tmux pane and what it is doing', example: AGENT_EXAMPLE });

export const AgentPageSchema = z
  .object({
    agents: z.array(AgentSchema),
    nextCursor: z.string().nullable().describe('Pass as cursor for the next page; null on the last'),
    seq: z.number().int().describe('Global change sequence the page was read at'),
    removed: z.array(z.string()).optional().describe('With since: ids removed after it'),
    full: z
      .boolean()
      .optional()
      .describe('With since: true when the sequence was too old or unknown and this is every agent; drop ids not listed'),
  })
  .describe('A page of agents, or with since the changes after it');

export const ErrorSchema = z
  .object({
    statusCode: z.number().int(),
    code: z.string().optional(),
    error: z.string(),
    message: z.string().describe('What is wrong and, where possible, how to fix it'),
  })
  .meta({
    id: 'Error',
    description: 'Error',
    example: {
      statusCode: 404,
      code: 'PANEWARD_ERR_AGENT_NOT_FOUND',
      error: 'Not Found',
      message: "agent 'myhost-1a2b3c4d-p3' not found: it may have exited; GET /v1/agents lists the live ones",
    },
  });

export const TransitionSchema = z
  .object({
    from: AgentStateSchema.nullable(),
    to: AgentStateSchema,
    at: z.string(),
    version: z.number().int(),
    rule: z.string(),
    evidence: z.string(),
  })
  .meta({ id: 'Transition', description: 'A change of state, with the rule and evidence that decided it' });

export const CycleStatsSchema = z
  .object({
    startedAt: z.string(),
    durationMs: z.number(),
    ok: z.boolean(),
    panes: z.number().int(),
    captured: z.number().int().describe('Panes captured this cycle'),
    prefetched: z
      .number()
      .int()
      .describe('Captures asked together with the list, of the panes that changed in each of their last two cycles (no round trip of their own)'),
    prefetchUnused: z.number().int().describe('Captures asked with the list whose pane turned out unchanged: not used'),
    captureCacheHits: z.number().int().describe('Panes skipped because tmux reported no change'),
    capturesAfter: z
      .number()
      .int()
      .describe('Panes past the capture max age with no change reported: captured after the cycle, off its critical path'),
    written: z.number().int().describe('Observations written to the store in the cycle (those that changed something)'),
    refreshesAfter: z
      .number()
      .int()
      .describe('Unchanged agents whose store TTL and observedAt were due for renewal: written after the cycle'),
    changed: z.number().int().describe('Agents whose version moved'),
    removed: z.number().int().describe('Agents whose pane vanished'),
    phases: z
      .object({ listMs: z.number(), captureMs: z.number(), classifyMs: z.number(), storeMs: z.number() })
      .describe('Where the cycle spent its time (ms): tmux list, tmux capture, classification (overlaps the capture: quiet panes are classified while captures are in flight), store'),
    errors: z.array(z.string()),
  })
  .meta({ id: 'CycleStats', description: 'One poll cycle' });

export const StrategySchema = z
  .enum(['pool', 'exec'])
  .meta({ id: 'Strategy', description: 'pool: persistent tmux -C connections; exec: one tmux subprocess per command' });
