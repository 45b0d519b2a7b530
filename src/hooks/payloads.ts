// What each agent posts to /v1/hooks/{source}: its own hook JSON, unchanged. Only the fields paneward reads are
// checked; agents add fields with every release, so everything else passes through.
import { z } from 'zod';
import { AgentStateSchema } from '../schemas.ts';

export const HOOK_SOURCES = ['claude-code', 'codex', 'gemini-cli', 'generic'] as const;
export type HookSource = (typeof HOOK_SOURCES)[number];


const text = (max: number) => z.string().max(max);

export const ClaudeCodePayloadSchema = z
  .looseObject({
    hook_event_name: text(100).describe('Claude Code event: UserPromptSubmit, PreToolUse, PermissionRequest, Notification, Stop, …'),
    notification_type: text(100).optional().describe('Notification: permission_prompt, idle_prompt, elicitation_dialog, …'),
    message: z.string().optional(),
    tool_name: text(200).optional(),
    tool_input: z.unknown().optional(),
    error: z.string().optional().describe('StopFailure: rate_limit, overloaded, server_error, …'),
    error_details: z.string().optional(),
    reason: z.string().optional(),
    last_assistant_message: z.string().optional(),
  })
  .describe("Claude Code's hook input, as its command hooks get it on stdin and its http hooks post it");

export const CodexPayloadSchema = z
  .looseObject({
    type: text(100).optional().describe('notify: agent-turn-complete'),
    hook_event_name: text(100).optional().describe('hooks.json: SessionStart, UserPromptSubmit, PreToolUse, PermissionRequest, PostToolUse, Stop'),
    'last-assistant-message': z.string().nullable().optional(),
    tool_name: text(200).optional(),
    tool_input: z.unknown().optional(),
  })
  .refine((p) => p.type !== undefined || p.hook_event_name !== undefined, {
    message: 'needs `type` (notify payload) or `hook_event_name` (hooks payload)',
    path: ['type'],
  })
  .describe("Codex's notify payload (the JSON argument of its notify program) or its hooks.json input");

export const GeminiCliPayloadSchema = z
  .looseObject({
    hook_event_name: text(100).describe('Gemini CLI event: BeforeAgent, AfterAgent, BeforeTool, AfterTool, Notification, SessionStart, SessionEnd, …'),
    notification_type: text(100).optional().describe('Notification: ToolPermission, …'),
    message: z.string().optional(),
    tool_name: text(200).optional(),
    tool_input: z.unknown().optional(),
  })
  .describe("Gemini CLI's hook input, as its command hooks get it on stdin");

export const GenericPayloadSchema = z
  .looseObject({
    state: AgentStateSchema.describe('The state to report, in paneward\'s vocabulary'),
    message: text(2000).optional().describe('Why: shown as detail.evidence (secrets redacted)'),
    event: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, dot, dash or underscore, at most 64')
      .optional()
      .describe('A name for what happened; detail.rule is hook.generic.<event> (default: the state)'),
  })
  .describe('Any program reporting its own state');

export const PAYLOAD_SCHEMAS = {
  'claude-code': ClaudeCodePayloadSchema,
  codex: CodexPayloadSchema,
  'gemini-cli': GeminiCliPayloadSchema,
  generic: GenericPayloadSchema,
} as const;

export type ClaudeCodePayload = z.infer<typeof ClaudeCodePayloadSchema>;
export type CodexPayload = z.infer<typeof CodexPayloadSchema>;
export type GeminiCliPayload = z.infer<typeof GeminiCliPayloadSchema>;
export type GenericPayload = z.infer<typeof GenericPayloadSchema>;

/** Parsed and validated in the route (one schema per source); what signalOf() reads. */
export type HookPayload =
  | { source: 'claude-code'; body: ClaudeCodePayload }
  | { source: 'codex'; body: CodexPayload }
  | { source: 'gemini-cli'; body: GeminiCliPayload }
  | { source: 'generic'; body: GenericPayload };
