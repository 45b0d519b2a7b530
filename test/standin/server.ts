// A stand-in for the model APIs of Claude Code (Anthropic), Codex (OpenAI Responses), Gemini CLI (Gemini) and
// OpenAI-compatible CLIs (Chat Completions),
// on 127.0.0.1, so the real CLIs can be driven into each state without a network or an account.
// The current mode (set with setMode or POST /_standin/mode) decides how model turns are answered;
// a prompt can pick its own with a `#standin:<mode>` tag. Anything else a CLI calls gets a harmless 200.
import { appendFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as anthropic from './anthropic.ts';
import * as chat from './chat.ts';
import * as gemini from './gemini.ts';
import { modeFromPrompt, parseMode, type Mode } from './modes.ts';
import * as openai from './openai.ts';
import { sendJson } from './sse.ts';

export interface LoggedRequest {
  at: number;
  method: string;
  path: string;
  api: 'anthropic' | 'openai' | 'gemini' | 'control' | 'other';
  /** A model turn the user asked for (not a CLI's side call such as a title or a routing decision). */
  main: boolean;
  /** How it was answered. */
  answered: Mode['kind'] | 'side' | 'tool_follow_up' | 'other';
}

export interface Standin {
  url: string;
  port: number;
  setMode(mode: Mode): void;
  readonly requests: readonly LoggedRequest[];
  /** Resolves once a main request arrives after this call (so a caller knows its prompt reached the model). */
  nextMainRequest(timeoutMs?: number): Promise<LoggedRequest>;
  close(): Promise<void>;
}

export interface StandinOptions {
  port?: number;
  mode?: Mode;
  /** Append every request (headers and body) to this file, to see what a CLI really sends. */
  logFile?: string;
}

const QUICK: Mode = { kind: 'quick' };

export async function startStandin(options: StandinOptions = {}): Promise<Standin> {
  let mode: Mode = options.mode ?? QUICK;
  const requests: LoggedRequest[] = [];
  const waiters: ((r: LoggedRequest) => void)[] = [];

  function record(entry: LoggedRequest): void {
    requests.push(entry);
    if (entry.main) for (const w of waiters.splice(0)) w(entry);
  }

  /** The mode for one model turn: tool follow-ups and side calls are always answered quickly. */
  function pick(main: boolean, followUp: boolean, prompt: string): { mode: Mode; answered: LoggedRequest['answered'] } {
    if (followUp) return { mode: { kind: 'quick', text: 'Done: the command ran.' }, answered: 'tool_follow_up' };
    if (!main) return { mode: QUICK, answered: 'side' };
    const chosen = modeFromPrompt(prompt) ?? mode;
    return { mode: chosen, answered: chosen.kind };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    let body: Record<string, unknown> = {};
    try {
      body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    } catch {
      // Not JSON (telemetry batches and the like): logged and answered 200 below.
    }
    if (options.logFile) {
      appendFileSync(options.logFile, `${JSON.stringify({ at: new Date().toISOString(), method: req.method, url: req.url, headers: req.headers, body: raw.slice(0, 200_000) })}\n`);
    }
    const base = { at: Date.now(), method: req.method ?? 'GET', path };

    if (path.startsWith('/_standin/')) {
      record({ ...base, api: 'control', main: false, answered: 'other' });
      if (path === '/_standin/mode' && req.method === 'POST') {
        mode = parseMode(body);
        return sendJson(res, 200, { mode });
      }
      if (path === '/_standin/requests') return sendJson(res, 200, requests);
      return sendJson(res, 200, { ok: true, mode });
    }

    if (req.method === 'POST' && /\/v1\/messages\/count_tokens$/.test(path)) {
      record({ ...base, api: 'anthropic', main: false, answered: 'side' });
      return anthropic.countTokens(res);
    }
    if (req.method === 'POST' && /\/v1\/messages$/.test(path)) {
      const b = body as anthropic.MessagesRequest;
      const main = anthropic.isMainRequest(b);
      const { mode: m, answered } = pick(main, anthropic.isToolFollowUp(b), anthropic.lastUserText(b));
      record({ ...base, api: 'anthropic', main: main && answered !== 'tool_follow_up', answered });
      return anthropic.answerMessages(res, b, m);
    }

    if (req.method === 'POST' && /\/v1\/responses$/.test(path)) {
      const b = body as openai.ResponsesRequest;
      const main = openai.isMainRequest(b);
      const { mode: m, answered } = pick(main, openai.isToolFollowUp(b), openai.lastUserText(b));
      record({ ...base, api: 'openai', main: main && answered !== 'tool_follow_up', answered });
      return openai.answerResponses(res, b, m);
    }
    if (req.method === 'POST' && /\/chat\/completions$/.test(path)) {
      const b = body as chat.ChatRequest;
      const main = chat.isMainRequest(b);
      const { mode: m, answered } = pick(main, chat.isToolFollowUp(b), chat.lastUserText(b));
      record({ ...base, api: 'openai', main: main && answered !== 'tool_follow_up', answered });
      return chat.answerChat(res, b, m);
    }
    if (req.method === 'GET' && /\/v1\/models$/.test(path)) {
      record({ ...base, api: 'openai', main: false, answered: 'side' });
      return openai.listModels(res);
    }

    const geminiCall = /\/models\/([^/:]+):([A-Za-z]+)$/.exec(path);
    if (req.method === 'POST' && geminiCall) {
      const method = geminiCall[2] ?? '';
      if (method === 'countTokens') {
        record({ ...base, api: 'gemini', main: false, answered: 'side' });
        return gemini.countTokens(res);
      }
      const b = body as gemini.GenerateRequest;
      const main = gemini.isMainRequest(method, b);
      const { mode: m, answered } = pick(main, gemini.isToolFollowUp(b), gemini.lastUserText(b));
      record({ ...base, api: 'gemini', main: main && answered !== 'tool_follow_up', answered });
      return gemini.answerGenerate(res, method, b, main || answered === 'tool_follow_up' ? m : { kind: 'quick' });
    }

    record({ ...base, api: 'other', main: false, answered: 'other' });
    return sendJson(res, 200, {});
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { message: String(err) } });
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get requests() {
      return requests;
    },
    setMode(next) {
      mode = next;
    },
    nextMainRequest(timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no model request within ${timeoutMs} ms`)), timeoutMs);
        waiters.push((r) => {
          clearTimeout(timer);
          resolve(r);
        });
      });
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
