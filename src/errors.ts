// Every error the API returns on purpose, in one place: a code, a status and a message a person can act on.
import createError from '@fastify/error';

export const AgentNotFound = createError<[string]>(
  'PANEWARD_ERR_AGENT_NOT_FOUND',
  "agent '%s' not found: it may have exited; GET /v1/agents lists the live ones",
  404,
);
export const NoExplanation = createError<[string]>(
  'PANEWARD_ERR_NO_EXPLANATION',
  "agent '%s' has no detection trace here: explain covers the agents this monitor classified itself",
  404,
);
export const Unauthorized = createError(
  'PANEWARD_ERR_UNAUTHORIZED',
  'missing or wrong bearer token: send Authorization: Bearer <API_TOKEN>',
  401,
);
export const HookUnauthorized = createError(
  'PANEWARD_ERR_UNAUTHORIZED',
  'missing or wrong bearer token: /v1/hooks/* takes Authorization: Bearer <HOOK_TOKEN> (paneward hook sends $PANEWARD_HOOK_TOKEN)',
  401,
);
export const ForeignHost = createError<[string]>(
  'PANEWARD_ERR_FOREIGN_HOST',
  "Host header '%s' is not a loopback name; paneward on loopback only answers localhost, 127.0.0.1 or [::1] (DNS rebinding protection)",
  403,
);
export const RepeatedQueryField = createError<[string]>(
  'PANEWARD_ERR_VALIDATION',
  'querystring.%s: given more than once; every query field takes one value',
  400,
);
export const BodyNotAccepted = createError<[string]>('PANEWARD_ERR_VALIDATION', 'body: this endpoint takes no body, or {}: %s', 400);
export const IdTooLong = createError<[number]>(
  'PANEWARD_ERR_VALIDATION',
  'params.id: longer than %d characters; an agent id is letters, digits and . _ ~ - (as listed by GET /v1/agents)',
  400,
);
export const BadUrl = createError('PANEWARD_ERR_BAD_URL', 'the URL path is not valid percent-encoding', 400);
export const BadCursor = createError('PANEWARD_ERR_BAD_CURSOR', 'querystring.cursor: not a cursor this server issued', 400);
