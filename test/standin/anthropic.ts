// The Anthropic Messages API as Claude Code speaks it: POST /v1/messages (SSE when stream: true),
// /v1/messages/count_tokens, and errors in Anthropic's `{type: 'error', error: {type, message}}` shape.
import type { ServerResponse } from 'node:http';
import { DEFAULT_COMMAND, DEFAULT_TEXT, slowText, type Mode } from './modes.ts';
import { pace, sendJson, startSse, writeEvent } from './sse.ts';

interface ContentBlock {
  type: string;
  text?: string;
}
interface Message {
  role: string;
  content: string | ContentBlock[];
}
export interface MessagesRequest {
  model?: string;
  stream?: boolean;
  messages?: Message[];
  tools?: { name: string }[];
}

let counter = 0;
const nextId = (prefix: string) => `${prefix}_standin${Date.now().toString(36)}${(counter++).toString(36)}`;

/** The text of the last user turn, where a `#standin:` tag would be. */
export function lastUserText(body: MessagesRequest): string {
  const last = [...(body.messages ?? [])].reverse().find((m) => m.role === 'user');
  if (!last) return '';
  if (typeof last.content === 'string') return last.content;
  return last.content.map((b) => b.text ?? '').join('\n');
}

/** The last user turn carries a tool result: the CLI ran our tool call and wants the follow-up answer. */
export function isToolFollowUp(body: MessagesRequest): boolean {
  const last = body.messages?.at(-1);
  if (!last || !Array.isArray(last.content) || !last.content.some((b) => b.type === 'tool_result')) return false;
  // A declined tool comes back as a tool_result too, sent along with the user's next prompt: that is a new turn.
  return !last.content.some((b) => b.type === 'text' && !/^\s*(<system-reminder>|\[Request interrupted)/.test(b.text ?? ''));
}

/** Claude Code's own side requests (titles, topic checks, quota probes) carry no tools: answer them at once. */
export function isMainRequest(body: MessagesRequest): boolean {
  return (body.tools?.length ?? 0) > 0;
}

/** The shell tool this CLI offers: Claude Code's `Bash`, or another CLI's `bash`/`shell`/`run_command`. */
function shellToolName(body: MessagesRequest): string {
  const names = (body.tools ?? []).map((t) => t.name);
  return names.find((n) => n === 'Bash') ?? names.find((n) => /^(bash|shell|run_command|execute_command|run_shell_command)$/i.test(n)) ?? 'Bash';
}

const usage = { input_tokens: 12, output_tokens: 24, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };

export async function answerMessages(res: ServerResponse, body: MessagesRequest, mode: Mode): Promise<void> {
  const model = body.model ?? 'claude-sonnet-4-5';
  if (mode.kind === 'rate_limit') return rateLimited(res, mode.retryAfterSeconds);
  if (mode.kind === 'overloaded') return apiError(res, 529, 'overloaded_error', 'Overloaded');
  if (mode.kind === 'server_error') return apiError(res, 500, 'api_error', 'Internal server error');
  if (mode.kind === 'bad_request') {
    return apiError(res, 400, 'invalid_request_error', 'messages.0.content: the stand-in refuses this request');
  }

  const text = mode.kind === 'tool' ? 'I will run a command.' : mode.text ?? (mode.kind === 'slow' ? slowText(mode.seconds) : DEFAULT_TEXT);
  const seconds = mode.kind === 'slow' ? mode.seconds : 0;
  const tool = mode.kind === 'tool' ? { command: mode.command ?? DEFAULT_COMMAND, description: 'Create a marker file' } : undefined;

  if (!body.stream) {
    const content: unknown[] = [{ type: 'text', text }];
    if (tool) content.push({ type: 'tool_use', id: nextId('toolu'), name: shellToolName(body), input: tool });
    return sendJson(res, 200, {
      id: nextId('msg'),
      type: 'message',
      role: 'assistant',
      model,
      content,
      stop_reason: tool ? 'tool_use' : 'end_turn',
      stop_sequence: null,
      usage,
    });
  }

  startSse(res);
  writeEvent(res, {
    type: 'message_start',
    message: { id: nextId('msg'), type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 1 } },
  }, 'message_start');
  writeEvent(res, { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }, 'content_block_start');
  await pace(res, text, seconds, (piece) =>
    writeEvent(res, { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: piece } }, 'content_block_delta'),
  );
  writeEvent(res, { type: 'content_block_stop', index: 0 }, 'content_block_stop');
  if (tool) {
    writeEvent(res, { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: nextId('toolu'), name: shellToolName(body), input: {} } }, 'content_block_start');
    writeEvent(res, { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: JSON.stringify(tool) } }, 'content_block_delta');
    writeEvent(res, { type: 'content_block_stop', index: 1 }, 'content_block_stop');
  }
  writeEvent(res, { type: 'message_delta', delta: { stop_reason: tool ? 'tool_use' : 'end_turn', stop_sequence: null }, usage: { output_tokens: 24 } }, 'message_delta');
  writeEvent(res, { type: 'message_stop' }, 'message_stop');
  res.end();
}

export function countTokens(res: ServerResponse): void {
  sendJson(res, 200, { input_tokens: 42 });
}

function apiError(res: ServerResponse, status: number, type: string, message: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { type: 'error', error: { type, message }, request_id: nextId('req') }, { 'request-id': nextId('req'), ...headers });
}

/** A 429 carrying every reset header Claude Code might read: retry-after plus the unified and per-limit resets. */
function rateLimited(res: ServerResponse, retryAfterSeconds: number): void {
  const resetAt = new Date(Date.now() + retryAfterSeconds * 1000);
  apiError(res, 429, 'rate_limit_error', 'This request would exceed the rate limit for your organization of 50 requests per minute.', {
    'retry-after': String(retryAfterSeconds),
    'anthropic-ratelimit-requests-limit': '50',
    'anthropic-ratelimit-requests-remaining': '0',
    'anthropic-ratelimit-requests-reset': resetAt.toISOString(),
    'anthropic-ratelimit-unified-status': 'rejected',
    'anthropic-ratelimit-unified-reset': String(Math.floor(resetAt.getTime() / 1000)),
    'anthropic-ratelimit-unified-representative-claim': 'five_hour',
    'x-should-retry': 'false',
  });
}
