// The OpenAI Responses API as Codex speaks it: POST /v1/responses streamed as typed SSE events, errors in
// OpenAI's `{error: {type, code, message}}` shape, and GET /v1/models.
import type { ServerResponse } from 'node:http';
import { DEFAULT_COMMAND, DEFAULT_TEXT, slowText, type Mode } from './modes.ts';
import { pace, sendJson, startSse, writeEvent } from './sse.ts';

interface InputItem {
  type?: string;
  role?: string;
  content?: string | { type: string; text?: string }[];
}
interface Tool {
  type?: string;
  name?: string;
}
export interface ResponsesRequest {
  model?: string;
  stream?: boolean;
  input?: InputItem[];
  tools?: Tool[];
}

let counter = 0;
const nextId = (prefix: string) => `${prefix}_standin${Date.now().toString(36)}${(counter++).toString(36)}`;

export function lastUserText(body: ResponsesRequest): string {
  const last = [...(body.input ?? [])].reverse().find((item) => item.role === 'user');
  if (!last?.content) return '';
  if (typeof last.content === 'string') return last.content;
  return last.content.map((c) => c.text ?? '').join('\n');
}

export function isToolFollowUp(body: ResponsesRequest): boolean {
  const type = body.input?.at(-1)?.type ?? '';
  return type.endsWith('_call_output');
}

export function isMainRequest(body: ResponsesRequest): boolean {
  return (body.tools?.length ?? 0) > 0;
}

/** A function call for whichever shell tool this Codex offers (its name and argument shape changed across releases). */
function shellCall(body: ResponsesRequest, command: string): { type: string; name: string; arguments?: string; input?: string } {
  const names = new Set((body.tools ?? []).map((t) => t.name));
  // Asking to leave the sandbox makes an `on-request` Codex show its approval dialog even for a harmless command.
  const escalate = { sandbox_permissions: 'require_escalated', justification: 'The stand-in wants to create a marker file.' };
  if (names.has('shell_command')) return { type: 'function_call', name: 'shell_command', arguments: JSON.stringify({ command, ...escalate }) };
  if (names.has('exec_command')) return { type: 'function_call', name: 'exec_command', arguments: JSON.stringify({ cmd: command, ...escalate }) };
  return { type: 'function_call', name: 'shell', arguments: JSON.stringify({ command: ['bash', '-lc', command], ...escalate }) };
}

const usage = { input_tokens: 12, input_tokens_details: { cached_tokens: 0 }, output_tokens: 24, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 36 };

export async function answerResponses(res: ServerResponse, body: ResponsesRequest, mode: Mode): Promise<void> {
  if (mode.kind === 'rate_limit') return rateLimited(res, mode.retryAfterSeconds);
  if (mode.kind === 'overloaded') return apiError(res, 503, 'server_error', 'server_is_overloaded', 'The server is overloaded. Please try again later.');
  if (mode.kind === 'server_error') return apiError(res, 500, 'server_error', 'internal_error', 'The server had an error while processing your request.');
  if (mode.kind === 'bad_request') return apiError(res, 400, 'invalid_request_error', 'invalid_request', 'The stand-in refuses this request.');

  const responseId = nextId('resp');
  const text = mode.kind === 'tool' ? '' : mode.text ?? (mode.kind === 'slow' ? slowText(mode.seconds) : DEFAULT_TEXT);
  const seconds = mode.kind === 'slow' ? mode.seconds : 0;
  const output: unknown[] = [];

  startSse(res);
  writeEvent(res, { type: 'response.created', response: { id: responseId, object: 'response', status: 'in_progress', output: [] } }, 'response.created');
  if (text) {
    const msgId = nextId('msg');
    writeEvent(res, { type: 'response.output_item.added', output_index: 0, item: { type: 'message', id: msgId, role: 'assistant', status: 'in_progress', content: [] } }, 'response.output_item.added');
    writeEvent(res, { type: 'response.content_part.added', item_id: msgId, output_index: 0, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } }, 'response.content_part.added');
    await pace(res, text, seconds, (delta) =>
      writeEvent(res, { type: 'response.output_text.delta', item_id: msgId, output_index: 0, content_index: 0, delta }, 'response.output_text.delta'),
    );
    const item = { type: 'message', id: msgId, role: 'assistant', status: 'completed', content: [{ type: 'output_text', text, annotations: [] }] };
    writeEvent(res, { type: 'response.output_item.done', output_index: 0, item }, 'response.output_item.done');
    output.push(item);
  }
  if (mode.kind === 'tool') {
    const item = { ...shellCall(body, mode.command ?? DEFAULT_COMMAND), id: nextId('fc'), call_id: nextId('call'), status: 'completed' };
    writeEvent(res, { type: 'response.output_item.added', output_index: output.length, item }, 'response.output_item.added');
    writeEvent(res, { type: 'response.output_item.done', output_index: output.length, item }, 'response.output_item.done');
    output.push(item);
  }
  writeEvent(res, { type: 'response.completed', response: { id: responseId, object: 'response', status: 'completed', output, usage } }, 'response.completed');
  res.end();
}

export function listModels(res: ServerResponse): void {
  sendJson(res, 200, { object: 'list', data: [{ id: 'standin-model', object: 'model', created: 0, owned_by: 'standin' }], models: [] });
}

function apiError(res: ServerResponse, status: number, type: string, code: string, message: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { error: { type, code, message, param: null } }, headers);
}

function rateLimited(res: ServerResponse, retryAfterSeconds: number): void {
  apiError(res, 429, 'requests', 'rate_limit_exceeded', `Rate limit reached for requests. Please try again in ${retryAfterSeconds}s.`, {
    'retry-after': String(retryAfterSeconds),
    'x-ratelimit-limit-requests': '50',
    'x-ratelimit-remaining-requests': '0',
    'x-ratelimit-reset-requests': `${retryAfterSeconds}s`,
  });
}
