// Errors of the tmux access layer; `code` lets callers and metrics tell them apart without string matching.

export type TmuxErrorCode =
  | 'no_server' // nothing listens on the socket
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

/** tmux's own wording when nothing is listening (missing socket, or a stale one). */
export function isNoServerMessage(stderr: string): boolean {
  return /no server running on|error connecting to|server exited unexpectedly/.test(stderr);
}
