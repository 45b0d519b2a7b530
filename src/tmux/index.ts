// Public entry of the tmux access layer; see README.md in this folder for the design.
import { TmuxServerClient, type TmuxServerOptions } from './server.ts';
import type { TmuxServer } from './types.ts';

export type * from './types.ts';
export type { TmuxServerOptions } from './server.ts';
export { currentSocketPath, defaultSocketPath } from './env.ts';
export { TmuxError, type TmuxErrorCode } from './errors.ts';
export { POOL_DEFAULTS } from './pool.ts';

/** Access to one tmux server (a socket path), through the pool or exec per `strategy`. */
export function createTmuxServer(opts: TmuxServerOptions): TmuxServer {
  return new TmuxServerClient(opts);
}

/** One TmuxServer per socket path; each has its own pool, exec runner and status. */
export function createTmuxServers(sockets: readonly string[], opts: Omit<TmuxServerOptions, 'socket'>): TmuxServer[] {
  return [...new Set(sockets)].map((socket) => createTmuxServer({ ...opts, socket }));
}
