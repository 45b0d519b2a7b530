// Agent ids: stable while the pane lives, unique across monitors and tmux servers, URL-safe.
import { createHash } from 'node:crypto';
import type { PaneInfo } from '../tmux/types.ts';

/**
 * `<monitor>-<8 hex of socket and server pid>-<pane number>`. The server pid is part of it because tmux
 * numbers panes from %0 again after a restart: a new pane must not inherit a dead one's id and history.
 */
export function agentId(monitor: string, pane: Pick<PaneInfo, 'socket' | 'serverPid' | 'paneId'>): string {
  const server = createHash('sha1').update(`${pane.socket}\0${pane.serverPid}`).digest('hex').slice(0, 8);
  return `${monitor}-${server}-${pane.paneId.replace('%', 'p')}`;
}

export const AGENT_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}-[0-9a-f]{8}-p\d+$/;
