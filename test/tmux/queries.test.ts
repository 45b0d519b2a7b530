// The list query's record layout: summaries for every pane, details for the selected ones, parsed strictly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TrustedFormat, toControlLine } from '../../src/tmux/command.ts';
import { PaneListParseError, activeListQueries, paneBucketQuery, paneDetailQuery, paneListQuery, parsePaneIds, parsePaneList } from '../../src/tmux/queries.ts';

const SEP = 'a1b2c3d4e5f6';
const numbers = (pane: number) => `4242 $1 @${pane} ${pane} 0 ${1000 + pane}  120 40 1 `;
const detailed = (pane: number, texts: [string, string, string, string]) =>
  `%${pane} 1700000000 0${SEP}${numbers(pane)}${SEP}${texts.join(SEP)}${SEP}`;
const summaryOnly = (pane: number, dead = false) => `%${pane} 1700000001 ${dead ? 1 : 0}`;

test('a list mixes summary-only and detailed records; texts may hold newlines, tabs and the look of a record', () => {
  const out = [
    summaryOnly(0),
    detailed(1, ['main', 'w\tone', 'title\nwith a line break\n%9 17 0', 'claude']),
    summaryOnly(2),
    summaryOnly(4, true),
    detailed(3, ['s', '\n', '', 'bash']),
    detailed(5, ['s', 'w', 't', 'sleep']),
    summaryOnly(6),
  ].join('\n');
  const panes = parsePaneList(out, SEP, '/sock');
  assert.deepEqual(
    panes.map((p) => [p.summary.paneId, p.summary.dead, p.detail?.windowName ?? null, p.detail?.title ?? null]),
    [
      ['%0', false, null, null],
      ['%1', false, 'w\tone', 'title\nwith a line break\n%9 17 0'],
      ['%2', false, null, null],
      ['%4', true, null, null],
      ['%3', false, '\n', ''],
      ['%5', false, 'w', 't'],
      ['%6', false, null, null],
    ],
  );
  const first = panes[1]!.detail!;
  assert.equal(first.serverPid, 4242);
  assert.equal(first.sessionId, '$1');
  assert.equal(first.windowId, '@1');
  assert.equal(first.panePid, 1001);
  assert.equal(first.deadStatus, null);
  assert.equal(first.deadSignal, null);
  assert.equal(first.currentCommand, 'claude');
  assert.equal(first.windowActivity, 1700000000);
  assert.equal(first.active, true);
  assert.equal(panes[0]!.summary.windowActivity, 1700000001);
  // A list that ends with a detailed record, and one with details only.
  assert.equal(parsePaneList([summaryOnly(2), detailed(3, ['s', 'w', 't', 'c'])].join('\n'), SEP, '/s').length, 2);
  assert.equal(parsePaneList([detailed(1, ['s', 'w', 't', 'c']), detailed(2, ['s', 'w', 't', 'c'])].join('\n'), SEP, '/s').length, 2);
});

test("an output list gives the selected panes only pid, title and command, texts as they are", () => {
  const output = (pane: number, title: string, cmd: string) => `%${pane} 1700000000 0${SEP}${1000 + pane} ${pane} 0${SEP}${title}${SEP}${cmd}${SEP}`;
  const out = [summaryOnly(0), output(1, 'a title\n%2 17 0', 'claude'), summaryOnly(2), output(3, '', 'bash')].join('\n');
  const panes = parsePaneList(out, SEP, '/s', { record: 'output' });
  assert.deepEqual(
    panes.map((p) => [p.summary.paneId, p.detail, p.output ?? null]),
    [
      ['%0', null, null],
      ['%1', null, { panePid: 1001, windowIndex: 1, paneIndex: 0, title: 'a title\n%2 17 0', currentCommand: 'claude' }],
      ['%2', null, null],
      ['%3', null, { panePid: 1003, windowIndex: 3, paneIndex: 0, title: '', currentCommand: 'bash' }],
    ],
  );
  assert.throws(() => parsePaneList(out, SEP, '/s'), PaneListParseError, 'read as full records, the separators do not add up');
  assert.throws(() => parsePaneList(detailed(1, ['s', 'w', 't', 'c']), SEP, '/s', { record: 'output' }), PaneListParseError);
  const line = toControlLine(activeListQueries(1700000000).active.command);
  assert.match(line, /#\{pane_pid\} #\{window_index\} #\{pane_index\}[0-9a-f]{12}#\{pane_title\}[0-9a-f]{12}#\{pane_current_command\}/);
  assert.throws(() => parsePaneList(`%1 17 0${SEP}1001 1${SEP}t${SEP}c${SEP}`, SEP, '/s', { record: 'output' }), PaneListParseError);
  assert.doesNotMatch(line, /session_name|window_name|pane_width/);
});

test('a malformed list is refused, not half-read', () => {
  assert.throws(() => parsePaneList(`%1 17 0${SEP}${numbers(1)}${SEP}only two${SEP}texts${SEP}`, SEP, '/s'), PaneListParseError);
  assert.throws(() => parsePaneList(`@1 17 0`, SEP, '/s'), PaneListParseError);
  assert.throws(() => parsePaneList(`${SEP}${numbers(1)}${SEP}s${SEP}w${SEP}t${SEP}c${SEP}`, SEP, '/s'), PaneListParseError);
  assert.throws(() => parsePaneList(`%1 17 0 extra`, SEP, '/s'), PaneListParseError);
  assert.throws(() => parsePaneList(`${detailed(1, ['s', 'w', 't', 'c'])}junk`, SEP, '/s'), PaneListParseError);
  assert.throws(() => parsePaneList(`%1 17 0${SEP}1 2 3${SEP}s${SEP}w${SEP}t${SEP}c${SEP}`, SEP, '/s'), PaneListParseError);
});

test('the selection is built from digits only, and every query has its own separator', () => {
  assert.notEqual(paneListQuery().separator, paneListQuery().separator);
  assert.doesNotMatch(toControlLine(paneListQuery().command), /#\{\?/, 'a full list asks every pane everything');
  const then = TrustedFormat.literal`#{pane_id}`;
  const both = TrustedFormat.forSelectedPanes({ activeSince: 1700000000, idSuffix: '7' }, then).text;
  assert.equal(both, '#{?#{||:#{e|>=:#{window_activity},1700000000},#{m:*7,#{pane_id}}},#{pane_id},}');
  assert.equal(TrustedFormat.forSelectedPanes({ idSuffix: '3' }, then).text, '#{?#{m:*3,#{pane_id}},#{pane_id},}');
  assert.equal(
    TrustedFormat.paneFilter({ activeSince: 17, idSuffix: '3', dead: true }).text,
    '#{||:#{e|>=:#{window_activity},17},#{||:#{m:*3,#{pane_id}},#{pane_dead}}}',
    "tmux's || takes two operands: more are nested",
  );
  assert.match(toControlLine(paneDetailQuery('%12').command), /^display-message -p -t '%12' /);
  assert.throws(() => paneDetailQuery('@1'));
  assert.throws(() => TrustedFormat.paneFilter({ activeSince: -1, idSuffix: '0' }));
  assert.throws(() => TrustedFormat.paneFilter({ activeSince: 1, idSuffix: '*' }));
  assert.throws(() => TrustedFormat.paneFilter({ activeSince: 1.5 }));
  assert.throws(() => TrustedFormat.paneFilter({ dead: true }), /activeSince or idSuffix/);
  assert.throws(() => TrustedFormat.forSelectedPanes({ idSuffix: '1' }, TrustedFormat.literal`a,b`), /comma/);
});

test('a bucket list prints only the selected panes, one blank line for each other; blank lines are accepted only there', () => {
  const line = toControlLine(paneBucketQuery('3').command);
  assert.match(line, /^list-panes -a -F '#\{\?#\{m:\*3,#\{pane_id\}\},#\{pane_id\} /, 'the whole record sits inside the condition');
  assert.doesNotMatch(line, /window_activity\},\d/);
  const out = ['', detailed(3, ['s', 'w\n', 't', 'c']), '', '', detailed(13, ['s', 'w', '', 'c']), '', ''].join('\n');
  const panes = parsePaneList(out, SEP, '/s', { blankLines: true });
  assert.deepEqual(
    panes.map((p) => [p.summary.paneId, p.detail?.windowName]),
    [
      ['%3', 'w\n'],
      ['%13', 'w'],
    ],
  );
  assert.deepEqual(parsePaneList('\n\n\n', SEP, '/s', { blankLines: true }), [], 'no pane in the bucket');
  assert.throws(() => parsePaneList(out, SEP, '/s'), PaneListParseError, 'a regular list has no blank lines');
});

test("the cycle's list asks every pane its id and, filtered by tmux, the active or dead panes their output record", () => {
  const { ids, active } = activeListQueries(1700000000);
  assert.equal(toControlLine(ids), "list-panes -a -F '#{pane_id}'");
  const line = toControlLine(active.command);
  assert.match(line, /^list-panes -a -f '#\{\|\|:#\{e\|>=:#\{window_activity\},1700000000\},#\{pane_dead\}\}' -F '#\{pane_id\} /);
  assert.doesNotMatch(line, /#\{\?/, 'tmux filters the panes: no per-pane conditional');
  assert.equal(active.record, 'output');
  assert.notEqual(activeListQueries(1700000000).active.separator, active.separator);
  assert.throws(() => activeListQueries(-1));
  assert.deepEqual(parsePaneIds('%1\n%20\n%3'), ['%1', '%20', '%3']);
  assert.deepEqual(parsePaneIds(''), []);
  assert.throws(() => parsePaneIds('%1\n@2'), PaneListParseError);
  assert.throws(() => parsePaneIds('%1\n'), PaneListParseError, 'a blank line is not a pane');
});
