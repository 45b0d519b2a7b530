// What counts as the screen really changing: spinners, clocks, elapsed timers and token counters tick on
// their own and are blanked before two screens are compared, so they neither reset "quiet" nor hide "stuck".
import { createHash } from 'node:crypto';
import { compile } from './regex.ts';

const BUILT_IN: RegExp[] = [
  /[\u2800-\u28FF]/g, // braille spinners (⠋⠙⠹ …)
  /[✻✽✶✳✢✺✹✷✸✵✴❋❊·•●○◐◓◑◒◴◷◶◵▖▘▝▗▌▐▀▄█░▒▓⣾⣽⣻⢿⡿⣟⣯⣷|/\\⏺⎿∙⋅*+-]/g, // spinner and pulse glyphs
  /\b\d{1,2}:\d{2}(:\d{2})?(\s?[AaPp][Mm])?\b/g, // clocks
  /\b\d+(\.\d+)?\s?(ms|s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?)\b/g, // elapsed time: 12s, 1m 3s
  /[↑↓]?\s?\d+(\.\d+)?\s?[kKmM]?\s+tokens?\b/g, // token counters
];

export function normalise(screen: string, volatile: string[]): string {
  let out = screen;
  for (const pattern of volatile) out = out.replace(compile(pattern, 'gmu'), '');
  for (const re of BUILT_IN) out = out.replace(re, '');
  return out.replace(/[ \t]+/g, ' ').replace(/\s+$/gm, '');
}

export function meaningfulHash(screen: string, volatile: string[]): string {
  return createHash('sha1').update(normalise(screen, volatile)).digest('base64url');
}
