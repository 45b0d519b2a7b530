// Small helpers shared by the protocol handlers: server-sent events paced over time, JSON replies.
import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function startSse(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
}

/** One SSE frame; `event` is left out for protocols (Gemini) that only send `data:` lines. */
export function writeEvent(res: ServerResponse, data: unknown, event?: string): void {
  if (res.writableEnded || res.destroyed) return;
  const head = event ? `event: ${event}\n` : '';
  res.write(`${head}data: ${JSON.stringify(data)}\n\n`);
}

/**
 * Cut `text` into pieces and hand them to `emit`, spread evenly over `seconds` (0 = all at once).
 * Stops early when the client hangs up (the user pressed Esc/Ctrl-C), so a cancelled stream does not linger.
 */
export async function pace(
  res: ServerResponse,
  text: string,
  seconds: number,
  emit: (piece: string) => void,
): Promise<void> {
  const pieces = text.match(/\S+\s*/g) ?? [text];
  const gap = seconds > 0 ? (seconds * 1000) / pieces.length : 0;
  for (const piece of pieces) {
    if (res.destroyed) return;
    emit(piece);
    if (gap > 0) await sleep(gap);
  }
}
