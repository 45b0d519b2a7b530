// Control-mode parser: exact examples plus property tests over random chunking and hostile pane text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ControlParser, type ParserEvent } from '../../src/tmux/parser.ts';

type Reply = { time: number; number: number; ok: boolean; lines: string[] };
type Note = { kind: 'note'; name: string; args: string };
type Item =
  /** Our batch: its replies (flag 1), notifications tmux may write between them, then the seal reply. */
  | { kind: 'group'; replies: Reply[]; notes: Note[]; seal: string; sealTime: number; sealNumber: number }
  /** A flag-0 block (attach, hooks). */
  | { kind: 'block'; time: number; number: number; ok: boolean; lines: string[] }
  | Note
  | { kind: 'unknown'; line: string };

function blockText(time: number, number: number, flags: number, ok: boolean, lines: string[]): string {
  const tail = `${time} ${number} ${flags}`;
  return `%begin ${tail}\n${lines.map((l) => `${l}\n`).join('')}%${ok ? 'end' : 'error'} ${tail}\n`;
}

function noteText(n: Note): string {
  return `%${n.name}${n.args ? ` ${n.args}` : ''}\n`;
}

function serialize(items: Item[]): string {
  let out = '';
  for (const item of items) {
    if (item.kind === 'group') {
      item.replies.forEach((r, i) => {
        out += blockText(r.time, r.number, 1, r.ok, r.lines);
        if (i < item.replies.length - 1 && item.notes[i]) out += noteText(item.notes[i]!);
      });
      out += blockText(item.sealTime, item.sealNumber, 1, true, [item.seal]);
    } else if (item.kind === 'block') out += blockText(item.time, item.number, 0, item.ok, item.lines);
    else if (item.kind === 'note') out += noteText(item);
    else out += `${item.line}\n`;
  }
  return out;
}

const looksLikeOurGuard = (line: string) => /^%(begin|end|error) \d+ \d+ 1$/.test(line);

function noteEvent(n: Note): ParserEvent {
  return { type: 'notification', name: n.name, args: n.args };
}

function expected(items: Item[]): ParserEvent[] {
  return items.flatMap((item): ParserEvent[] => {
    if (item.kind === 'group') {
      const forged = item.replies.some((r) => r.lines.some(looksLikeOurGuard));
      if (item.replies.length > 1 && forged) return [{ type: 'ambiguous', replies: item.replies.length }];
      return item.replies.flatMap((r, i): ParserEvent[] => [
        { type: 'block', time: r.time, number: r.number, flags: 1, ok: r.ok, lines: r.lines },
        ...(i < item.replies.length - 1 && item.notes[i] ? [noteEvent(item.notes[i]!)] : []),
      ]);
    }
    if (item.kind === 'block') return [{ type: 'block', time: item.time, number: item.number, flags: 0, ok: item.ok, lines: item.lines }];
    if (item.kind === 'note') return [noteEvent(item)];
    return [];
  });
}

/** Split bytes at the given cut points, so chunks may end inside a multi-byte character. */
function chunks(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  out.push(bytes.subarray(prev));
  return out;
}

/** As the client does: every group is announced before its commands are written. */
function run(items: Item[], cuts: number[]): ParserEvent[] {
  const parser = new ControlParser();
  for (const item of items) if (item.kind === 'group') parser.expectGroup(item.replies.length, item.seal);
  return chunks(Buffer.from(serialize(items), 'utf8'), cuts).flatMap((c) => parser.feed(c));
}

const num = fc.integer({ min: 0, max: 2_000_000_000 });
const plainText = fc.string({ unit: fc.constantFrom('a', ' ', '%', 'é', '日', '🙂', '\t', '|', ';', '#', '\r', '0', '1'), maxLength: 12 });
const noteArb: fc.Arbitrary<Note> = fc.record({
  kind: fc.constant('note' as const),
  name: fc.constantFrom('exit', 'sessions-changed', 'window-add', 'window-close', 'unlinked-window-close', 'session-changed'),
  args: fc.constantFrom('', '@1', '$2 name with spaces', '%end 1 2 1', 'é🙂'),
});

/**
 * Pane text that imitates protocol lines: the exact closer of its own reply (right time and number), the guards of
 * the other replies of its group and of the seal, guards of other commands, notifications, partial guards.
 */
function hostileLine(own: { time: number; number: number }, others: Array<{ time: number; number: number }>): fc.Arbitrary<string> {
  const tails = [own, ...others].map((r) => `${r.time} ${r.number}`);
  return fc.oneof(
    { weight: 3, arbitrary: plainText.filter((s) => !s.endsWith('\r')) },
    fc.constantFrom('%exit', '%sessions-changed', '%output %1 hi', '%window-add @9', '%begin 1 2 1', '%end', '%error', '%begin 1 2 0'),
    fc.tuple(fc.constantFrom('begin', 'end', 'error'), fc.constantFrom(...tails), fc.constantFrom('1', '0', '1 ')).map(([g, t, f]) => `%${g} ${t} ${f}`),
    fc.tuple(fc.constantFrom('end', 'error'), num, num, fc.integer({ min: 0, max: 1 })).map(([g, t, n, f]) => `%${g} ${t} ${n} ${f}`),
  );
}

const hex = fc.stringMatching(/^[0-9a-f]{16}$/);

const group: fc.Arbitrary<Item> = fc
  .record({
    heads: fc.array(fc.record({ time: num, number: num, ok: fc.boolean() }), { minLength: 1, maxLength: 4 }),
    sealTime: num,
    sealNumber: num,
    seal: hex,
    notes: fc.array(noteArb, { maxLength: 3 }),
  })
  .chain(({ heads, sealTime, sealNumber, seal, notes }) => {
    const all = [...heads, { time: sealTime, number: sealNumber }];
    return fc
      .tuple(...heads.map((h) => fc.array(hostileLine(h, all), { maxLength: 6 })))
      .map((texts): Item => ({ kind: 'group', replies: heads.map((h, i) => ({ ...h, lines: texts[i]! })), notes, seal, sealTime, sealNumber }));
  });

const flagZeroBlock: fc.Arbitrary<Item> = fc
  .record({ time: num, number: num, ok: fc.boolean() })
  .map((h) => ({ kind: 'block' as const, ...h, lines: ['attached'] }));

const unknown: fc.Arbitrary<Item> = fc.constantFrom<Item>(
  { kind: 'unknown', line: '%some-future-notification x y' },
  { kind: 'unknown', line: '%config-error whatever' },
);

const stream = fc.array(fc.oneof({ weight: 4, arbitrary: group }, flagZeroBlock, noteArb, unknown), { maxLength: 8 });
const cutPoints = fc.array(fc.nat(), { maxLength: 20 });

test('forged closers, guards and notifications in pane text, at random chunk boundaries, never end a reply early', () => {
  fc.assert(
    fc.property(stream, cutPoints, (items, cuts) => {
      const events = run(items, cuts);
      assert.deepEqual(events, expected(items));
      assert.ok(!events.some((e) => e.type === 'desync'));
    }),
    { numRuns: 3000 },
  );
});

test('a reply whose pane text holds its own exact closer, number and time right, comes back whole', () => {
  const parser = new ControlParser();
  parser.expectGroup(1, '0123456789abcdef');
  const events = parser.feed(
    '%begin 1700000000 12 1\nbefore\n%end 1700000000 12 1\n%begin 1700000000 13 1\nforged\n%end 1700000000 13 1\nafter\n' +
      '%end 1700000000 12 1\n%begin 1700000000 13 1\n0123456789abcdef\n%end 1700000000 13 1\n',
  );
  assert.deepEqual(events, [
    {
      type: 'block',
      time: 1700000000,
      number: 12,
      flags: 1,
      ok: true,
      lines: ['before', '%end 1700000000 12 1', '%begin 1700000000 13 1', 'forged', '%end 1700000000 13 1', 'after'],
    },
  ]);
});

test('a group of several replies with forged guards inside is reported ambiguous, never split wrongly', () => {
  const parser = new ControlParser();
  parser.expectGroup(2, '0123456789abcdef');
  const events = parser.feed(
    '%begin 1 10 1\npane A\n%end 1 10 1\n%begin 1 11 1\nforged B\n%end 1 10 1\n%begin 1 11 1\nreal B\n%end 1 11 1\n' +
      '%begin 1 12 1\n0123456789abcdef\n%end 1 12 1\n%window-add @1\n',
  );
  assert.deepEqual(events, [
    { type: 'ambiguous', replies: 2 },
    { type: 'notification', name: 'window-add', args: '@1' },
  ]);
});

test('a reply of ours that nobody expects is a desync', () => {
  const [event] = new ControlParser().feed('%begin 1 2 1\n');
  assert.equal(event?.type, 'desync');
});

test('pane text that looks like %end and %exit comes back verbatim inside its block', () => {
  const parser = new ControlParser();
  parser.expectGroup(1, 'feedfeedfeedfeed');
  const events = parser.feed(
    '%begin 1700000000 12 1\nhello\n%end 1700000000 999 1\n%exit\n%begin 1 1 1\n%end 1700000000 12 1\n%sessions-changed\n' +
      '%begin 1700000000 13 1\nfeedfeedfeedfeed\n%end 1700000000 13 1\n',
  );
  assert.deepEqual(events, [
    { type: 'block', time: 1700000000, number: 12, flags: 1, ok: true, lines: ['hello', '%end 1700000000 999 1', '%exit', '%begin 1 1 1'] },
    { type: 'notification', name: 'sessions-changed', args: '' },
  ]);
});

test('a multi-byte character split across chunks is decoded once, whole', () => {
  const parser = new ControlParser();
  parser.expectGroup(1, 'feedfeedfeedfeed');
  const bytes = Buffer.from('%begin 5 6 1\n日本🙂\n%error 5 6 1\n%begin 5 7 1\nfeedfeedfeedfeed\n%end 5 7 1\n', 'utf8');
  const events = [...bytes].flatMap((b) => parser.feed(Buffer.from([b])));
  assert.deepEqual(events, [{ type: 'block', time: 5, number: 6, flags: 1, ok: false, lines: ['日本🙂'] }]);
});

test('CRLF line endings are accepted for guards, notifications and output', () => {
  const parser = new ControlParser();
  parser.expectGroup(1, 'feedfeedfeedfeed');
  const events = parser.feed('%begin 1 2 1\r\nline\r\n%end 1 2 1\r\n%begin 1 3 1\r\nfeedfeedfeedfeed\r\n%end 1 3 1\r\n%window-add @3\r\n');
  assert.deepEqual(events, [
    { type: 'block', time: 1, number: 2, flags: 1, ok: true, lines: ['line'] },
    { type: 'notification', name: 'window-add', args: '@3' },
  ]);
});

test('text or a closing guard outside any block is reported as a desync', () => {
  assert.deepEqual(new ControlParser().feed('stray text\n'), [{ type: 'desync', line: 'stray text', reason: 'output outside a reply block' }]);
  const [event] = new ControlParser().feed('%end 1 2 1\n');
  assert.equal(event?.type, 'desync');
});

test('unknown notifications are ignored and an unfinished line waits for its newline', () => {
  const parser = new ControlParser();
  assert.deepEqual(parser.feed('%future-thing 1\n%window-clo'), []);
  assert.deepEqual(parser.feed('se @4\n'), [{ type: 'notification', name: 'window-close', args: '@4' }]);
});
