// Logger options: JSON lines for machines (files, journald, a log shipper), pino-pretty's readable lines when a
// person watches the terminal; and one line per request, at debug: at the default level (info) a terminal shows
// what the monitor does (transitions, faults, shutdown), not every poll of a dashboard.
import { LogController, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import pretty from 'pino-pretty';
import type { Config } from './config.ts';

export type LogFormat = Config['logFormat'];

/** Pretty when asked, or on `auto` when stdout is a terminal. */
export function wantsPretty(format: LogFormat, stdoutIsTTY: boolean): boolean {
  return format === 'pretty' || (format === 'auto' && stdoutIsTTY);
}

export function loggerOptions(config: Pick<Config, 'logLevel' | 'logFormat'>, stdoutIsTTY: boolean): NonNullable<FastifyServerOptions['logger']> {
  if (!wantsPretty(config.logFormat, stdoutIsTTY)) return { level: config.logLevel };
  // Synchronous, in this thread: a transport's worker could lose the last lines before a crash, and what a person
  // reads on a terminal is little.
  const stream = pretty({ colorize: stdoutIsTTY, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true, sync: true });
  return { level: config.logLevel, stream };
}

/** A query may carry a token (EventSource cannot send headers): its value never reaches a log. */
const redactQuery = (url: string) => url.replace(/([?&](?:access_token|token)=)[^&]*/gi, '$1[redacted]');

/** Fastify's request lines: none when a request comes in, one at debug when it is answered (errors at error). */
export class RequestLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, req: FastifyRequest, reply: FastifyReply): void {
    const line = { method: req.method, url: redactQuery(req.url), statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 };
    if (error) reply.log.error({ ...line, err: error }, 'request failed');
    else reply.log.debug(line, 'request');
  }

  override routeNotFound(req: FastifyRequest): void {
    req.log.debug({ method: req.method, url: redactQuery(req.url) }, 'no route');
  }
}
