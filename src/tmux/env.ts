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
