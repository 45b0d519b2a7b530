// The rule engine and profile handling: priorities, regions, validation, override directories, reload.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classifyScreen, createDetector, loadProfiles, parseResetTime, redact } from '../../src/detect/index.ts';
import { CLAUDE_TREE, claudeScreen, pane, tree } from './helpers.ts';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'paneward-profiles-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const PROGRAM_TREE = [{ pid: 4242, ppid: 1, comm: 'deploy', argv: ['./deploy'] }];

function programRule(id: string, priority: number, pattern: string, state: string, extra: object = {}): object {
  return { id, priority, region: 'bottom', lines: 3, pattern, state, confidence: 0.8, ...extra };
}

test('the highest-priority matching rule wins and the trace lists the rules it outranked', (t) => {
  const dir = tempDir(t);
  writeFileSync(
    join(dir, 'program.json'),
    JSON.stringify({
      kind: 'program',
      rules: [programRule('t.low', 10, 'deploy', 'working'), programRule('t.high', 90, 'Continue\\?', 'waiting'), programRule('t.none', 99, 'nomatch', 'error')],
    }),
  );
  const detector = createDetector({ profileDirs: [dir], processes: () => PROGRAM_TREE });
  const c = detector.classify({ id: 'a', pane: pane({ currentCommand: 'deploy' }), screen: 'deploy to prod\nContinue? ', screenChangedAt: 0, now: 1000 });
  assert.equal(c.state, 'waiting');
  assert.equal(c.detail.rule, 't.high');
  const trace = detector.explain('a')!;
  assert.deepEqual(trace.matched.slice(0, 2), ['t.high', 't.low']);
  assert.equal(trace.rules.find((r) => r.id === 't.none')?.matched, false);
  assert.match(trace.decision, /outranked t\.low \(10\)/);
  assert.deepEqual(JSON.parse(JSON.stringify(trace)), trace);
});

test('"esc to interrupt" quoted in the output does not make an idle Claude working', () => {
  const quoted = claudeScreen({ output: ['> what does the spinner say?', '', '⏺ It says "✻ Thinking… (esc to interrupt)" while busy.'] });
  assert.equal(classifyScreen(quoted, { kind: 'claude-code' }).state, 'idle');
  const busy = claudeScreen({ status: '✻ Thinking… (12s · ↑ 1.2k tokens · esc to interrupt)' });
  const r = classifyScreen(busy, { kind: 'claude-code' });
  assert.equal(r.state, 'working');
  assert.equal(r.detail.rule, 'claude.working');
  assert.match(r.detail.evidence, /Thinking/);
});

test('the input-box regions tell typed text from an empty prompt and ignore the status bar', () => {
  const typed = classifyScreen(claudeScreen({ input: 'refactor the parser', below: '  ⏵⏵ bypass permissions on (shift+tab to cycle)' }), { kind: 'claude-code' });
  assert.equal(typed.state, 'unsubmitted');
  const empty = classifyScreen(claudeScreen({ below: '  ⏵⏵ bypass permissions on (shift+tab to cycle)' }), { kind: 'claude-code' });
  assert.equal(empty.state, 'idle');
});

test('a permission dialog is waiting; the same words quoted above an input box are not', () => {
  const dialog = [
    '⏺ Bash(touch standin-was-here.txt)',
    '',
    '╭────────────────────────────────────────╮',
    '│ Bash command                           │',
    '│   touch standin-was-here.txt           │',
    '│ Do you want to proceed?                │',
    '│ ❯ 1. Yes                               │',
    '│   2. No, and tell Claude what to do    │',
    '╰────────────────────────────────────────╯',
  ].join('\n');
  assert.equal(classifyScreen(dialog, { kind: 'claude-code' }).state, 'waiting');
  const quoted = claudeScreen({ output: ['⏺ The dialog asks "Do you want to proceed?" with ❯ 1. Yes'] });
  assert.equal(classifyScreen(quoted, { kind: 'claude-code' }).state, 'idle');
});

test('a rate-limit line carries the reset time as ISO', () => {
  const now = Date.parse('2025-01-01T10:00:00Z');
  assert.equal(parseResetTime('Claude usage limit reached. Your limit will reset at 3pm (UTC).', now), '2025-01-01T15:00:00.000Z');
  assert.equal(parseResetTime('5-hour limit reached ∙ resets 9am (Europe/Berlin)', now), '2025-01-02T08:00:00.000Z');
  assert.equal(parseResetTime('try again in 2 hours 5 minutes', now), '2025-01-01T12:05:00.000Z');
  assert.equal(parseResetTime('Retrying in 8.0 seconds...', now), '2025-01-01T10:00:08.000Z');
  assert.equal(parseResetTime('resets at 2025-01-01T11:30:00Z', now), '2025-01-01T11:30:00.000Z');
  assert.equal(parseResetTime('rate limited, no time given', now), undefined);
  const r = classifyScreen(claudeScreen({ output: ['⏺ Claude usage limit reached. Your limit will reset at 3pm (UTC).'] }), { kind: 'claude-code' });
  assert.equal(r.state, 'rate_limited');
  assert.match(r.detail.resetsAt ?? '', /^\d{4}-\d\d-\d\dT15:00:00\.000Z$/);
});

test('evidence is redacted: API keys, bearer tokens and passwords never leave detection', () => {
  assert.equal(redact('key sk-ant-api03-abcdefghijklmnop1234 used'), 'key sk-[redacted] used');
  assert.equal(redact('Authorization: Bearer abc.def.ghi123'), 'Authorization: Bearer [redacted]');
  assert.equal(redact('mysql -u root password=hunter22 db'), 'mysql -u root password=[redacted] db');
  const r = classifyScreen(claudeScreen({ output: ['⏺ API Error: 401 Invalid API key sk-ant-api03-SECRETSECRET1234'] }), { kind: 'claude-code' });
  assert.equal(r.state, 'error');
  assert.doesNotMatch(r.detail.evidence, /SECRETSECRET/);
});

test('a bad profile is rejected with the file and rule named; the previous good set stays active', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'program.json');
  writeFileSync(file, JSON.stringify({ kind: 'program', rules: [programRule('t.ask', 90, 'Continue\\?', 'waiting')] }));
  const logs: string[] = [];
  const detector = createDetector({ profileDirs: [dir], processes: () => PROGRAM_TREE, log: (m, level) => logs.push(`${level ?? 'info'}: ${m}`) });
  const input = { id: 'a', pane: pane({ currentCommand: 'deploy' }), screen: 'Continue?', screenChangedAt: 0, now: 1000 };
  assert.equal(detector.classify(input).detail.rule, 't.ask');

  writeFileSync(file, JSON.stringify({ kind: 'program', rules: [programRule('t.broken', 90, 'Continue(', 'waiting'), programRule('t.state', 1, 'x', 'sleepy')] }));
  const result = detector.reload();
  assert.equal(result.ok, false);
  assert.equal(result.errors.length, 1);
  assert.match(result.errors[0]!, /program\.json: rule t\.broken \(rules\[0\]\) pattern: invalid regular expression/);
  assert.match(result.errors[0]!, /rule t\.state \(rules\[1\]\) state: /);
  assert.ok(logs.some((l) => l.startsWith('warn: ') && l.includes('keeping the previous set')), `a rejection is a warning: ${logs.join('\n')}`);
  assert.equal(detector.classify({ ...input, now: 2000 }).detail.rule, 't.ask');

  const { errors } = loadProfiles([dir]);
  assert.equal(errors.length, 1);
  writeFileSync(file, '{ not json');
  assert.match(detector.reload().errors[0]!, /program\.json: not valid JSON/);
});

test('a user directory overrides built-in rules by id, disables them, and adds new ones', (t) => {
  const dir = tempDir(t);
  writeFileSync(
    join(dir, 'claude.json'),
    JSON.stringify({
      kind: 'claude-code',
      rules: [
        { id: 'claude.idle', priority: 50, region: 'input', pattern: '^>\\s*$', state: 'idle', confidence: 0.42, when: { input: true } },
        { id: 'claude.working', priority: 1, region: 'screen', pattern: 'x', state: 'working', confidence: 1, disabled: true },
        { id: 'site.maintenance', priority: 99, region: 'bottom', lines: 3, pattern: 'maintenance window', state: 'error', confidence: 0.9 },
      ],
    }),
  );
  const detector = createDetector({ profileDirs: [dir], processes: () => CLAUDE_TREE });
  const at = (id: string, screen: string) => detector.classify({ id, pane: pane(), screen, screenChangedAt: 0, now: 1000 });
  assert.equal(at('a', claudeScreen({})).detail.confidence, 0.42);
  // The Claude working rule is removed; the universal spinner rule every kind inherits still reads the line.
  assert.equal(at('b', claudeScreen({ status: '✻ Thinking… (3s · esc to interrupt)' })).detail.rule, 'any.spinner');
  assert.equal(at('c', claudeScreen({ below: '  maintenance window tonight' })).detail.rule, 'site.maintenance');
  assert.match(detector.explain('a')!.profile!, /claude\.json/);
});

test('reload() and the directory watcher pick up edited profiles without a restart', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'program.json');
  writeFileSync(file, JSON.stringify({ kind: 'program', rules: [programRule('t.v1', 90, 'READY', 'idle')] }));
  const detector = createDetector({ profileDirs: [dir], watch: true, processes: () => PROGRAM_TREE });
  t.after(() => detector.close());
  const input = (now: number) => ({ id: 'a', pane: pane({ currentCommand: 'deploy' }), screen: 'READY', screenChangedAt: 0, now });
  assert.equal(detector.classify(input(1000)).detail.rule, 't.v1');

  writeFileSync(file, JSON.stringify({ kind: 'program', rules: [programRule('t.v2', 90, 'READY', 'idle')] }));
  const deadline = Date.now() + 5000;
  while (detector.classify(input(2000)).detail.rule !== 't.v2' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.equal(detector.classify(input(3000)).detail.rule, 't.v2', 'watcher reloaded the edited profile');

  writeFileSync(file, JSON.stringify({ kind: 'program', rules: [programRule('t.v3', 90, 'READY', 'idle')] }));
  assert.deepEqual(detector.reload(), { ok: true, errors: [], profiles: ['agent', 'aider', 'claude-code', 'codex', 'gemini-cli', 'program', 'shell'] });
  assert.equal(detector.classify(input(4000)).detail.rule, 't.v3');
});

test('onRuleHit sees the rule behind every classification', () => {
  const hits: string[] = [];
  const detector = createDetector({ processes: () => CLAUDE_TREE, onRuleHit: (kind, rule) => hits.push(`${kind}/${rule}`) });
  detector.classify({ id: 'a', pane: pane(), screen: claudeScreen({}), screenChangedAt: 0, now: 1000 });
  detector.classify({ id: 'b', pane: pane({ dead: true, deadStatus: 1, currentCommand: 'make' }), screen: '', screenChangedAt: 0, now: 1000 });
  assert.deepEqual(hits, ['claude-code/claude.idle', 'program/pane.dead']);
});

test('a shell prompt with @ in it is a shell at rest, not an agent or an error', () => {
  const detector = createDetector({ processes: () => tree() });
  const screen = 'dev@buildbox:~/work$ cat log\nTests: 2 failed\nTraceback (most recent call last):\ndev@buildbox:~/work$ ';
  const c = detector.classify({ id: 'a', pane: pane(), screen, screenChangedAt: 0, now: 1000 });
  assert.deepEqual([c.kind, c.state, c.detail.rule], ['shell', 'idle', 'shell.prompt']);
});

test('redaction leaves ordinary counters alone', () => {
  assert.equal(redact('Tokens: 4.2k sent, 118 received.'), 'Tokens: 4.2k sent, 118 received.');
  assert.equal(redact('export GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz'), 'export GITHUB_TOKEN=[redacted]');
});

test('a framed input is only a prompt line right below a border: a menu cursor with the same glyph is not', (t) => {
  const dir = tempDir(t);
  const rules = [
    { id: 't.typed', priority: 60, region: 'input', pattern: '^❯ \\S', state: 'unsubmitted', confidence: 0.8, when: { input: true } },
    { id: 't.menu', priority: 50, region: 'bottom', lines: 10, pattern: '^\\s*❯ \\S', state: 'waiting', confidence: 0.8, when: { input: false } },
  ];
  writeFileSync(join(dir, 'program.json'), JSON.stringify({ kind: 'program', input: { prompt: '^\\s*❯', framed: true }, rules }));
  const detector = createDetector({ profileDirs: [dir], processes: () => PROGRAM_TREE });
  const classify = (id: string, screen: string) =>
    detector.classify({ id, pane: pane({ currentCommand: 'deploy' }), screen, screenChangedAt: 0, now: 1000 }).state;
  assert.equal(classify('menu', 'Pick a mode?\n\n  ❯ Yes, the new one\n    No, keep the old one\n'), 'waiting');
  assert.equal(classify('history', '❯ an old prompt\nits answer\n────────\n❯ new text\n────────\n  status bar\n'), 'unsubmitted');
});
