// Which tmux pane a hook came from: tmux's own $TMUX_PANE ("%12") and $TMUX ("socket,server pid,session"),
// passed as X-Tmux-Pane / X-Tmux headers. Only looked up in the panes the loop lists, never sent to tmux.

/** Where a hook says it ran; `serverPid`/`socket` null when $TMUX was not given. */
export interface PaneRef {
  paneId: string;
  socket: string | null;
  serverPid: number | null;
}

const PANE_ID = /^%\d{1,9}$/;
// The socket path may itself hold commas: pid and session are the last two fields.
const TMUX_VALUE = /^(.+),(\d{1,9}),(\d{1,9})$/;

/** The pane a hook names, or null when it names none (not run inside tmux, or the variables were empty). */
export function paneRefOf(paneHeader: string | undefined, tmuxHeader: string | undefined): PaneRef | null {
  const paneId = paneHeader?.trim() ?? '';
  if (!PANE_ID.test(paneId)) return null;
  const m = TMUX_VALUE.exec(tmuxHeader?.trim() ?? '');
  return { paneId, socket: m ? m[1]! : null, serverPid: m ? Number(m[2]) : null };
}
