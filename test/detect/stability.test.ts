// Stability over time: ticking spinners, clocks and counters cause no flicker; real changes are confirmed
// before they are published; a dead pane or a vanished agent is published at once; stuck and idle by time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDetector, type ProcessInfo } from '../../src/detect/index.ts';
import type { ClassifyInput } from '../../src/detect/types.ts';
import type { PaneInfo } from '../../src/tmux/types.ts';
import { CLAUDE_TREE, claudeScreen, pane, tree } from './helpers.ts';

const SPINNER = ['·', '✢', '✳', '✶', '✻', '✽'];
const T0 = Date.parse('2025-03-01T12:00:00Z');

/** Drive a detector like the loop does: one observation per second; returns the published states. */
function run(
  detector: ReturnType<typeof createDetector>,
  seconds: number,
  screenAt: (s: number) => string,
  opts: { id?: string; start?: number; pane?: (s: number) => PaneInfo; firstChange?: number } = {},
): string[] {
  const states: string[] = [];
  let last = '';
  let changedAt = opts.firstChange ?? T0;
  for (let s = 0; s < seconds; s++) {
    const now = (opts.start ?? T0) + s * 1000;
    const screen = screenAt(s);
    if (screen !== last && s > 0) changedAt = now;
    last = screen;
    const input: ClassifyInput = { id: opts.id ?? 'a', pane: opts.pane?.(s) ?? pane(), screen, screenChangedAt: changedAt, now };
    states.push(detector.classify(input).state);
  }
  return states;
}

function transitions(states: string[]): number {
  return states.filter((s, i) => i > 0 && s !== states[i - 1]).length;
}

test('a spinner, elapsed timer and token counter ticking every second for 60 s cause no state change', () => {
  const detector = createDetector({ processes: () => CLAUDE_TREE });
  const states = run(detector, 60, (s) =>
    claudeScreen({ status: `${SPINNER[s % SPINNER.length]} Thinking… (${s}s · ↑ ${(s * 0.1).toFixed(1)}k tokens · esc to interrupt)` }),
  );
  assert.equal(transitions(states), 0);
  assert.equal(states[0], 'working');
});

test('a program printing only a clock stays idle: the ticking clock is not output', () => {
  const detector = createDetector({ processes: () => [{ pid: 4242, ppid: 1, comm: 'watch', argv: ['watch', 'date'] }], idleAfterMs: 5000 });
  const clock = (s: number) => `Every 1.0s: date\n\nSat Mar  1 12:${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')} UTC 2025`;
  const states = run(detector, 60, clock, { pane: () => pane({ currentCommand: 'watch' }), firstChange: T0 - 60_000 });
  assert.deepEqual([...new Set(states)], ['idle']);
  const now = T0 + 60_000;
  const last = detector.classify({ id: 'a', pane: pane({ currentCommand: 'watch' }), screen: clock(60), screenChangedAt: now, now });
  assert.equal(last.detail.evidence, 'no change seen since the first screen (clocks, spinners and counters aside): taken as quiet', 'the evidence says why a screen that keeps changing is quiet');
});

test('a program whose output really changes is working, and idle once quiet past the threshold', () => {
  const detector = createDetector({ processes: () => [{ pid: 4242, ppid: 1, comm: 'make', argv: ['make'] }], idleAfterMs: 5000 });
  const lines: string[] = [];
  const states = run(detector, 30, (s) => {
    if (s < 10) lines.push(`[${s + 1}/10] Compiling module_${s}.c`);
    return lines.join('\n');
  }, { pane: () => pane({ currentCommand: 'make' }) });
  assert.equal(states[0], 'idle', 'first sight: no change seen yet, so taken as quiet');
  assert.equal(states[5], 'working');
  assert.equal(states[29], 'idle');
  assert.equal(transitions(states.slice(2)), 1);
});

test('a clock program first observed mid-run is idle from the first observation, not working until idleAfterMs', () => {
  const detector = createDetector({ processes: () => [{ pid: 4242, ppid: 1, comm: 'clock', argv: ['clock'] }], idleAfterMs: 5000 });
  const states = run(detector, 30, (s) => `Sat Mar  1 12:00:${String(s).padStart(2, '0')} UTC 2025`, { pane: () => pane({ currentCommand: 'clock' }) });
  assert.deepEqual([...new Set(states)], ['idle']);
});

test('a real change is published only after it is confirmed, then once', () => {
  const detector = createDetector({ processes: () => CLAUDE_TREE, confirmObservations: 2 });
  const working = claudeScreen({ status: '✻ Thinking… (3s · esc to interrupt)' });
  const idle = claudeScreen({ output: ['⏺ Done.'] });
  const states = run(detector, 6, (s) => (s < 3 ? working : idle));
  assert.deepEqual(states, ['working', 'working', 'working', 'working', 'idle', 'idle']);
  const trace = detector.explain('a')!;
  assert.equal(trace.published.state, 'idle');
  assert.equal(trace.stability.pending, null);
});

test('explain shows a pending state and its confirmations while it waits', () => {
  const detector = createDetector({ processes: () => CLAUDE_TREE, confirmObservations: 3 });
  const input = (screen: string, now: number): ClassifyInput => ({ id: 'a', pane: pane(), screen, screenChangedAt: now, now });
  detector.classify(input(claudeScreen({ status: '✻ Thinking… (3s · esc to interrupt)' }), T0));
  assert.equal(detector.classify(input(claudeScreen({ input: 'next task' }), T0 + 1000)).state, 'working');
  const trace = detector.explain('a')!;
  assert.equal(trace.candidate.state, 'unsubmitted');
  assert.deepEqual(trace.stability, { pending: 'unsubmitted', confirmations: 1, required: 3, immediate: false });
  assert.equal(detector.explain('nobody'), null);
});

test('two states alternating every observation never get published', () => {
  const detector = createDetector({ processes: () => CLAUDE_TREE });
  const a = claudeScreen({ status: '✻ Thinking… (3s · esc to interrupt)' });
  const b = claudeScreen({ input: 'half typed' });
  const states = run(detector, 20, (s) => (s % 2 === 0 ? a : b));
  assert.deepEqual([...new Set(states)], ['working']);
});

test('pane death is published immediately, by its exit status', () => {
  const detector = createDetector({ processes: () => CLAUDE_TREE });
  const screen = claudeScreen({ status: '✻ Thinking… (3s · esc to interrupt)' });
  const states = run(detector, 4, () => screen, { pane: (s) => pane({ dead: s >= 2, deadStatus: s >= 2 ? 137 : null }) });
  assert.deepEqual(states, ['working', 'working', 'crashed', 'crashed']);
  const trace = detector.explain('a')!;
  assert.equal(trace.kind, 'claude-code');
  assert.equal(trace.published.detail.rule, 'pane.dead');
  assert.equal(trace.stability.immediate, true);

  const clean = createDetector({ processes: () => [] });
  const c = clean.classify({ id: 'b', pane: pane({ dead: true, deadStatus: 0, currentCommand: 'make' }), screen: '', screenChangedAt: T0, now: T0 });
  assert.deepEqual([c.kind, c.state], ['program', 'exited']);
});

test('an agent that leaves the process tree while its pane sits at the shell prompt has crashed, at once', () => {
  let procs: ProcessInfo[] = CLAUDE_TREE;
  const detector = createDetector({ processes: () => procs });
  const screen = claudeScreen({});
  const c1 = detector.classify({ id: 'a', pane: pane({ currentCommand: 'node' }), screen, screenChangedAt: T0, now: T0 });
  assert.deepEqual([c1.kind, c1.state], ['claude-code', 'idle']);
  procs = tree();
  const c2 = detector.classify({ id: 'a', pane: pane(), screen: `${screen}\ndev@box:~$ `, screenChangedAt: T0 + 1000, now: T0 + 1000 });
  assert.deepEqual([c2.kind, c2.state, c2.detail.rule], ['claude-code', 'crashed', 'process.gone']);
  // The user moves on and runs something else: the pane is a shell again.
  procs = tree(['vim', 'notes.txt']);
  const c3 = detector.classify({ id: 'a', pane: pane({ currentCommand: 'vim' }), screen: '~\n~', screenChangedAt: T0 + 2000, now: T0 + 2000 });
  assert.equal(c3.kind, 'shell');
});

test('an agent killed while tmux still names it as the command (its list lags behind /proc) has crashed all the same', () => {
  let procs: ProcessInfo[] = CLAUDE_TREE;
  const detector = createDetector({ processes: () => procs });
  const screen = claudeScreen({});
  detector.classify({ id: 'a', pane: pane({ currentCommand: 'node' }), screen, screenChangedAt: T0, now: T0 });
  procs = tree();
  const lagging = detector.classify({ id: 'a', pane: pane({ currentCommand: 'node' }), screen: `${screen}\nKilled`, screenChangedAt: T0 + 1000, now: T0 + 1000 });
  assert.deepEqual([lagging.kind, lagging.state, lagging.detail.rule], ['claude-code', 'crashed', 'process.gone']);
  const caughtUp = detector.classify({ id: 'a', pane: pane(), screen: `${screen}\nKilled\ndev@box:~$ `, screenChangedAt: T0 + 2000, now: T0 + 2000 });
  assert.deepEqual([caughtUp.kind, caughtUp.state], ['claude-code', 'crashed']);
});

test('working with only a ticking spinner past the stuck threshold is stuck; output resumes it', () => {
  const detector = createDetector({ processes: () => CLAUDE_TREE, stuckAfterMs: 120_000 });
  const spinning = (s: number) => claudeScreen({ status: `${SPINNER[s % 6]} Thinking… (${s}s · esc to interrupt)` });
  const states = run(detector, 130, spinning);
  assert.equal(states[100], 'working');
  assert.equal(states[129], 'stuck');
  assert.equal(transitions(states), 1);
  assert.equal(detector.explain('a')!.published.detail.rule, 'time.stuck');

  const after = run(detector, 3, (s) => claudeScreen({ output: [`⏺ new output ${s}`], status: '✻ Thinking… (131s · esc to interrupt)' }), { start: T0 + 130_000, firstChange: T0 + 130_000 });
  assert.deepEqual(after, ['stuck', 'working', 'working']);
});

test('forget() drops what was remembered of a pane', () => {
  const detector = createDetector({ processes: () => CLAUDE_TREE });
  detector.classify({ id: 'a', pane: pane(), screen: claudeScreen({}), screenChangedAt: T0, now: T0 });
  assert.notEqual(detector.explain('a'), null);
  detector.forget('a');
  assert.equal(detector.explain('a'), null);
});

test('a shell running a silent foreground job stays working, never stuck (its profile turns stuck off)', () => {
  const detector = createDetector({ processes: () => tree(['sleep', '600']), stuckAfterMs: 10_000 });
  const states = run(detector, 30, () => 'dev@box:~$ sleep 600', { pane: () => pane({ currentCommand: 'sleep' }) });
  assert.deepEqual([...new Set(states)], ['working']);
});
