// A captured screen cut into the regions rules look at: the bottom lines, the input box, the status lines
// just above and below it, the pane title.
import type { RegionName } from './profile.ts';
import { compile } from './regex.ts';

export interface Line {
  index: number; // line number on the screen, from 0
  text: string;
}

export interface InputSpec {
  prompt: string;
  flags: string;
  scan: number;
  framed?: boolean;
}

export interface ScreenView {
  lines: string[]; // trailing spaces and trailing blank lines removed
  nonBlank: Line[];
  title: string;
  command: string; // tmux's pane_current_command: the foreground process
  /** The input box: first and last line of its content, and the borders around it when drawn. */
  input: { top: number; bottom: number; first: number; last: number } | null;
}

// A row drawn only with box-drawing or block characters: the edge of an input box or a separator.
const BORDER = /^\s*[\u2500-\u259F]{3,}\s*$/;

export function viewScreen(screen: string, pane: { title: string; command: string }, input?: InputSpec): ScreenView {
  const lines = screen.replace(/\r/g, '').split('\n').map((l) => l.trimEnd());
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const nonBlank: Line[] = [];
  lines.forEach((text, index) => {
    if (text.trim() !== '') nonBlank.push({ index, text });
  });
  return { lines, nonBlank, title: pane.title, command: pane.command, input: input ? findInput(lines, nonBlank, input) : null };
}

function findInput(lines: string[], nonBlank: Line[], spec: InputSpec): ScreenView['input'] {
  const prompt = compile(spec.prompt, spec.flags);
  const candidates = nonBlank.slice(-spec.scan);
  let at = -1;
  for (let i = candidates.length - 1; i >= 0; i--) {
    const { index, text } = candidates[i]!;
    if (!prompt.test(text)) continue;
    // A framed box: the same glyph on a menu's selected item or a past prompt in the history is not the input.
    if (spec.framed && !(index > 0 && BORDER.test(lines[index - 1]!))) continue;
    at = index;
    break;
  }
  if (at < 0) return null;
  const top = at > 0 && BORDER.test(lines[at - 1]!) ? at - 1 : at;
  // A long input wraps onto more lines; they end at the box's lower border when one is drawn.
  let last = at;
  let bottom = at;
  for (let k = at + 1; k < Math.min(lines.length, at + 15); k++) {
    if (BORDER.test(lines[k]!)) {
      last = k - 1;
      bottom = k;
      break;
    }
  }
  return { top, bottom, first: at, last };
}

export function region(view: ScreenView, name: RegionName, lines?: number): Line[] {
  const { nonBlank, input } = view;
  switch (name) {
    case 'screen':
      return lines ? nonBlank.slice(-lines) : nonBlank;
    case 'bottom':
      return nonBlank.slice(-(lines ?? 5));
    case 'top':
      return nonBlank.slice(0, lines ?? 5);
    case 'last-line':
      return nonBlank.slice(-1);
    case 'title':
      return view.title ? [{ index: -1, text: view.title }] : [];
    case 'command':
      return view.command ? [{ index: -1, text: view.command }] : [];
    case 'input':
      return input ? nonBlank.filter((l) => l.index >= input.first && l.index <= input.last) : [];
    case 'above-input':
      if (!input) return nonBlank.slice(-(lines ?? 3));
      return nonBlank.filter((l) => l.index < input.top).slice(-(lines ?? 3));
    case 'below-input': {
      if (!input) return [];
      const below = nonBlank.filter((l) => l.index > input.bottom);
      return lines ? below.slice(0, lines) : below;
    }
  }
}

export function describeRegion(name: RegionName, lines?: number): string {
  return lines ? `${name}:${lines}` : name;
}
