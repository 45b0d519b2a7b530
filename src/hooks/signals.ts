// Hook payload → signal: which state an agent's event means (the table in src/hooks/README.md), and the words
// that show why. Events that say nothing about the state (a subagent starting, a compaction) give no signal.
import type { AgentKind, AgentState } from '../agents/model.ts';
import type { HookSignal } from '../detect/fusion.ts';
import { redact } from '../detect/redact.ts';
import type { ClaudeCodePayload, CodexPayload, GeminiCliPayload, HookPayload } from './payloads.ts';

/** An event's state, or null when the event says nothing about it. */
type Mapped = { state: AgentState; message: string } | null;

const MAX_EVIDENCE = 300;

/** One line, redacted, clipped: what detail.evidence shows. */
export function evidence(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  const clipped = line.length > MAX_EVIDENCE ? `${line.slice(0, MAX_EVIDENCE - 1)}…` : line;
  return redact(clipped);
}

/** `Bash: npm test`, `Edit: src/app.ts`: a tool call in a few words. */
function toolCall(name: string | undefined, input: unknown): string {
  const tool = name ?? 'a tool';
  if (!input || typeof input !== 'object') return tool;
  const i = input as Record<string, unknown>;
  const what = [i.command, i.file_path, i.path, i.url, i.pattern, i.description].find((v) => typeof v === 'string');
  return what === undefined ? tool : `${tool}: ${String(what)}`;
}

function claudeCode(p: ClaudeCodePayload): Mapped {
  const event = p.hook_event_name;
  switch (event) {
    case 'SessionStart':
      return { state: 'idle', message: 'session started' };
    case 'UserPromptSubmit':
      return { state: 'working', message: 'prompt submitted' };
    case 'PreToolUse':
      return { state: 'working', message: `running ${toolCall(p.tool_name, p.tool_input)}` };
    case 'PostToolUse':
    case 'PostToolUseFailure':
    case 'PostToolBatch':
    case 'PermissionDenied':
    case 'ElicitationResult':
      return { state: 'working', message: `${event}${p.tool_name ? ` ${p.tool_name}` : ''}` };
    case 'PermissionRequest':
      return { state: 'waiting', message: `permission to run ${toolCall(p.tool_name, p.tool_input)}` };
    case 'Elicitation':
      return { state: 'waiting', message: p.message ?? 'an MCP server asks for input' };
    case 'Notification':
      return claudeNotification(p);
    case 'Stop':
      return { state: 'idle', message: `turn ended${p.last_assistant_message ? `: ${p.last_assistant_message}` : ''}` };
    case 'StopFailure':
      return { state: p.error === 'rate_limit' ? 'rate_limited' : 'error', message: `turn failed: ${p.error ?? 'unknown'}${p.error_details ? ` (${p.error_details})` : ''}` };
    case 'SessionEnd':
      return { state: 'exited', message: `session ended${p.reason ? ` (${p.reason})` : ''}` };
    default:
      return null;
  }
}

function claudeNotification(p: ClaudeCodePayload): Mapped {
  const message = p.message ?? p.notification_type ?? 'notification';
  switch (p.notification_type) {
    case 'permission_prompt':
    case 'elicitation_dialog':
      return { state: 'waiting', message };
    case 'idle_prompt':
      return { state: 'idle', message };
    default:
      return null;
  }
}

function codex(p: CodexPayload): Mapped {
  if (p.type !== undefined) {
    if (p.type !== 'agent-turn-complete') return null;
    const last = p['last-assistant-message'];
    return { state: 'idle', message: `turn complete${last ? `: ${last}` : ''}` };
  }
  switch (p.hook_event_name) {
    case 'SessionStart':
      return { state: 'idle', message: 'session started' };
    case 'UserPromptSubmit':
      return { state: 'working', message: 'prompt submitted' };
    case 'PreToolUse':
      return { state: 'working', message: `running ${toolCall(p.tool_name, p.tool_input)}` };
    case 'PostToolUse':
      return { state: 'working', message: `PostToolUse${p.tool_name ? ` ${p.tool_name}` : ''}` };
    case 'PermissionRequest':
      return { state: 'waiting', message: `permission to run ${toolCall(p.tool_name, p.tool_input)}` };
    case 'Stop':
      return { state: 'idle', message: 'turn ended' };
    default:
      return null;
  }
}

function geminiCli(p: GeminiCliPayload): Mapped {
  switch (p.hook_event_name) {
    case 'SessionStart':
      return { state: 'idle', message: 'session started' };
    case 'BeforeAgent':
      return { state: 'working', message: 'prompt submitted' };
    case 'BeforeTool':
      return { state: 'working', message: `running ${toolCall(p.tool_name, p.tool_input)}` };
    case 'AfterTool':
      return { state: 'working', message: `AfterTool${p.tool_name ? ` ${p.tool_name}` : ''}` };
    case 'Notification':
      return p.notification_type === 'ToolPermission' ? { state: 'waiting', message: p.message ?? 'permission to run a tool' } : null;
    case 'AfterAgent':
      return { state: 'idle', message: 'turn ended' };
    case 'SessionEnd':
      return { state: 'exited', message: 'session ended' };
    default:
      return null;
  }
}

const KIND: Record<HookPayload['source'], AgentKind | null> = {
  'claude-code': 'claude-code',
  codex: 'codex',
  'gemini-cli': 'gemini-cli',
  generic: null,
};

/** The event name a payload carries (for the rule id and metrics). */
export function eventOf(payload: HookPayload): string {
  switch (payload.source) {
    case 'codex':
      return payload.body.type ?? payload.body.hook_event_name ?? 'unknown';
    case 'generic':
      return payload.body.event ?? payload.body.state;
    default:
      return payload.body.hook_event_name;
  }
}

function mapped(payload: HookPayload): Mapped {
  switch (payload.source) {
    case 'claude-code':
      return claudeCode(payload.body);
    case 'codex':
      return codex(payload.body);
    case 'gemini-cli':
      return geminiCli(payload.body);
    case 'generic':
      return { state: payload.body.state, message: payload.body.message ?? `reported ${payload.body.state}` };
  }
}

/** The signal a payload carries, or null when its event says nothing about the agent's state. */
export function signalOf(payload: HookPayload, at: number): HookSignal | null {
  const m = mapped(payload);
  if (!m) return null;
  const event = eventOf(payload);
  return { state: m.state, event, rule: `hook.${payload.source}.${event}`, message: evidence(m.message), kind: KIND[payload.source], at };
}
