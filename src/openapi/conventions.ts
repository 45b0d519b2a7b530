// What every documented route shares, added in one place as routes are declared (an onRoute hook), so routes
// that other modules add get it too: bearer security on /v1/* (and, optionally, /metrics) so Swagger UI's
// "Authorize" sends the token; the error answers the app's hooks and error handler can give any route; and a
// description on every answer (OpenAPI would otherwise print "Default Response").
import { STATUS_CODES } from 'node:http';
import type { RouteOptions } from 'fastify';
import { z } from 'zod';
import { $ZodType } from 'zod/v4/core';
import { ErrorSchema } from '../schemas.ts';

/** The security scheme's name in components.securitySchemes. */
export const BEARER = 'bearer';

const ERROR_DESCRIPTIONS: Record<string, string> = {
  400: 'Bad request: a parameter, query field or body is invalid; the message names the field',
  401: 'Unauthorized: API_TOKEN is set and the request lacks Authorization: Bearer <API_TOKEN>, or it is wrong',
  403: 'Forbidden: paneward listens on loopback and the Host header is not a loopback name (DNS rebinding protection)',
  404: 'Not found; the message says what is missing and where to look',
  413: "Payload too large: the body is over this route's limit",
  415: 'Unsupported media type: send the body as application/json',
  500: 'Internal error; details are in the server log, never in the answer',
};
const OTHER_DESCRIPTIONS: Record<string, string> = {
  200: 'OK',
  304: 'Not modified: the ETag still matches If-None-Match',
};

const errorAnswer = (status: string) => ({ description: ERROR_DESCRIPTIONS[status]!, content: { 'application/json': { schema: ErrorSchema } } });

type Security = Array<Record<string, string[]>>;
type Schema = NonNullable<RouteOptions['schema']> & { security?: Security; hide?: boolean };

/** Which routes need the token: always /v1/*; /metrics only with METRICS_AUTH, so it is documented as optional. */
function securityOf(url: string): Security {
  if (url.startsWith('/v1/')) return [{ [BEARER]: [] }];
  if (url === '/metrics') return [{}, { [BEARER]: [] }];
  return [];
}

/**
 * An answer given as a bare zod schema, described: a shared component (it has an id) is wrapped so the answer
 * carries the description and the schema stays a `$ref`; any other schema gets the description itself.
 */
function described(status: string, answer: unknown): unknown {
  if (!(answer instanceof $ZodType)) return answer;
  const meta = z.globalRegistry.get(answer as z.ZodType);
  const description = ERROR_DESCRIPTIONS[status] ?? meta?.description ?? OTHER_DESCRIPTIONS[status] ?? STATUS_CODES[Number(status)] ?? status;
  if (meta?.id) return { description, content: { 'application/json': { schema: answer } } };
  return meta?.description ? answer : (answer as z.ZodType).describe(description);
}

/** Methods that take a body, and so can be refused one as too large or of a type the app does not parse. */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

const methodsOf = (route: RouteOptions) => (Array.isArray(route.method) ? route.method : [route.method]);

/** onRoute hook: fills in security, the standard error answers and descriptions a route did not declare itself. */
export function applyApiConventions(route: RouteOptions): void {
  const schema = route.schema as Schema | undefined;
  if (!schema || schema.hide) return;
  const security = securityOf(route.url);
  const response: Record<string, unknown> = {};
  for (const [status, answer] of Object.entries(schema.response ?? {})) response[status] = described(status, answer);
  const errors = ['400', '403', '500', ...(security.length > 0 ? ['401'] : []), ...(methodsOf(route).some((m) => BODY_METHODS.has(m)) ? ['413', '415'] : [])];
  for (const status of errors) response[status] ??= errorAnswer(status);
  route.schema = { ...schema, response, security: schema.security ?? security };
}
