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

/** RFC 9110 Host: a reg-name, an IPv4 address or a bracketed IPv6 address, then an optional port; nothing else. */
const HOST_HEADER = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~-]+)(?::(\d{1,5}))?$/;

/** The host name of a Host header, or null when the header is not one (userinfo, a path, spaces, a bad port…). */
export function hostName(header: string): string | null {
  const m = HOST_HEADER.exec(header);
  if (!m || (m[2] !== undefined && Number(m[2]) > 65535)) return null;
  return m[1]!;
}

export default fp<{ config: Config }>(
  async (app, { config }) => {
    const expected = config.apiToken ? digest(config.apiToken) : null;
    const checkHost = isLoopbackHost(config.host);
    app.addHook('onRequest', async (req) => {
      if (checkHost) {
        const host = req.headers.host ?? '';
        const name = hostName(host);
        if (name === null || !isLoopbackHost(name)) throw new ForeignHost(host.slice(0, 100));
      }
      if (!expected) return;
      // The matched route, not the raw URL: the router decodes %-escapes, so /%761/agents reaches /v1/agents.
      const route = req.routeOptions.url;
      if (route === undefined) return; // no route: a 404 reveals nothing
      const guarded = route.startsWith('/v1/') || (config.metricsAuth && route === '/metrics');
      if (!guarded) return;
      // The scheme, spaces, the token, nothing after it (RFC 6750 tokens hold no spaces).
      const token = /^bearer +(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
      if (!token || !tokenMatches(token, expected)) throw new Unauthorized();
    });
  },
  { name: 'paneward-security' },
);
