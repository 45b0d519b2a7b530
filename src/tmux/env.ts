// Child-process environment and socket paths for tmux.
import { join } from 'node:path';

/** Environment for tmux children: without TMUX/TMUX_PANE nothing can fall back to the caller's own server. */
export function tmuxChildEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out = { ...env };
  delete out.TMUX;
  delete out.TMUX_PANE;
  return out;
}

/** The socket tmux itself uses when started without -S/-L: `$TMUX_TMPDIR` or /tmp, then `tmux-<uid>/default`. */
export function defaultSocketPath(env: NodeJS.ProcessEnv = process.env, uid: number = process.getuid?.() ?? 0): string {
  const dir = env.TMUX_TMPDIR && env.TMUX_TMPDIR !== '' ? env.TMUX_TMPDIR : '/tmp';
  return join(dir, `tmux-${uid}`, 'default');
}

/**
 * The server of the tmux session this process runs in, from `$TMUX` (`<socket path>,<server pid>,<session>`, set
 * by tmux in every pane), so that paneward started inside `tmux -L work` watches that server; null outside tmux.
 */
export function currentSocketPath(env: NodeJS.ProcessEnv = process.env): string | null {
  const fields = (env.TMUX ?? '').split(',');
  if (fields.length < 3) return null;
  const path = fields.slice(0, -2).join(','); // the socket path may itself hold commas; pid and session do not
  return path.startsWith('/') ? path : null;
}
