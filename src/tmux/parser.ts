// Control-mode protocol parser: turns the byte stream of `tmux -C` into reply blocks and notifications.
// Pure and synchronous; feed it chunks split anywhere (even inside a UTF-8 character).
//
// tmux does not escape reply text, so a pane line can equal the `%end` that closes its capture, number included.
// Our replies are therefore read in sealed groups: the client writes a batch of commands followed by
// `display-message -p <nonce>` (a fresh random nonce), and tells the parser (`expectGroup`). Every line from the
// group's first `%begin` up to the nonce is buffered; only then are the replies cut apart (see `closeGroup`).
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

/**
 * The replies of one sealed group could not be told apart: pane text held lines that look like our own guards, so
 * where one reply ends is ambiguous. Nothing of the group is delivered; the caller asks its commands again, each
 * sealed on its own (a group of one is never ambiguous). The connection stays in step.
 */
export interface AmbiguousGroup {
  type: 'ambiguous';
  replies: number;
}

/** Something that cannot happen in a well-formed stream; the connection must be dropped. */
export interface Desync {
  type: 'desync';
  line: string;
  reason: string;
}

export type ParserEvent = ReplyBlock | Notification | Desync | AmbiguousGroup;

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

/** A batch the client wrote: `replies` commands, then the seal command that prints `seal`. */
interface ExpectedGroup {
  replies: number;
  seal: string;
}

/**
 * The group being read. A group of one keeps every line since its `%begin` (cut at the end, see `splitSingle`); a
 * larger one is cut as it arrives at the exact closers, and counts the lines that look like our guards: only when
 * that count is exactly two per reply was none of them pane text, and the cut stands (see `closeGroup`).
 */
interface OpenGroup extends ExpectedGroup {
  raw: string[] | null;
  guards: number[];
  pieces: Piece[];
  current: { begin: string; tail: string; lines: string[] } | null;
  guardCount: number;
  broken: boolean;
  /** The latest line: when the nonce comes, the seal's own `%begin`. */
  last: string;
}

type Guard = { kind: 'begin' | 'end' | 'error'; tail: string };

function ourGuard(line: string): Guard | null {
  if (line.charCodeAt(0) !== 37 /* % */) return null;
  const m = GUARD.exec(line);
  if (!m || m[4] !== '1') return null;
  return { kind: m[1] as Guard['kind'], tail: `${m[2]} ${m[3]} ${m[4]}` };
}

export class ControlParser {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';
  private open: OpenBlock | null = null;
  private readonly expected: ExpectedGroup[] = [];
  private group: OpenGroup | null = null;
  /** After a group's nonce: the `%end` that must close the seal's own block. */
  private sealEnd: string | null = null;

  /** The next `replies` flag-1 replies, then a reply whose only line is `seal`, form one group (FIFO). */
  expectGroup(replies: number, seal: string): void {
    this.expected.push({ replies, seal });
  }

  /** Feed one chunk; returns the events completed by it, in stream order. */
  feed(chunk: Buffer | string): ParserEvent[] {
    const text = this.partial + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
    const events: ParserEvent[] = [];
    let start = 0;
    for (let nl = text.indexOf('\n', start); nl !== -1; nl = text.indexOf('\n', start)) {
      // tmux writes "\n"; a pty in between would write "\r\n", so one trailing \r belongs to the terminator.
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      this.line(text.slice(start, end), events);
      start = nl + 1;
    }
    this.partial = text.slice(start);
    return events;
  }

  /** True while a reply block or a sealed group is open. */
  get inBlock(): boolean {
    return this.open !== null || this.group !== null || this.sealEnd !== null;
  }

  /** True while the lines of a sealed group are arriving (the client counts that as progress). */
  get collecting(): boolean {
    return this.group !== null;
  }

  private line(line: string, events: ParserEvent[]): void {
    if (this.group) return this.groupLine(this.group, line, events);
    if (this.sealEnd !== null) {
      if (line !== this.sealEnd) events.push({ type: 'desync', line, reason: 'the seal reply did not end' });
      this.sealEnd = null;
      return;
    }
    const guard = !this.open && this.expected.length > 0 ? ourGuard(line) : null;
    if (guard?.kind === 'begin') {
      const expected = this.expected.shift()!;
      const raw = expected.replies === 1 ? [line] : null;
      this.group = { ...expected, raw, guards: [0], pieces: [], current: null, guardCount: 0, broken: false, last: line };
      if (!raw) this.cutLine(this.group, line, guard);
      return;
    }
    const event = this.streamLine(line);
    if (event) events.push(event);
  }

  private groupLine(group: OpenGroup, line: string, events: ParserEvent[]): void {
    if (line.length === group.seal.length && line === group.seal) {
      this.group = null;
      this.closeGroup(group, events);
      return;
    }
    const guard = line.charCodeAt(0) === 37 ? ourGuard(line) : null;
    group.last = line;
    if (group.raw) {
      if (guard) group.guards.push(group.raw.length);
      group.raw.push(line);
    } else this.cutLine(group, line, guard);
  }

  /** A line of a group of several replies: it opens, closes or belongs to a reply, or lies between two. */
  private cutLine(group: OpenGroup, line: string, guard: Guard | null): void {
    if (guard) group.guardCount++;
    const current = group.current;
    if (current) {
      if (guard && guard.kind !== 'begin' && guard.tail === current.tail) {
        group.pieces.push(block(current.begin, line, current.lines));
        group.current = null;
      } else current.lines.push(line);
      return;
    }
    if (guard?.kind === 'begin') group.current = { begin: line, tail: guard.tail, lines: [] };
    else if (guard) group.broken = true;
    else {
      const last = group.pieces.at(-1);
      if (last?.type === 'between') last.lines.push(line);
      else group.pieces.push({ type: 'between', lines: [line] });
    }
  }

  /** The nonce arrived: the line before it opened the seal's block, everything earlier is the group's replies. */
  private closeGroup(group: OpenGroup, events: ParserEvent[]): void {
    const sealGuard = ourGuard(group.last);
    if (!sealGuard || sealGuard.kind !== 'begin' || (group.raw && group.raw.length < 2)) {
      events.push({ type: 'desync', line: group.last, reason: 'the seal nonce outside its own reply' });
      return;
    }
    this.sealEnd = `%end ${sealGuard.tail}`;
    let cut: Piece[] | null;
    if (group.raw) {
      group.raw.pop();
      group.guards.pop();
      cut = splitSingle(group.raw, group.guards);
    } else {
      const replies = group.pieces.filter((p) => p.type === 'block').length;
      const sealOpened = group.current?.begin === group.last && group.current.lines.length === 0;
      const exact = !group.broken && sealOpened && group.guardCount - 1 === 2 * group.replies && replies === group.replies;
      cut = exact ? group.pieces : null;
    }
    if (cut === null) {
      events.push({ type: 'ambiguous', replies: group.replies });
      return;
    }
    for (const piece of cut) {
      if (piece.type === 'block') events.push(piece);
      else for (const line of piece.lines) this.pushStreamLine(line, events);
    }
  }

  private pushStreamLine(line: string, events: ParserEvent[]): void {
    const event = ourGuard(line) && !this.open ? { type: 'desync' as const, line, reason: 'a reply outside its group' } : this.streamLine(line);
    if (event) events.push(event);
  }

  /** Lines outside our groups: flag-0 blocks (attach, hooks) and notifications. */
  private streamLine(line: string): ParserEvent | null {
    const open = this.open;
    if (open) {
      // Inside a block only the exact guard that matches %begin closes it; anything else is its text.
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
      if (m[4] === '1') return { type: 'desync', line, reason: 'a reply with no command waiting' };
      this.open = { time: m[2]!, number: m[3]!, flags: m[4]!, lines: [] };
      return null;
    }
    const space = line.indexOf(' ');
    const name = line.slice(1, space === -1 ? undefined : space);
    if (!KNOWN_NOTIFICATIONS.has(name)) return null;
    return { type: 'notification', name, args: space === -1 ? '' : line.slice(space + 1) };
  }
}

/** A piece of a group: one of our replies, or tmux lines between replies (notifications, flag-0 blocks). */
type Piece = ReplyBlock | { type: 'between'; lines: string[] };

function block(begin: string, close: string, lines: string[]): ReplyBlock {
  const [, , time, number, flags] = GUARD.exec(begin)!;
  return { type: 'block', time: Number(time), number: Number(number), flags: Number(flags), ok: close.startsWith('%end'), lines };
}

/**
 * One reply: it began on the group's first line and ends at the last line closing that same command before the seal.
 * Pane text cannot come after the real closer, so lines that merely look like it are text.
 */
function splitSingle(lines: string[], guards: number[]): Piece[] | null {
  const tail = ourGuard(lines[0]!)!.tail;
  for (let g = guards.length - 1; g > 0; g--) {
    const at = guards[g]!;
    const guard = ourGuard(lines[at]!)!;
    if (guard.kind !== 'begin' && guard.tail === tail) {
      return [block(lines[0]!, lines[at]!, lines.slice(1, at)), { type: 'between', lines: lines.slice(at + 1) }];
    }
  }
  return null;
}
