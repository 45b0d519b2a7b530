// Control-mode protocol parser: turns the byte stream of `tmux -C` into reply blocks and notifications.
// Pure and synchronous; feed it chunks split anywhere (even inside a UTF-8 character).
import { StringDecoder } from 'node:string_decoder';

/** A `%begin … %end|%error` reply. `flags` is 1 for commands we sent, 0 for attach and hook output. */
export interface ReplyBlock {
  type: 'block';
  time: number;
  number: number;
  flags: number;
  ok: boolean; // %end (true) or %error (false)
  lines: string[];
}

export interface Notification {
  type: 'notification';
  name: string; // without the leading %, e.g. "sessions-changed"
  args: string; // the rest of the line after one space, verbatim
}

/** Something that cannot happen in a well-formed stream; the connection must be dropped. */
export interface Desync {
  type: 'desync';
  line: string;
  reason: string;
}

export type ParserEvent = ReplyBlock | Notification | Desync;

/** Notifications the access layer cares about; any other `%name` outside a block is ignored. */
export const KNOWN_NOTIFICATIONS: ReadonlySet<string> = new Set([
  'exit',
  'sessions-changed',
  'session-changed',
  'session-renamed',
  'session-window-changed',
  'client-session-changed',
  'client-detached',
  'window-add',
  'window-close',
  'window-renamed',
  'window-pane-changed',
  'unlinked-window-add',
  'unlinked-window-close',
  'unlinked-window-renamed',
  'layout-change',
  'pane-mode-changed',
  'output',
  'extended-output',
  'pause',
  'continue',
  'message',
  'paste-buffer-changed',
  'paste-buffer-deleted',
  'subscription-changed',
]);

const GUARD = /^%(begin|end|error) (\d+) (\d+) (\d+)$/;

interface OpenBlock {
  time: string;
  number: string;
  flags: string;
  lines: string[];
}

export class ControlParser {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';
  private open: OpenBlock | null = null;

  /** Feed one chunk; returns the events completed by it, in stream order. */
  feed(chunk: Buffer | string): ParserEvent[] {
    const text = this.partial + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
    const events: ParserEvent[] = [];
    let start = 0;
    for (let nl = text.indexOf('\n', start); nl !== -1; nl = text.indexOf('\n', start)) {
      // tmux writes "\n"; a pty in between would write "\r\n", so one trailing \r belongs to the terminator.
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      const event = this.line(text.slice(start, end));
      if (event) events.push(event);
      start = nl + 1;
    }
    this.partial = text.slice(start);
    return events;
  }

  /** True while a reply block is open (its lines are buffered until the matching guard). */
  get inBlock(): boolean {
    return this.open !== null;
  }

  private line(line: string): ParserEvent | null {
    const open = this.open;
    if (open) {
      // Inside a block only the exact guard that matches %begin closes it; anything else is pane text.
      if (line.charCodeAt(0) === 37 /* % */) {
        const m = GUARD.exec(line);
        if (m && m[1] !== 'begin' && m[2] === open.time && m[3] === open.number && m[4] === open.flags) {
          this.open = null;
          return {
            type: 'block',
            time: Number(open.time),
            number: Number(open.number),
            flags: Number(open.flags),
            ok: m[1] === 'end',
            lines: open.lines,
          };
        }
      }
      open.lines.push(line);
      return null;
    }
    if (line.charCodeAt(0) !== 37) {
      return { type: 'desync', line, reason: 'output outside a reply block' };
    }
    const m = GUARD.exec(line);
    if (m) {
      if (m[1] !== 'begin') return { type: 'desync', line, reason: `%${m[1]} without an open %begin` };
      this.open = { time: m[2]!, number: m[3]!, flags: m[4]!, lines: [] };
      return null;
    }
    const space = line.indexOf(' ');
    const name = line.slice(1, space === -1 ? undefined : space);
    if (!KNOWN_NOTIFICATIONS.has(name)) return null;
    return { type: 'notification', name, args: space === -1 ? '' : line.slice(space + 1) };
  }
}
