// One delivery attempt: POST the stored body, signed per Standard Webhooks when the hook has a secret.
import { Webhook } from 'standardwebhooks';
import { targetUrl } from './render.ts';
import type { Hook } from './schemas.ts';
import type { Delivery } from './queue/types.ts';

export interface AttemptResult {
  ok: boolean;
  /** HTTP status, or null when no answer came (refused, timed out). */
  status: number | null;
  /** What went wrong, safe to log: never the URL, which may carry a token. */
  error: string | null;
  /** The receiver will not take this delivery, ever (410 Gone): do not retry. */
  permanent: boolean;
  retryAfterMs: number | null;
  durationMs: number;
}

export function signatureHeaders(secret: string, id: string, at: Date, body: string): Record<string, string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, at, body),
  };
}

export async function attempt(hook: Hook, d: Delivery, timeoutMs: number, userAgent: string, stop?: AbortSignal): Promise<AttemptResult> {
  const started = performance.now();
  // Signed at each attempt: the timestamp is part of what is signed, and receivers reject old timestamps.
  const signed = hook.secret ? signatureHeaders(hook.secret, d.id, new Date(), d.body) : { 'webhook-id': d.id };
  const headers = { ...hook.headers, 'content-type': d.contentType, 'user-agent': userAgent, ...signed };
  try {
    const res = await fetch(targetUrl(hook), {
      method: 'POST',
      headers,
      body: d.body,
      // A redirect is a misconfigured URL, not a delivery; following it would also re-send the body elsewhere.
      redirect: 'manual',
      signal: stop ? AbortSignal.any([AbortSignal.timeout(timeoutMs), stop]) : AbortSignal.timeout(timeoutMs),
    });
    await res.body?.cancel().catch(() => undefined);
    const ok = res.status >= 200 && res.status < 300;
    return {
      ok,
      status: res.status,
      error: ok ? null : `HTTP ${res.status}`,
      permanent: res.status === 410,
      retryAfterMs: retryAfter(res.headers.get('retry-after')),
      durationMs: performance.now() - started,
    };
  } catch (err) {
    return { ok: false, status: null, error: describeFailure(err, timeoutMs), permanent: false, retryAfterMs: null, durationMs: performance.now() - started };
  }
}

function retryAfter(header: string | null): number | null {
  if (!header) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

/** fetch's errors can name the URL; keep only the kind of failure. */
function describeFailure(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; cause?: { code?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  if (e.cause?.code) return `connection failed: ${e.cause.code}`;
  return 'connection failed';
}
