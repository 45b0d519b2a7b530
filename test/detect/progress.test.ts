// The activity measure: text appended (lines scrolling in, a screen or region filling, a line written on) is work;
// a redraw in place (a cursor, a rotating placeholder or tip, an animated logo, a clock) is not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDetector } from '../../src/detect/index.ts';
import { meaningfulHash } from '../../src/detect/activity.ts';
import { progressOf, screenLines } from '../../src/detect/progress.ts';
import { pane, tree } from './helpers.ts';

const T0 = Date.parse('2025-03-01T12:00:00Z');

function judge(before: string, after: string, recent = new Map<string, number>()) {
  return progressOf(screenLines(before), screenLines(after), meaningfulHash(after, []), recent, T0, []);
}

const dates = (from: number, n: number) => Array.from({ length: n }, (_, i) => `Sun Dec  6 01:${String(from + i).padStart(2, '0')}:00 UTC 2026`).join('\n');

test('lines scrolling in are work, even when they differ only in a clock', () => {
  const r = judge(dates(0, 24), dates(1, 24));
  assert.equal(r.work, true, r.why);
  assert.match(r.why, /scrolled in/);
});

test('lines written below the last one on a screen not yet full are work', () => {
  assert.equal(judge('$ make\ncc -c a.c', '$ make\ncc -c a.c\ncc -c b.c').work, true);
});

test('a TUI transcript growing between a fixed header and input box is work; its placeholder rotating is not', () => {
  const frame = (body: string[], placeholder: string) =>
    ['  Agent v1.0  model: gpt-5', '', ...body, '', '╭──────────────────────────╮', `│ > ${placeholder}`, '╰──────────────────────────╯', '  ? for help'].join('\n');
  const grown = judge(frame(['you: hi', 'agent: Hello, I am'], 'Ask anything'), frame(['you: hi', 'agent: Hello, I am here to help.'], 'Ask anything'));
  assert.equal(grown.work, true, grown.why);
  const rotated = judge(frame(['you: hi'], 'Ask anything'), frame(['you: hi'], 'Try "fix the build"'));
  assert.equal(rotated.work, false, rotated.why);
});

test('a clock or spinner redrawn in place is not work, and a screen coming back to a recent look is a redraw', () => {
  assert.equal(judge('Every 1.0s: date\n\nSun Dec 6 01:00:00', 'Every 1.0s: date\n\nSun Dec 6 01:00:01').work, false);
  assert.equal(judge('⠋ Loading', '⠙ Loading').work, false);
  const logoA = '  *    \n Agent \n  > ';
  const logoB = '  * *  \n Agent \n  > ';
  const recent = new Map([[meaningfulHash(logoB, []), T0 - 10_000]]);
  assert.equal(judge(logoA, logoB, recent).work, false, 'an animation frame seen in the last minute');
});

test('a program printing a line every 0.5 s stays working; a rotating placeholder goes idle and stays there', () => {
  const detector = createDetector({ processes: () => [{ pid: 4242, ppid: 1, comm: 'sh', argv: ['sh', '-c', 'loop'] }] });
  const printing: string[] = [];
  const rotating: string[] = [];
  const tips = ['Ask anything', 'Try "explain this repo"', 'Try "/help"'];
  const tui = (i: number) => `  Agent v1  model: gpt-5\n\n╭────────────────────╮\n│ > ${tips[i % 3]}\n╰────────────────────╯`;
  const agentTree = tree(['node', '/opt/tui-agent/cli.js']);
  const tuiDetector = createDetector({ processes: () => agentTree });
  for (let s = 0; s < 120; s++) {
    const now = T0 + s * 500;
    printing.push(detector.classify({ id: 'p', pane: pane({ currentCommand: 'sh' }), screen: dates(s, 24), screenChangedAt: now, now }).state);
    const tipAt = T0 + Math.floor(s / 6) * 3000; // a new tip every 3 s
    rotating.push(tuiDetector.classify({ id: 't', pane: pane({ currentCommand: 'node' }), screen: tui(Math.floor(s / 6)), screenChangedAt: tipAt, now }).state);
  }
  assert.deepEqual([...new Set(printing.slice(4))], ['working'], printing.join(' '));
  assert.equal(tuiDetector.explain('t')?.kind, 'agent');
  assert.deepEqual([...new Set(rotating)], ['idle'], rotating.join(' '));
});
