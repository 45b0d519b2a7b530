// One error handler: validation failures become 400 naming the field; our own errors keep their status;
// anything else is a 500 that is logged and does not leak internals.
import { STATUS_CODES } from 'node:http';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { BadUrl, IdTooLong, RepeatedQueryField } from '../errors.ts';
import { AGENT_ID_MAX_LENGTH } from '../schemas.ts';

/** Every error answer's body: the status, our code, the status's name, a message a person can act on. */
function answerError(reply: FastifyReply, status: number, code: string | undefined, message: string): FastifyReply {
  return reply.code(status).send({ statusCode: status, code, error: STATUS_CODES[status] ?? 'Error', message });
}

/**
 * Errors the router raises before any route matches (Fastify's `frameworkErrors`): answered in our error shape and
 * without echoing the URL back, as Fastify's own answer would (a 414 that says "Bad Request" and repeats the input).
 * Sent as a plain body: an Error sent from here reaches Fastify's default handler, not ours, which logs every one
 * at info with its stack (for requests no host check or token has seen).
 */
export function answerRouterError(err: FastifyError, _req: FastifyRequest, reply: FastifyReply): FastifyReply {
  // The agent id is the only path parameter of the API.
  const ours = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? new IdTooLong(AGENT_ID_MAX_LENGTH) : err.code === 'FST_ERR_BAD_URL' ? new BadUrl() : err;
  return answerError(reply, ours.statusCode ?? 400, ours.code, ours.message);
}

export default fp(
  async (app) => {
    app.setErrorHandler((err: FastifyError, req, reply) => {
      if (hasZodFastifySchemaValidationErrors(err)) {
        const where = err.validationContext ?? 'request';
        const message = err.validation
          .map((v) => {
            const field = [where, ...String(v.instancePath ?? '').split('/').filter(Boolean)].join('.');
            return `${field}: ${v.message}`;
          })
          .join('; ');
        return answerError(reply, 400, 'PANEWARD_ERR_VALIDATION', message);
      }
      const status = err.statusCode ?? 500;
      if (status >= 500) {
        req.log.error({ err }, 'request failed');
        return answerError(reply, status, err.code, 'internal error; see the server log');
      }
      if (status === 401) reply.header('www-authenticate', 'Bearer realm="paneward"');
      return answerError(reply, status, err.code, err.message);
    });
    // Every query field takes one value: a repeated one (?limit=5&limit=6) reaches validation as an array and would
    // be reported as the wrong type.
    app.addHook('preValidation', async (req) => {
      if (!req.routeOptions.schema?.querystring) return; // static files of /docs, say: their query means nothing
      for (const [field, value] of Object.entries((req.query ?? {}) as Record<string, unknown>)) {
        if (Array.isArray(value)) throw new RepeatedQueryField(field);
      }
    });
    app.setNotFoundHandler((req, reply) => {
      reply.code(404).send({
        statusCode: 404,
        code: 'PANEWARD_ERR_NO_ROUTE',
        error: 'Not Found',
        message: `no route ${req.method} ${req.url.split('?')[0]}; see /docs for the API`,
      });
    });
  },
  { name: 'paneward-errors' },
);
