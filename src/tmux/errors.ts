// Errors of the tmux access layer; `code` lets callers and metrics tell them apart without string matching.

export type TmuxErrorCode =
  | 'no_server' // nothing listens on the socket
  | 'no_tmux' // the tmux program is not installed (not on PATH)
  | 'permission_denied' // the socket belongs to another user (or its directory is closed to us)
  | 'no_sessions' // a server runs but has no session a control client could attach to
  | 'timeout' // tmux did not answer in time; the connection was killed
  | 'connection_lost' // the control client exited, desynced or was killed with commands pending
  | 'command_failed'; // tmux answered with an error for this one command

export class TmuxError extends Error {
  override name = 'TmuxError';
  constructor(
    readonly code: TmuxErrorCode,
    message: string,
    readonly socket: string,
  ) {
    super(message);
  }
}

/** The problems that mean "no tmux server to watch here", each with its own cause. */
export type UnreachableCode = 'no_server' | 'no_tmux' | 'permission_denied';

/**
 * Which of them tmux's own words on stderr describe: `error connecting to <socket> (Permission denied)` is a socket
 * we may not use; `no server running on`, a missing or refused socket, or a server exiting as we connect is no
 * server. null for anything else.
 */
export function unreachableCode(stderr: string): Exclude<UnreachableCode, 'no_tmux'> | null {
  if (/error connecting to .*\((?:Permission denied|Operation not permitted)\)|access not allowed/.test(stderr)) return 'permission_denied';
  if (/no server running on|error connecting to|server exited unexpectedly/.test(stderr)) return 'no_server';
  return null;
}

/** The sentence /readyz, /v1/monitor and the logs show for each. */
export function unreachableReason(code: UnreachableCode, socket: string, binary = 'tmux'): string {
  if (code === 'no_tmux') return `tmux is not installed: no "${binary}" program on PATH`;
  if (code === 'permission_denied') return `permission denied on ${socket}: the socket belongs to another user or is not readable by this one`;
  return `no tmux server running on ${socket}`;
}

export function isUnreachable(err: unknown): err is TmuxError & { code: UnreachableCode } {
  return err instanceof TmuxError && (err.code === 'no_server' || err.code === 'no_tmux' || err.code === 'permission_denied');
}
