// Plain-text rendering for the commands: aligned tables like `kubectl get`, ages like "3m", and state colours
// only on a terminal that wants them (NO_COLOR, a pipe or a dumb terminal get plain text).
import { styleText } from 'node:util';
import type { AgentState } from '../agents/model.ts';

type Style = Parameters<typeof styleText>[0];

/** States that need a human come first in every listing, worst first. */
export const NEEDS_HUMAN: readonly AgentState[] = ['waiting', 'error', 'rate_limited', 'stuck', 'crashed'];

const STATE_STYLE: Partial<Record<AgentState, Style>> = {
  working: 'green',
  idle: 'dim',
  waiting: ['yellow', 'bold'],
  unsubmitted: 'yellow',
  rate_limited: 'magenta',
  error: ['red', 'bold'],
  stuck: 'red',
  crashed: ['red', 'bold'],
};

export function wantsColour(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(stream.isTTY) && env.NO_COLOR === undefined && env.TERM !== 'dumb';
}

export function colourState(state: AgentState, colour: boolean): string {
  const style = STATE_STYLE[state];
  return colour && style ? styleText(style, state) : state;
}

/** Sort key: states that need a human first (in NEEDS_HUMAN order), then the rest. */
export function urgency(state: AgentState): number {
  const i = NEEDS_HUMAN.indexOf(state);
  return i === -1 ? NEEDS_HUMAN.length : i;
}

/** "42s", "3m", "5h", "2d": how long since `iso`, as of `now`. */
export function age(iso: string, now: number): string {
  const s = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172_800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

/**
 * Columns padded to their widest cell; the last column is cut to fit `width` (a terminal's) when given.
 * `visible` measures a cell without its colour codes.
 */
export function table(rows: string[][], width?: number): string {
  const visible = (cell: string) => cell.replace(/\x1b\[[0-9;]*m/g, '').length;
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, visible(cell))));
  return rows
    .map((row) => {
      const line = row.map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat(widths[i]! - visible(cell)))).join('   ');
      return width && visible(line) > width ? cutTo(line, width) : line;
    })
    .join('\n');
}

function cutTo(line: string, width: number): string {
  // Colour codes sit only in the state column, well before the cut, so cutting the tail keeps them whole.
  const extra = line.length - line.replace(/\x1b\[[0-9;]*m/g, '').length;
  return line.slice(0, width + extra - 1) + '…';
}
