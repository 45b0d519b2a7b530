// Weak ETags: records differ in observedAt between versions, so byte equality is not promised, meaning is.
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Sets the ETag; true when the client's If-None-Match already names it (answer 304). */
export function etagMatches(req: FastifyRequest, reply: FastifyReply, tag: string): boolean {
  const etag = `W/"${tag}"`;
  reply.header('etag', etag);
  const given = req.headers['if-none-match'];
  if (!given) return false;
  return given
    .split(',')
    .map((t) => t.trim().replace(/^W\//, ''))
    .some((t) => t === '*' || t === `"${tag}"`);
}
