// The batched queries the monitor needs: the pane lists (`list-panes -a`) and `capture-pane` per pane.
import { randomBytes } from 'node:crypto';
import { TrustedFormat, command, flags, format, isTmuxId, messageFormat, target, type TmuxCommand } from './command.ts';
import type { PaneInfo } from './types.ts';

const F = TrustedFormat.literal;

// tmux's cost grows with every field it expands for every pane (pane_current_command most: a /proc read) and every
// byte it writes (docs/performance.md). So every pane reports only what tells whether it changed, and the rest
// comes for the panes a list selects.
const SUMMARY = F`#{pane_id} #{window_activity} #{pane_dead}`;
// Fields that are numbers or ids, space-separated; parseDetail reads them back in this order.
const NUMBERS = F`#{pid} #{session_id} #{window_id} #{window_index} #{pane_index} #{pane_pid} #{pane_dead_status} #{pane_width} #{pane_height} #{pane_active} #{pane_dead_signal}`;
// Free text (names and titles may hold tabs, newlines, `|` or anything else): each between separators.
const TEXTS = [F`#{session_name}`, F`#{window_name}`, F`#{pane_title}`, F`#{pane_current_command}`];
/**
 * What the cycle's list asks active panes: what their own output can change without tmux notifying us (the title,
 * set by an escape sequence; the command in front, as a job starts or ends; the process, after respawn-pane), and
 * where they are, which `target` shows (swap-window and swap-pane in another session send no notification we
 * hear). Names and the set of panes change by commands tmux notifies (see pool.ts); sizes and the rest at worst
 * show with the refresh between cycles. Every field fewer is tmux time saved for every active pane.
 */
const OUTPUT_NUMBERS = F`#{pane_pid} #{window_index} #{pane_index}`;
const OUTPUT_TEXTS = [F`#{pane_title}`, F`#{pane_current_command}`];

/** Which record a list gives the panes it selects: every detail, or only what their output can change. */
export type DetailRecord = 'full' | 'output';

export interface PaneListQuery {
  command: TmuxCommand;
  separator: string;
  record: DetailRecord;
}

/** Separators in one selected pane's record, by record kind. */
const SEPARATORS: Record<DetailRecord, number> = { full: 6, output: 4 };

/**
 * A pane's record: its summary line, then SEP numbers SEP text SEP text SEP text SEP text SEP (`full`) or SEP pid
 * window_index pane_index SEP title SEP command SEP (`output`). The summary holds only digits, `%` and spaces, so it
 * needs no separator; the texts do, and the separator is a fresh random hex nonce per query, so pane text cannot
 * forge a field boundary. 48 bits are unguessable and short (tmux pays for every byte of every pane's record).
 */
function paneRecord(separator: string, record: DetailRecord = 'full'): TrustedFormat {
  const sep = TrustedFormat.separator(separator);
  const detail =
    record === 'full'
      ? TrustedFormat.concat(sep, NUMBERS, sep, ...TEXTS.flatMap((t) => [t, sep]))
      : TrustedFormat.concat(sep, OUTPUT_NUMBERS, sep, ...OUTPUT_TEXTS.flatMap((t) => [t, sep]));
  return TrustedFormat.concat(SUMMARY, detail);
}

/** Every pane's full record. */
export function paneListQuery(): PaneListQuery {
  const separator = randomBytes(6).toString('hex');
  return { command: command('list-panes', flags('a'), format(paneRecord(separator))), separator, record: 'full' };
}

/**
 * The cycle's list, as two commands for one round trip: every pane's id, and the summary and `output` record of
 * only the panes active since `activeSince` or dead (parse with parsePaneIds and parsePaneList). A pane in the first
 * and not the second is alive and its window activity is what an earlier list saw. tmux pays per pane for any list
 * and per field per pane, so a filter stands in place of a per-pane conditional and every pane gets few fields.
 */
export function activeListQueries(activeSince: number): { ids: TmuxCommand; active: PaneListQuery } {
  const separator = randomBytes(6).toString('hex');
  const filter = TrustedFormat.paneFilter({ activeSince, dead: true });
  return {
    ids: command('list-panes', flags('a'), format(F`#{pane_id}`)),
    active: {
      command: command('list-panes', flags('a'), format(filter, 'f'), format(paneRecord(separator, 'output'))),
      separator,
      record: 'output',
    },
  };
}

/** The output of activeListQueries().ids: one pane id a line. */
export function parsePaneIds(output: string): string[] {
  if (output === '') return [];
  const ids = output.split('\n');
  for (const paneId of ids) id(paneId, '%', 'pane_id');
  return ids;
}

/**
 * The full records of the panes whose number ends in `idSuffix`, and an empty line for every other pane: the
 * refresh between cycles wants only those, and a summary of every pane would cost tmux its fields for nothing.
 * Parse with `{ blankLines: true }`.
 */
export function paneBucketQuery(idSuffix: string): PaneListQuery {
  const separator = randomBytes(6).toString('hex');
  const record = TrustedFormat.forSelectedPanes({ idSuffix }, paneRecord(separator));
  return { command: command('list-panes', flags('a'), format(record)), separator, record: 'full' };
}

/** The full record of one pane, for a pane a list left out that must be known now. */
export function paneDetailQuery(paneId: string): PaneListQuery {
  const separator = randomBytes(6).toString('hex');
  return {
    command: command('display-message', flags('p'), target(paneId, ['%']), messageFormat(paneRecord(separator))),
    separator,
    record: 'full',
  };
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

/** The pane fields an `output` record tells. */
export const OUTPUT_FACT_FIELDS = ['panePid', 'windowIndex', 'paneIndex', 'title', 'currentCommand'] as const;
export type PaneOutputFacts = Pick<PaneInfo, (typeof OUTPUT_FACT_FIELDS)[number]>;

/** One listed pane: its summary, and its details (full, or what output changes) when the list selected it. */
export interface ListedPane {
  summary: PaneSummary;
  detail: PaneInfo | null;
  output: PaneOutputFacts | null;
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

// pane_id, window_activity (empty for a window never active), pane_dead. One match per line: a list of 1000
// panes is parsed on the cycle's critical path.
const SUMMARY_LINE = /^(%\d{1,9}) (\d*) ([01]?)$/;

function parseSummary(text: string): PaneSummary {
  const m = SUMMARY_LINE.exec(text);
  if (!m) throw new PaneListParseError(`malformed pane summary: ${JSON.stringify(text.slice(0, 60))}`);
  return { paneId: m[1]!, windowActivity: m[2] === '' ? 0 : Number(m[2]), dead: m[3] === '1' };
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

function parseOutputFacts(numbers: string, title: string, currentCommand: string): PaneOutputFacts {
  const n = numbers.split(' ');
  if (n.length !== 3) throw new PaneListParseError(`pane output facts do not have 3 numbers: ${JSON.stringify(numbers.slice(0, 40))}`);
  return {
    panePid: optionalInt(n[0]!, 'pane_pid') ?? 0,
    windowIndex: int(n[1]!, 'window_index'),
    paneIndex: int(n[2]!, 'pane_index'),
    title,
    currentCommand,
  };
}

/**
 * Parses the output of paneListQuery(), activeListQueries().active, paneBucketQuery() or paneDetailQuery();
 * `output` is the reply's lines joined with "\n", `record` the query's. Split at the separator it reads: summary lines, then per detailed pane
 * its fields, then the line break and more summary lines. The last summary line before a detail belongs to that
 * detail. A text may be anything, even "\n", but it sits at a known position, so it is never taken for a record's
 * end. Blank lines are malformed, except with `blankLines` (the output of paneBucketQuery).
 */
export function parsePaneList(
  output: string,
  separator: string,
  socket: string,
  opts: { blankLines?: boolean; record?: DetailRecord } = {},
): ListedPane[] {
  if (output.trim() === '') return [];
  const record = opts.record ?? 'full';
  const per = SEPARATORS[record];
  const parts = output.split(separator);
  const details = (parts.length - 1) / per;
  if (!Number.isInteger(details)) throw new PaneListParseError(`list-panes output does not have ${per} separators per detailed pane`);
  const panes: ListedPane[] = [];
  for (let d = 0; d <= details; d++) {
    let summaries = parts[d * per]!;
    if (d > 0) {
      if (summaries === '' && d === details) break;
      if (!summaries.startsWith('\n')) throw new PaneListParseError('unexpected text after a detailed pane record');
      summaries = summaries.slice(1);
    }
    let lines = summaries === '' ? [] : summaries.split('\n');
    if (opts.blankLines) lines = lines.filter((line) => line !== ''); // the panes paneBucketQuery left out
    const detailed = d < details ? lines.pop() : undefined;
    if (d < details && detailed === undefined) throw new PaneListParseError('pane details without a summary');
    for (const line of lines) panes.push({ summary: parseSummary(line), detail: null, output: null });
    if (detailed !== undefined) {
      const summary = parseSummary(detailed);
      const at = d * per + 1;
      if (record === 'full') {
        panes.push({ summary, detail: parseDetail(summary, parts[at]!, parts.slice(at + 1, at + 5), socket), output: null });
      } else {
        panes.push({ summary, detail: null, output: parseOutputFacts(parts[at]!, parts[at + 1]!, parts[at + 2]!) });
      }
    }
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
