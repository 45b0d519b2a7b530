// The web board: GET / and its static files (web/), public like the page of any dashboard; its data calls go to
// /v1/* and carry the token. Everything comes from this server, under a CSP that allows no inline script.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

export const WEB_ROOT = fileURLToPath(new URL('../web/', import.meta.url));
/** The SSE parser the page imports, served from its package so the page needs no build step. */
const SSE_PARSER = fileURLToPath(import.meta.resolve('eventsource-parser'));

// 'self' only: no CDN, no inline script or style attribute, no frames; data calls to this origin only.
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const board: FastifyPluginAsyncZod = async (app) => {
  // Not wrapped in fastify-plugin: these headers stay on the board's own routes, away from the API and /docs.
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    return payload;
  });

  // One route per file found at start (wildcard off): no catch-all that would shadow the API's 404s.
  await app.register(fastifyStatic, { root: WEB_ROOT, prefix: '/board/', wildcard: false, index: false });
  await app.register(fastifyStatic, {
    root: dirname(SSE_PARSER),
    prefix: '/board/vendor/eventsource-parser/',
    wildcard: false,
    index: false,
    decorateReply: false,
    allowedPath: (path) => path === '/index.js' || path === '/index.js.map',
  });

  app.get(
    '/',
    {
      schema: {
        operationId: 'getBoard',
        tags: ['board'],
        summary: 'The web board: every agent live, those that need a human first',
        description: 'An HTML page (no build, no external requests) that reads /v1/events, or polls /v1/agents?since= where the stream is missing. Public: its data calls carry the API token, which the page asks for once per tab.',
        querystring: z.object({}).describe('None: filters live in the URL fragment (#state=waiting&kind=claude-code)'),
        produces: ['text/html'],
        response: { 200: z.string().describe('The board page (text/html)') },
      },
    },
    async (_req, reply) => reply.type('text/html; charset=utf-8').sendFile('index.html', WEB_ROOT),
  );
};

export default board;
