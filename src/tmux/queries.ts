// The batched queries the monitor needs: one `list-panes -a` with every field, and `capture-pane` per pane.
import { randomBytes } from 'node:crypto';
import { TrustedFormat, command, flags, format, isTmuxId, target, type TmuxCommand } from './command.ts';
import type { PaneInfo } from './types.ts';

const F = TrustedFormat.literal;

// Order matters: parsePaneList reads the fields back in this order.
const PANE_FIELDS = [
  F`#{pid}`,
  F`#{session_id}`,
  F`#{session_name}`,
  F`#{window_id}`,
  F`#{window_index}`,
  F`#{window_name}`,
  F`#{pane_id}`,
  F`#{pane_index}`,
  F`#{pane_pid}`,
  F`#{pane_current_command}`,
  F`#{pane_dead}`,
  F`#{pane_dead_status}`,
  F`#{window_activity}`,
  F`#{pane_width}`,
  F`#{pane_height}`,
  F`#{pane_title}`,
  F`#{pane_active}`,
  F`#{pane_dead_signal}`,
] as const;

const COMMAND_FIELD = PANE_FIELDS.findIndex((f) => f.text === '#{pane_current_command}');

export interface PaneListQuery {
  command: TmuxCommand;
  separator: string;
  /** The current command was asked only of recently active panes (see paneListQuery). */
  conditionalCommand: boolean;
}

/** A listed pane; currentCommand is null when the query did not ask for it (the pane was not active). */
export type ListedPane = Omit<PaneInfo, 'currentCommand'> & { currentCommand: string | null };

/**
 * Window names and titles may hold tabs, newlines, `|` or anything else, so no fixed delimiter is safe.
 * Each query uses a fresh random hex separator around every field; pane text cannot guess it.
 */
export function paneListQuery(commandSince: number | null = null): PaneListQuery {
  // 48 random bits: unguessable by pane text, and short, because tmux's cost grows with every byte it
  // expands (24 hex characters made a 1000-pane list take 45 ms instead of 28).
  const separator = randomBytes(6).toString('hex');
  const fields =
    commandSince === null
      ? PANE_FIELDS
      : PANE_FIELDS.map((f, i) => (i === COMMAND_FIELD ? TrustedFormat.currentCommandIfActiveSince(commandSince) : f));
  return {
    command: command('list-panes', flags('a'), format(TrustedFormat.join(fields, separator))),
    separator,
    conditionalCommand: commandSince !== null,
  };
}

export class PaneListParseError extends Error {
  override name = 'PaneListParseError';
}

function int(value: string, field: string): number {
  if (!/^-?\d+$/.test(value)) throw new PaneListParseError(`${field} is not an integer: ${JSON.stringify(value)}`);
  return Number(value);
}

function id(value: string, kind: '%' | '@' | '$', field: string): string {
  if (!isTmuxId(value, [kind])) throw new PaneListParseError(`${field} is not a ${kind}N id: ${JSON.stringify(value)}`);
  return value;
}

/** Parses the output of paneListQuery(); `output` is the raw text (records end with "\n", the last may not). */
export function parsePaneList(output: string, query: Omit<PaneListQuery, 'command'>, socket: string): ListedPane[] {
  const { separator, conditionalCommand } = query;
  if (output.trim() === '') return [];
  const parts = output.split(separator);
  const width = PANE_FIELDS.length + 1; // the fields, then the line break between records
  if (parts[0] !== '' || (parts.length - 1) % width !== 0) {
    throw new PaneListParseError(`list-panes output does not have ${PANE_FIELDS.length} fields per pane`);
  }
  const panes: ListedPane[] = [];
  for (let i = 1; i < parts.length; i += width) {
    const f = parts.slice(i, i + width);
    const gap = f[width - 1]!;
    if (gap !== '\n' && !(gap === '' && i + width === parts.length)) {
      throw new PaneListParseError(`unexpected text between list-panes records: ${JSON.stringify(gap.slice(0, 40))}`);
    }
    const [pid, sessionId, sessionName, windowId, windowIndex, windowName, paneId, paneIndex, panePid] = f as string[];
    const [currentCommand, dead, deadStatus, activity, w, h, title, active, deadSignal] = f.slice(9) as string[];
    panes.push({
      socket,
      serverPid: int(pid!, 'pid'),
      sessionId: id(sessionId!, '$', 'session_id'),
      sessionName: sessionName!,
      windowId: id(windowId!, '@', 'window_id'),
      windowIndex: int(windowIndex!, 'window_index'),
      windowName: windowName!,
      paneId: id(paneId!, '%', 'pane_id'),
      paneIndex: int(paneIndex!, 'pane_index'),
      panePid: panePid === '' ? 0 : int(panePid!, 'pane_pid'),
      currentCommand: !conditionalCommand ? currentCommand! : currentCommand === '' ? null : currentCommand!.slice(1),
      dead: dead === '1',
      deadStatus: deadStatus === '' ? null : int(deadStatus!, 'pane_dead_status'),
      windowActivity: activity === '' ? 0 : int(activity!, 'window_activity'),
      width: int(w!, 'pane_width'),
      height: int(h!, 'pane_height'),
      title: title!,
      active: active === '1',
      deadSignal: deadSignal === '' ? null : int(deadSignal!, 'pane_dead_signal'),
    });
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
