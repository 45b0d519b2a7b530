// The Gemini API as Gemini CLI speaks it (through @google/genai): POST /v1beta/models/<model>:<method>,
// where streamGenerateContent streams `data:` frames of GenerateContentResponse, and errors use Google's
// `{error: {code, message, status, details}}` shape.
import type { ServerResponse } from 'node:http';
import { DEFAULT_COMMAND, DEFAULT_TEXT, slowText, type Mode } from './modes.ts';
import { pace, sendJson, startSse, writeEvent } from './sse.ts';

interface Part {
  text?: string;
  functionCall?: unknown;
  functionResponse?: unknown;
}
interface Content {
  role?: string;
  parts?: Part[];
}
export interface GenerateRequest {
  contents?: Content[];
  tools?: { functionDeclarations?: { name: string }[] }[];
  generationConfig?: { responseMimeType?: string; responseJsonSchema?: unknown; responseSchema?: unknown };
}

export function lastUserText(body: GenerateRequest): string {
  const last = [...(body.contents ?? [])].reverse().find((c) => c.role === 'user' && c.parts?.some((p) => p.text));
  return last?.parts?.map((p) => p.text ?? '').join('\n') ?? '';
}

export function isToolFollowUp(body: GenerateRequest): boolean {
  const parts = body.contents?.at(-1)?.parts ?? [];
  // A declined call's response can travel with the user's next prompt: with text beside it, it is a new turn.
  return parts.some((p) => p.functionResponse !== undefined) && !parts.some((p) => p.text?.trim());
}

/** The turn the user typed goes to streamGenerateContent with tools; JSON-schema side calls (routing, next speaker) do not. */
export function isMainRequest(method: string, body: GenerateRequest): boolean {
  return method === 'streamGenerateContent' && !body.generationConfig?.responseMimeType;
}

const usageMetadata = { promptTokenCount: 12, candidatesTokenCount: 24, totalTokenCount: 36 };

function candidate(parts: Part[], finishReason?: string) {
  return { candidates: [{ content: { role: 'model', parts }, index: 0, ...(finishReason ? { finishReason } : {}) }], usageMetadata, modelVersion: 'gemini-standin' };
}

/** Side calls ask for JSON: answer with something every known schema accepts, so the CLI moves on. */
function sideAnswer(body: GenerateRequest): string {
  if (body.generationConfig?.responseMimeType === 'application/json') {
    return JSON.stringify({ reasoning: 'The stand-in has answered; the user speaks next.', next_speaker: 'user', model_choice: 'flash', complexity_score: 1 });
  }
  return 'ok';
}

export async function answerGenerate(res: ServerResponse, method: string, body: GenerateRequest, mode: Mode): Promise<void> {
  if (mode.kind === 'rate_limit') return rateLimited(res, mode.retryAfterSeconds);
  if (mode.kind === 'overloaded') return apiError(res, 503, 'UNAVAILABLE', 'The model is overloaded. Please try again later.');
  if (mode.kind === 'server_error') return apiError(res, 500, 'INTERNAL', 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting');
  if (mode.kind === 'bad_request') return apiError(res, 400, 'INVALID_ARGUMENT', 'Request contains an invalid argument.');

  const main = isMainRequest(method, body);
  const text = main
    ? mode.kind === 'tool' ? 'I will run a command.' : mode.text ?? (mode.kind === 'slow' ? slowText(mode.seconds) : DEFAULT_TEXT)
    : sideAnswer(body);
  const seconds = main && mode.kind === 'slow' ? mode.seconds : 0;
  const call = main && mode.kind === 'tool'
    ? { functionCall: { name: 'run_shell_command', args: { command: mode.command ?? DEFAULT_COMMAND, description: 'Create a marker file' } } }
    : undefined;

  if (method !== 'streamGenerateContent') {
    return sendJson(res, 200, candidate(call ? [{ text }, call] : [{ text }], 'STOP'));
  }
  startSse(res);
  await pace(res, text, seconds, (piece) => writeEvent(res, candidate([{ text: piece }])));
  writeEvent(res, candidate(call ? [call] : [{ text: '' }], 'STOP'));
  res.end();
}

export function countTokens(res: ServerResponse): void {
  sendJson(res, 200, { totalTokens: 42 });
}

function apiError(res: ServerResponse, code: number, status: string, message: string, details: unknown[] = [], headers: Record<string, string> = {}): void {
  sendJson(res, code, { error: { code, message, status, details } }, headers);
}

function rateLimited(res: ServerResponse, retryAfterSeconds: number): void {
  apiError(
    res,
    429,
    'RESOURCE_EXHAUSTED',
    'You exceeded your current quota, please check your plan and billing details.',
    [
      { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [{ quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests', quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier' }] },
      { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${retryAfterSeconds}s` },
    ],
    { 'retry-after': String(retryAfterSeconds) },
  );
}
