// Agent ids: stable while the pane lives, unique across monitors and tmux servers, URL-safe.
import { createHash } from 'node:crypto';
import type { PaneInfo } from '../tmux/types.ts';

/**
 * `<monitor>-<8 hex of socket and server pid>-<pane number>`. The server pid is part of it because tmux
 * numbers panes from %0 again after a restart: a new pane must not inherit a dead one's id and history.
 */
export function agentId(monitor: string, pane: Pick<PaneInfo, 'socket' | 'serverPid' | 'paneId'>): string {
  return `${monitor}-${serverTag(pane.socket, pane.serverPid)}-${pane.paneId.replace('%', 'p')}`;
}

// One hash per tmux server, not per pane per cycle: a handful of servers, thousands of panes. A cycle asks for
// one server's panes in a row, so the last answer is kept at hand (no key string to build per pane).
const tags = new Map<string, string>();
let last = { socket: '', serverPid: -1, tag: '' };
function serverTag(socket: string, serverPid: number): string {
  if (socket === last.socket && serverPid === last.serverPid) return last.tag;
  const tag = hashedTag(socket, serverPid);
  last = { socket, serverPid, tag };
  return tag;
}

function hashedTag(socket: string, serverPid: number): string {
  const key = `${socket}\0${serverPid}`;
  let tag = tags.get(key);
  if (tag === undefined) {
    if (tags.size > 256) tags.clear(); // servers restart with new pids; keep the map small
    tag = createHash('sha1').update(key).digest('hex').slice(0, 8);
    tags.set(key, tag);
  }
  return tag;
}

export const AGENT_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}-[0-9a-f]{8}-p\d+$/;
