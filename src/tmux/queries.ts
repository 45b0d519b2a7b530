// The batched queries the monitor needs: one `list-panes -a` and `capture-pane` per pane.
import { randomBytes } from 'node:crypto';
import { TrustedFormat, command, flags, format, isTmuxId, target, type PaneSelection, type TmuxCommand } from './command.ts';
import type { PaneInfo } from './types.ts';

const F = TrustedFormat.literal;

// tmux's cost grows with every field it expands for every pane (about 2 µs each, pane_current_command ~25 µs, a
// /proc read) and every byte it writes: a list of all 18 fields of 1000 panes took 45-70 ms, these three 4-7 ms.
// So every pane reports only what tells whether it changed, and the rest comes for the panes a list selects.
const SUMMARY = F`#{pane_id} #{window_activity} #{pane_dead}`;
// Fields that are numbers or ids, space-separated; parseDetail reads them back in this order.
const NUMBERS = F`#{pid} #{session_id} #{window_id} #{window_index} #{pane_index} #{pane_pid} #{pane_dead_status} #{pane_width} #{pane_height} #{pane_active} #{pane_dead_signal}`;
// Free text (names and titles may hold tabs, newlines, `|` or anything else): each between separators.
const TEXTS = [F`#{session_name}`, F`#{window_name}`, F`#{pane_title}`, F`#{pane_current_command}`];

export interface PaneListQuery {
  command: TmuxCommand;
  separator: string;
}

/**
 * Every pane's summary, and the full details of the panes `selection` picks (of all panes when it is null).
 * A record is SEP summary SEP, then for a detailed pane: numbers SEP text SEP text SEP text SEP text SEP.
 * The separator is a fresh random hex nonce per query, so pane text cannot forge a field boundary; 48 bits are
 * unguessable and short (tmux pays for every byte: 24 hex digits made a full list take 45 ms instead of 28).
 */
export function paneListQuery(selection: PaneSelection | null): PaneListQuery {
  const separator = randomBytes(6).toString('hex');
  const sep = TrustedFormat.separator(separator);
  const summary = TrustedFormat.join([SUMMARY], separator);
  const detail = TrustedFormat.concat(NUMBERS, sep, ...TEXTS.flatMap((t) => [t, sep]));
  const record = TrustedFormat.concat(summary, selection === null ? detail : TrustedFormat.forSelectedPanes(selection, detail));
  return { command: command('list-panes', flags('a'), format(record)), separator };
}

export class PaneListParseError extends Error {
  override name = 'PaneListParseError';
}

/** What every list says of every pane. */
export interface PaneSummary {
  paneId: string;
  windowActivity: number;
  dead: boolean;
}

/** One listed pane: its summary, and its full details when the list selected it. */
export interface ListedPane {
  summary: PaneSummary;
  detail: PaneInfo | null;
}

function int(value: string, field: string): number {
  if (!/^-?\d+$/.test(value)) throw new PaneListParseError(`${field} is not an integer: ${JSON.stringify(value)}`);
  return Number(value);
}

function id(value: string, kind: '%' | '@' | '$', field: string): string {
  if (!isTmuxId(value, [kind])) throw new PaneListParseError(`${field} is not a ${kind}N id: ${JSON.stringify(value)}`);
  return value;
}

const optionalInt = (value: string, field: string) => (value === '' ? null : int(value, field));

function parseSummary(text: string): PaneSummary {
  const [paneId, activity, dead, ...rest] = text.split(' ');
  if (rest.length > 0 || dead === undefined) throw new PaneListParseError(`malformed pane summary: ${JSON.stringify(text.slice(0, 60))}`);
  return { paneId: id(paneId!, '%', 'pane_id'), windowActivity: activity === '' ? 0 : int(activity!, 'window_activity'), dead: dead === '1' };
}

function parseDetail(summary: PaneSummary, numbers: string, texts: string[], socket: string): PaneInfo {
  const n = numbers.split(' ');
  if (n.length !== 11) throw new PaneListParseError(`pane details do not have 11 numbers: ${JSON.stringify(numbers.slice(0, 80))}`);
  const [pid, sessionId, windowId, windowIndex, paneIndex, panePid, deadStatus, w, h, active, deadSignal] = n as [string, ...string[]];
  const [sessionName, windowName, title, currentCommand] = texts as [string, string, string, string];
  return {
    socket,
    serverPid: int(pid, 'pid'),
    sessionId: id(sessionId!, '$', 'session_id'),
    sessionName,
    windowId: id(windowId!, '@', 'window_id'),
    windowIndex: int(windowIndex!, 'window_index'),
    windowName,
    paneId: summary.paneId,
    paneIndex: int(paneIndex!, 'pane_index'),
    panePid: optionalInt(panePid!, 'pane_pid') ?? 0,
    currentCommand,
    dead: summary.dead,
    deadStatus: optionalInt(deadStatus!, 'pane_dead_status'),
    windowActivity: summary.windowActivity,
    width: int(w!, 'pane_width'),
    height: int(h!, 'pane_height'),
    title,
    active: active === '1',
    deadSignal: optionalInt(deadSignal!, 'pane_dead_signal'),
  };
}

/** Parses the output of paneListQuery(); `output` is the raw text (records end with "\n", the last may not). */
export function parsePaneList(output: string, separator: string, socket: string): ListedPane[] {
  if (output.trim() === '') return [];
  const parts = output.split(separator);
  if (parts[0] !== '') throw new PaneListParseError('list-panes output does not start with the separator');
  const last = parts.length - 1;
  const endOfRecord = (i: number) => parts[i] === '\n' || (i === last && parts[i] === '');
  const panes: ListedPane[] = [];
  let i = 1;
  while (i < last) {
    const summary = parseSummary(parts[i]!);
    if (endOfRecord(i + 1)) {
      panes.push({ summary, detail: null });
      i += 2;
      continue;
    }
    // A detailed record: the numbers, four texts, then the end of the record. A text may be anything, even
    // "\n", but it sits at a known position, so it is never taken for a record's end.
    if (i + 6 > last || !endOfRecord(i + 6)) {
      throw new PaneListParseError(`list-panes record for ${summary.paneId} does not have its fields`);
    }
    panes.push({ summary, detail: parseDetail(summary, parts[i + 1]!, parts.slice(i + 2, i + 6), socket) });
    i += 7;
  }
  return panes;
}

/** Visible screen of one pane, wrapped lines joined. */
export function captureCommand(paneId: string): TmuxCommand {
  return command('capture-pane', flags('pJ'), target(paneId, ['%']));
}

/** Pane text as the monitor stores it: lines joined with "\n", trailing blank lines dropped. */
export function paneText(lines: readonly string[]): string {
  let end = lines.length;
  while (end > 0 && lines[end - 1]!.trim() === '') end--;
  return lines.slice(0, end).join('\n');
}

export const listSessionsCommand: TmuxCommand = command('list-sessions', format(F`#{session_id}`));
