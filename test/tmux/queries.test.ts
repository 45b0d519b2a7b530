// The list query's record layout: summaries for every pane, details for the selected ones, parsed strictly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toControlLine } from '../../src/tmux/command.ts';
import { PaneListParseError, paneListQuery, parsePaneList } from '../../src/tmux/queries.ts';

const SEP = 'a1b2c3d4e5f6';
const numbers = (pane: number) => `4242 $1 @${pane} ${pane} 0 ${1000 + pane}  120 40 1 `;
const detailed = (pane: number, texts: [string, string, string, string]) =>
  `${SEP}%${pane} 1700000000 0${SEP}${numbers(pane)}${SEP}${texts.join(SEP)}${SEP}`;
const summaryOnly = (pane: number, dead = false) => `${SEP}%${pane} 1700000001 ${dead ? 1 : 0}${SEP}`;

test('a list mixes summary-only and detailed records; texts may hold newlines, tabs and the look of a record end', () => {
  const out = [detailed(1, ['main', 'w\tone', 'title\nwith a line break', 'claude']), summaryOnly(2), detailed(3, ['s', '\n', '', 'bash'])].join('\n');
  const panes = parsePaneList(out, SEP, '/sock');
  assert.deepEqual(
    panes.map((p) => [p.summary.paneId, p.detail?.windowName ?? null, p.detail?.title ?? null]),
    [
      ['%1', 'w\tone', 'title\nwith a line break'],
      ['%2', null, null],
      ['%3', '\n', ''],
    ],
  );
  const first = panes[0]!.detail!;
  assert.equal(first.serverPid, 4242);
  assert.equal(first.sessionId, '$1');
  assert.equal(first.windowId, '@1');
  assert.equal(first.panePid, 1001);
  assert.equal(first.deadStatus, null);
  assert.equal(first.deadSignal, null);
  assert.equal(first.currentCommand, 'claude');
  assert.equal(first.windowActivity, 1700000000);
  assert.equal(first.active, true);
  assert.equal(panes[1]!.summary.windowActivity, 1700000001);
});

test('a malformed list is refused, not half-read', () => {
  assert.throws(() => parsePaneList(`${SEP}%1 17 0${SEP}${numbers(1)}${SEP}only two${SEP}texts${SEP}`, SEP, '/s'), PaneListParseError);
  assert.throws(() => parsePaneList(`${SEP}@1 17 0${SEP}`, SEP, '/s'), PaneListParseError);
  assert.throws(() => parsePaneList(`junk${SEP}%1 17 0${SEP}`, SEP, '/s'), PaneListParseError);
  assert.throws(() => parsePaneList(`${SEP}%1 17 0 extra${SEP}`, SEP, '/s'), PaneListParseError);
});

test('the selection is built from integers only, and every query has its own separator', () => {
  const a = paneListQuery({ activeSince: 1700000000, bucket: 2, buckets: 5 });
  const b = paneListQuery(null);
  assert.notEqual(a.separator, b.separator);
  const line = toControlLine(a.command);
  assert.match(line, /#\{e\|>=:#\{window_activity\},1700000000\}/);
  assert.match(line, /#\{e\|%:#\{e\|\+:#\{window_index\},#\{pane_index\}\},5\},2\}/);
  assert.doesNotMatch(toControlLine(b.command), /#\{\?/);
  assert.throws(() => paneListQuery({ activeSince: -1, bucket: 0, buckets: 5 }));
  assert.throws(() => paneListQuery({ activeSince: 1, bucket: 5, buckets: 5 }));
  assert.throws(() => paneListQuery({ activeSince: 1.5, bucket: 0, buckets: 5 }));
});
