// Control-mode parser: exact examples plus property tests over random chunking and hostile pane text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ControlParser, type ParserEvent } from '../../src/tmux/parser.ts';

type Item =
  | { kind: 'block'; time: number; number: number; flags: number; ok: boolean; lines: string[] }
  | { kind: 'note'; name: string; args: string }
  | { kind: 'unknown'; line: string };

function serialize(items: Item[]): string {
  let out = '';
  for (const item of items) {
    if (item.kind === 'block') {
      const tail = `${item.time} ${item.number} ${item.flags}`;
      out += `%begin ${tail}\n`;
      for (const line of item.lines) out += `${line}\n`;
      out += `%${item.ok ? 'end' : 'error'} ${tail}\n`;
    } else if (item.kind === 'note') {
      out += `%${item.name}${item.args ? ` ${item.args}` : ''}\n`;
    } else {
      out += `${item.line}\n`;
    }
  }
  return out;
}

function expected(items: Item[]): ParserEvent[] {
  return items.flatMap((item): ParserEvent[] => {
    if (item.kind === 'block') {
      const { time, number, flags, ok, lines } = item;
      return [{ type: 'block', time, number, flags, ok, lines }];
    }
    if (item.kind === 'note') return [{ type: 'notification', name: item.name, args: item.args }];
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

interface Feeder {
  feed(chunk: Buffer): ParserEvent[];
}

function run(parser: Feeder, items: Item[], cuts: number[]): ParserEvent[] {
  return chunks(Buffer.from(serialize(items), 'utf8'), cuts).flatMap((c) => parser.feed(c));
}

const num = fc.integer({ min: 0, max: 2_000_000_000 });
const plainText = fc.string({ unit: fc.constantFrom('a', ' ', '%', 'é', '日', '🙂', '\t', '|', ';', '#', '\r', '0', '1'), maxLength: 12 });

/** Pane text that imitates protocol lines: guards of other blocks, notifications, partial guards. */
function hostileLine(time: number, number: number, flags: number): fc.Arbitrary<string> {
  return fc.oneof(
    plainText.filter((s) => !s.endsWith('\r')),
    fc.constantFrom('%exit', '%sessions-changed', '%output %1 hi', '%begin 1 2 1', `%begin ${time} ${number} ${flags}`, '%end', '%error'),
    fc.tuple(fc.constantFrom('end', 'error'), num, num, fc.integer({ min: 0, max: 1 })).map(([g, t, n, f]) => `%${g} ${t} ${n} ${f}`),
    // Same command, one value off: only an exact match may close the block.
    fc.constantFrom(
      `%end ${time} ${number} ${1 - flags}`,
      `%end ${time} ${number + 1} ${flags}`,
      `%error ${time + 1} ${number} ${flags}`,
      `%end ${time} ${number} ${flags} `,
      ` %end ${time} ${number} ${flags}`,
    ),
  );
}

const block: fc.Arbitrary<Item> = fc
  .record({ time: num, number: num, flags: fc.integer({ min: 0, max: 1 }), ok: fc.boolean() })
  .chain((head) =>
    fc.array(hostileLine(head.time, head.number, head.flags), { maxLength: 6 }).map((lines) => ({ kind: 'block' as const, ...head, lines })),
  );

const note: fc.Arbitrary<Item> = fc.record({
  kind: fc.constant('note' as const),
  name: fc.constantFrom('exit', 'sessions-changed', 'window-add', 'window-close', 'unlinked-window-close', 'session-changed'),
  args: fc.constantFrom('', '@1', '$2 name with spaces', '%end 1 2 1', 'é🙂'),
});

const unknown: fc.Arbitrary<Item> = fc.constantFrom<Item>(
  { kind: 'unknown', line: '%some-future-notification x y' },
  { kind: 'unknown', line: '%config-error whatever' },
);

const stream = fc.array(fc.oneof({ weight: 4, arbitrary: block }, note, unknown), { maxLength: 8 });
const cutPoints = fc.array(fc.nat(), { maxLength: 20 });

test('random chunk boundaries and hostile pane text never desync the parser', () => {
  fc.assert(
    fc.property(stream, cutPoints, (items, cuts) => {
      assert.deepEqual(run(new ControlParser(), items, cuts), expected(items));
    }),
    { numRuns: 2000 },
  );
});

/** The tempting shortcut: close the open block on any %end/%error line. */
class ShortcutParser implements Feeder {
  private partial = '';
  private open: { time: number; number: number; flags: number; lines: string[] } | null = null;
  feed(chunk: Buffer): ParserEvent[] {
    const text = this.partial + chunk.toString('latin1');
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    const events: ParserEvent[] = [];
    for (const raw of parts) {
      const line = Buffer.from(raw, 'latin1').toString('utf8');
      const m = /^%(begin|end|error) (\d+) (\d+) (\d+)$/.exec(line);
      if (this.open && m && m[1] !== 'begin') {
        events.push({ type: 'block', ...this.open, ok: m[1] === 'end' });
        this.open = null;
      } else if (this.open) this.open.lines.push(line);
      else if (m) this.open = { time: Number(m[2]), number: Number(m[3]), flags: Number(m[4]), lines: [] };
      else if (line.startsWith('%exit') || line.startsWith('%s') || line.startsWith('%w') || line.startsWith('%u'))
        events.push({ type: 'notification', name: line.slice(1).split(' ')[0]!, args: line.split(' ').slice(1).join(' ') });
    }
    return events;
  }
}

test('the property finds the desync of a parser that closes a block on any %end', () => {
  const result = fc.check(
    fc.property(stream, cutPoints, (items, cuts) => {
      assert.deepEqual(run(new ShortcutParser(), items, cuts), expected(items));
    }),
    { numRuns: 2000 },
  );
  assert.equal(result.failed, true, 'the shortcut parser should have been caught');
});

test('pane text that looks like %end and %exit comes back verbatim inside its block', () => {
  const parser = new ControlParser();
  const events = parser.feed(
    '%begin 1700000000 12 1\nhello\n%end 1700000000 999 1\n%exit\n%begin 1 1 1\n%end 1700000000 12 1\n%sessions-changed\n',
  );
  assert.deepEqual(events, [
    { type: 'block', time: 1700000000, number: 12, flags: 1, ok: true, lines: ['hello', '%end 1700000000 999 1', '%exit', '%begin 1 1 1'] },
    { type: 'notification', name: 'sessions-changed', args: '' },
  ]);
});

test('a multi-byte character split across chunks is decoded once, whole', () => {
  const parser = new ControlParser();
  const bytes = Buffer.from('%begin 5 6 1\n日本🙂\n%error 5 6 1\n', 'utf8');
  const events = [...bytes].flatMap((b) => parser.feed(Buffer.from([b])));
  assert.deepEqual(events, [{ type: 'block', time: 5, number: 6, flags: 1, ok: false, lines: ['日本🙂'] }]);
});

test('CRLF line endings are accepted for guards, notifications and output', () => {
  const parser = new ControlParser();
  const events = parser.feed('%begin 1 2 1\r\nline\r\n%end 1 2 1\r\n%window-add @3\r\n');
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
