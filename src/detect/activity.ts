// What counts as the screen really changing: spinners, clocks, elapsed timers and token counters tick on
// their own and are blanked before two screens are compared, so they neither reset "quiet" nor hide "stuck".
import { createHash } from 'node:crypto';
import { compile } from './regex.ts';

// Applied in order, each to what the one before left. A pattern is skipped when the text lacks what every match
// of it holds (`needs`): the result is the same, and on the critical path of a cycle the full scans were the
// largest part of classifying a changed screen.
const BUILT_IN: Array<{ re: RegExp; needs?: string }> = [
  // Spinner and pulse glyphs, braille spinners (⠋⠙⠹ …) among them: single characters, removed in one pass.
  { re: /[\u2800-\u28FF✻✽✶✳✢✺✹✷✸✵✴❋❊·•●○◐◓◑◒◴◷◶◵▖▘▝▗▌▐▀▄█░▒▓|/\\⏺⎿∙⋅*+-]/g },
  { re: /\b\d{1,2}:\d{2}(:\d{2})?(\s?[AaPp][Mm])?\b/g, needs: ':' }, // clocks
  { re: /\b\d+(\.\d+)?\s?(ms|s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?)\b/g }, // elapsed time: 12s, 1m 3s
  { re: /[↑↓]?\s?\d+(\.\d+)?\s?[kKmM]?\s+tokens?\b/g, needs: 'token' }, // token counters
];

export function normalise(screen: string, volatile: string[]): string {
  let out = screen;
  for (const pattern of volatile) out = out.replace(compile(pattern, 'gmu'), '');
  for (const { re, needs } of BUILT_IN) if (needs === undefined || out.includes(needs)) out = out.replace(re, '');
  // Runs of blanks become one space (a lone space is left as it is), then line ends and blank lines go.
  return out.replace(/[ \t]{2,}|\t/g, ' ').replace(/\s+$/gm, '');
}

export function meaningfulHash(screen: string, volatile: string[]): string {
  return createHash('sha1').update(normalise(screen, volatile)).digest('base64url');
}
