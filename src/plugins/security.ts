// Request gatekeeping: bearer token on /v1/* (and /metrics if asked), and, while bound to loopback, refusal
// of Host headers that are not loopback names, so a web page cannot reach us through DNS rebinding.
import { createHash, timingSafeEqual } from 'node:crypto';
import fp from 'fastify-plugin';
import { isLoopbackHost, type Config } from '../config.ts';
import { ForeignHost, Unauthorized } from '../errors.ts';

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Constant-time comparison that also hides the token's length. */
function tokenMatches(given: string, expected: Buffer): boolean {
  return timingSafeEqual(digest(given), expected);
}

function hostName(header: string): string {
  if (header.startsWith('[')) return header.slice(0, header.indexOf(']') + 1);
  return header.split(':')[0] ?? '';
}

/**
 * EventSource cannot send headers, so the event stream alone also takes the token as `?access_token=` (RFC 6750
 * §2.3), only when no Authorization header is given. Request log lines mask it (src/logging.ts).
 */
function streamToken(route: string, authorization: string | undefined, query: unknown): string | undefined {
  if (route !== '/v1/events' || authorization !== undefined) return undefined;
  const token = (query as Record<string, unknown> | undefined)?.access_token;
  return typeof token === 'string' && token !== '' ? token : undefined;
}

export default fp<{ config: Config }>(
  async (app, { config }) => {
    const expected = config.apiToken ? digest(config.apiToken) : null;
    const checkHost = isLoopbackHost(config.host);
    app.addHook('onRequest', async (req) => {
      if (checkHost) {
        const host = req.headers.host ?? '';
        if (!isLoopbackHost(hostName(host))) throw new ForeignHost(host.slice(0, 100));
      }
      if (!expected) return;
      // The matched route, not the raw URL: the router decodes %-escapes, so /%761/agents reaches /v1/agents.
      const route = req.routeOptions.url;
      if (route === undefined) return; // no route: a 404 reveals nothing
      const guarded = route.startsWith('/v1/') || (config.metricsAuth && route === '/metrics');
      if (!guarded) return;
      // The scheme, spaces, the token, nothing after it (RFC 6750 tokens hold no spaces).
      const token = /^bearer +(\S+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? streamToken(route, req.headers.authorization, req.query);
      if (!token || !tokenMatches(token, expected)) throw new Unauthorized();
    });
  },
  { name: 'paneward-security' },
);
