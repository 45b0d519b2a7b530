// The OpenAI Chat Completions API as OpenAI-compatible CLIs speak it (grok-cli, Cline's "OpenAI compatible"
// provider): POST /v1/chat/completions streamed as `data:` chunks ending in [DONE], errors in OpenAI's shape.
import type { ServerResponse } from 'node:http';
import { DEFAULT_COMMAND, DEFAULT_TEXT, slowText, type Mode } from './modes.ts';
import { pace, sendJson, startSse } from './sse.ts';

interface ChatMessage {
  role?: string;
  content?: string | { type: string; text?: string }[] | null;
}
export interface ChatRequest {
  model?: string;
  stream?: boolean;
  messages?: ChatMessage[];
  tools?: { type?: string; function?: { name?: string } }[];
}

let counter = 0;
const nextId = (prefix: string) => `${prefix}-standin${Date.now().toString(36)}${(counter++).toString(36)}`;

export function lastUserText(body: ChatRequest): string {
  const last = [...(body.messages ?? [])].reverse().find((m) => m.role === 'user');
  if (!last?.content) return '';
  return typeof last.content === 'string' ? last.content : last.content.map((c) => c.text ?? '').join('\n');
}

export function isToolFollowUp(body: ChatRequest): boolean {
  return body.messages?.at(-1)?.role === 'tool';
}

/** A user's turn offers tools; a CLI's side calls (titles, summaries) do not. */
export function isMainRequest(body: ChatRequest): boolean {
  return (body.tools?.length ?? 0) > 0;
}

/** The shell tool of the CLI, by the names they use, and the argument shape it takes. */
function shellCall(body: ChatRequest, command: string): { name: string; arguments: string } {
  const names = (body.tools ?? []).map((t) => t.function?.name ?? '');
  const name = names.find((n) => /^(bash|shell|run_command|execute_command|run_shell_command|execute_bash)$/i.test(n)) ?? names[0] ?? 'bash';
  return { name, arguments: JSON.stringify({ command, requires_approval: true }) };
}

export async function answerChat(res: ServerResponse, body: ChatRequest, mode: Mode): Promise<void> {
  if (mode.kind === 'rate_limit') return error(res, 429, 'requests', `Rate limit reached. Please try again in ${mode.retryAfterSeconds}s.`, { 'retry-after': String(mode.retryAfterSeconds) });
  if (mode.kind === 'overloaded') return error(res, 503, 'server_error', 'The server is overloaded. Please try again later.');
  if (mode.kind === 'server_error') return error(res, 500, 'server_error', 'The server had an error while processing your request.');
  if (mode.kind === 'bad_request') return error(res, 400, 'invalid_request_error', 'The stand-in refuses this request.');
  const id = nextId('chatcmpl');
  const model = body.model ?? 'standin-model';
  const text = mode.kind === 'tool' ? '' : (mode.text ?? (mode.kind === 'slow' ? slowText(mode.seconds) : DEFAULT_TEXT));
  const seconds = mode.kind === 'slow' ? mode.seconds : 0;
  const tool = mode.kind === 'tool' ? shellCall(body, mode.command ?? DEFAULT_COMMAND) : null;
  const finish = tool ? 'tool_calls' : 'stop';
  if (!body.stream) {
    const message = tool
      ? { role: 'assistant', content: null, tool_calls: [{ id: nextId('call'), type: 'function', function: tool }] }
      : { role: 'assistant', content: text };
    return sendJson(res, 200, { id, object: 'chat.completion', created: 0, model, choices: [{ index: 0, message, finish_reason: finish }], usage: { prompt_tokens: 12, completion_tokens: 24, total_tokens: 36 } });
  }
  startSse(res);
  const chunk = (delta: unknown, finishReason: string | null = null) =>
    !res.destroyed && res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 0, model, choices: [{ index: 0, delta, finish_reason: finishReason }] })}\n\n`);
  chunk({ role: 'assistant', content: '' });
  if (text) await pace(res, text, seconds, (piece) => chunk({ content: piece }));
  if (tool) chunk({ tool_calls: [{ index: 0, id: nextId('call'), type: 'function', function: tool }] });
  chunk({}, finish);
  if (!res.destroyed) res.write('data: [DONE]\n\n');
  res.end();
}

function error(res: ServerResponse, status: number, type: string, message: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { error: { type, code: type, message, param: null } }, headers);
}
