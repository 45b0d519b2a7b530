// What counts as a meaningful screen change: the ticking parts are blanked, and the fast path (patterns skipped
// when their text cannot occur, one pass for single glyphs) gives exactly what the plain definition gives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { meaningfulHash, normalise } from '../../src/detect/activity.ts';

/** The definition, one full pass per pattern in order, as normalise() read before it was made fast. */
function plainNormalise(screen: string): string {
  let out = screen;
  for (const re of [
    /[\u2800-\u28FF]/g,
    /[✻✽✶✳✢✺✹✷✸✵✴❋❊·•●○◐◓◑◒◴◷◶◵▖▘▝▗▌▐▀▄█░▒▓⣾⣽⣻⢿⡿⣟⣯⣷|/\\⏺⎿∙⋅*+-]/g,
    /\b\d{1,2}:\d{2}(:\d{2})?(\s?[AaPp][Mm])?\b/g,
    /\b\d+(\.\d+)?\s?(ms|s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?)\b/g,
    /[↑↓]?\s?\d+(\.\d+)?\s?[kKmM]?\s+tokens?\b/g,
  ]) {
    out = out.replace(re, '');
  }
  return out.replace(/[ \t]+/g, ' ').replace(/\s+$/gm, '');
}

test('spinners, clocks, timers and token counters do not make a change; words do', () => {
  const a = '⠋ Thinking… (12s · ↑ 1.2k tokens · esc to interrupt)\n  10:41 build';
  const b = '⠙ Thinking… (13s · ↑ 1.3k tokens · esc to interrupt)\n  10:42 build';
  assert.equal(meaningfulHash(a, []), meaningfulHash(b, []));
  assert.notEqual(meaningfulHash(a, []), meaningfulHash(a.replace('build', 'tests'), []));
  assert.equal(normalise('a \t b  \nc   \n\n\n', []), 'a b\nc');
});

test('normalise() equals the plain pattern-by-pattern definition on any text', () => {
  // Text made of the characters the patterns turn on, so that matches, near misses and overlaps are common.
  const piece = fc.constantFrom(
    ' ', '  ', '\t', '\n', '\n\n', ':', '.', '1', '12', '3', '0', 's', 'ms', 'm', 'min', 'h', 'sec', 'tokens', 'token',
    'k', 'M', '↑', '↓', 'AM', 'pm', '⠋', '✻', '·', '*', '-', '|', '/', 'a', 'b', 'x', '─', '日本',
  );
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 60 }), (parts) => {
      const screen = parts.join('');
      assert.equal(normalise(screen, []), plainNormalise(screen));
    }),
    { numRuns: 3000 },
  );
});
