// Fusion of hook signals with the screen, on a scripted screen classifier: which side wins, when, and why.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AgentKind, AgentState } from '../../src/agents/model.ts';
import { withHookFusion, type FusedDetector, type HookSignal } from '../../src/detect/fusion.ts';
import type { Classification, ClassifyInput, DetectionTrace } from '../../src/detect/types.ts';
import type { PaneInfo } from '../../src/tmux/types.ts';

const PANE = { paneId: '%1', panePid: 100, currentCommand: 'node', title: '' } as PaneInfo;

/** A screen classifier that says whatever the test sets; each change is a new object, as the detector's are. */
function scripted(kind: AgentKind = 'claude-code') {
  let current: Classification = { kind, state: 'idle', detail: { rule: `${kind}.idle`, evidence: '❯', confidence: 0.9 } };
  const inner = {
    classify: (_input: ClassifyInput) => current,
    forget: () => undefined,
    explain: (): DetectionTrace => ({
      id: 'a',
      at: new Date(0).toISOString(),
      kind: current.kind,
      kindReason: 'scripted',
      profile: null,
      rules: [],
      matched: [],
      candidate: current,
      decision: 'scripted',
      published: current,
      stability: { pending: null, confirmations: 0, required: 2, immediate: false },
      activity: { screenChangedAt: new Date(0).toISOString(), meaningfulChangeAt: null, quietMs: null },
    }),
    reload: () => ({ ok: true, errors: [], profiles: [] }),
    close: () => undefined,
  };
  const set = (state: AgentState, rule: string, confidence = 0.9, k: AgentKind = kind) => {
    current = { kind: k, state, detail: { rule, evidence: 'screen line', confidence } };
  };
  return { inner, set };
}

const OPTS = { confirmMs: 1000, freshMs: 60_000, stuckAfterMs: 10_000 };

function signal(state: AgentState, at: number, rule = `hook.claude-code.${state}`, kind: AgentKind | null = 'claude-code'): HookSignal {
  return { state, event: rule.split('.').at(-1)!, rule, message: `said ${state}`, kind, at };
}

function observe(fused: FusedDetector, now: number, screen = 'same screen', changedAt = 0) {
  return fused.classify({ id: 'a', pane: PANE, screen, screenChangedAt: changedAt, now });
}

test('without a signal the screen decides, marked as such, the same object while it holds', () => {
  const { inner } = scripted();
  const fused = withHookFusion(inner, OPTS);
  const a = observe(fused, 1000);
  assert.equal(a.detail.source, 'screen');
  assert.equal(observe(fused, 2000), a, 'the loop can skip an unchanged pane by identity');
});

test('a signal wins at once, and a contradiction shorter than the window does not undo it', () => {
  const { inner, set } = scripted();
  const fused = withHookFusion(inner, OPTS);
  observe(fused, 0);
  fused.signal('a', signal('waiting', 100));
  const now = fused.fuseNow('a', 100)!;
  assert.deepEqual([now.state, now.detail.source, now.detail.confidence], ['waiting', 'hook', 1]);
  set('working', 'claude.working');
  assert.equal(observe(fused, 500).state, 'waiting');
  assert.equal(observe(fused, 1000).state, 'waiting', 'two observations but only 500 ms');
  set('waiting', 'claude.permission');
  assert.equal(observe(fused, 1600).state, 'waiting');
});

test('a strong screen rule contradicting for the window wins; a fallback never does', () => {
  const { inner, set } = scripted();
  const fused = withHookFusion(inner, OPTS);
  observe(fused, 0);
  fused.signal('a', signal('working', 0));
  set('unknown', 'claude-code.fallback', 0.3);
  for (let t = 100; t <= 3000; t += 500) assert.equal(observe(fused, t).state, 'working');
  set('idle', 'claude.idle');
  assert.equal(observe(fused, 3100).state, 'working');
  const won = observe(fused, 4200);
  assert.deepEqual([won.state, won.detail.source], ['idle', 'screen']);
  const trace = fused.explain('a');
  assert.equal(trace?.fusion?.winner, 'screen');
  assert.match(trace!.fusion!.overridden!.why, /showed idle \(claude\.idle\) for 1100 ms/);
});

test('an error or a rate limit sits at the idle prompt without being overridden; a rate limit on screen refines an error', () => {
  const { inner, set } = scripted();
  const fused = withHookFusion(inner, OPTS);
  observe(fused, 0);
  fused.signal('a', signal('error', 0, 'hook.claude-code.StopFailure'));
  for (let t = 500; t <= 5000; t += 500) assert.equal(observe(fused, t).state, 'error');
  set('rate_limited', 'claude.rate-limit');
  const refined = observe(fused, 5500);
  assert.deepEqual([refined.state, refined.detail.source], ['rate_limited', 'screen']);
});

test('an announced session end is exited when the agent leaves; without it, the same is crashed', () => {
  for (const [announced, expected] of [[true, 'exited'], [false, 'crashed']] as const) {
    const { inner, set } = scripted();
    const fused = withHookFusion(inner, OPTS);
    observe(fused, 0);
    fused.signal('a', signal(announced ? 'exited' : 'working', 0, announced ? 'hook.claude-code.SessionEnd' : 'hook.claude-code.PreToolUse'));
    set('crashed', 'process.gone');
    assert.equal(observe(fused, 100).state, expected);
  }
});

test('a dead pane decides by its exit status whatever the hook said', () => {
  const { inner, set } = scripted();
  const fused = withHookFusion(inner, OPTS);
  observe(fused, 0);
  fused.signal('a', signal('exited', 0, 'hook.claude-code.SessionEnd'));
  set('crashed', 'pane.dead', 1);
  assert.equal(observe(fused, 100).state, 'crashed');
});

test('another program in the pane, or an old signal, hands the pane back to the screen', () => {
  const { inner, set } = scripted('program');
  const fused = withHookFusion(inner, OPTS);
  observe(fused, 0);
  fused.signal('a', signal('waiting', 0));
  const wrapped = observe(fused, 100);
  assert.deepEqual([wrapped.kind, wrapped.state], ['claude-code', 'waiting'], 'the hook names the kind a wrapper hides');
  set('idle', 'shell.prompt', 0.8, 'shell');
  assert.deepEqual([observe(fused, 200).kind, observe(fused, 200).state], ['shell', 'idle']);

  const other = scripted();
  const aged = withHookFusion(other.inner, OPTS);
  observe(aged, 0);
  aged.signal('a', signal('waiting', 0));
  assert.equal(observe(aged, 59_000).state, 'waiting');
  assert.equal(observe(aged, 61_000).state, 'idle');
});

test('a hook working with neither hooks nor screen moving for STUCK_AFTER_MS is stuck; a screen change resets it', () => {
  const { inner, set } = scripted();
  const fused = withHookFusion(inner, OPTS);
  set('unknown', 'claude-code.fallback', 0.3);
  observe(fused, 0, 'screen A', 0);
  fused.signal('a', signal('working', 0));
  assert.equal(observe(fused, 9000, 'screen A', 0).state, 'working');
  assert.equal(observe(fused, 10_500, 'screen B', 10_400).state, 'working', 'new output');
  const stuck = observe(fused, 21_000, 'screen B', 10_400);
  assert.deepEqual([stuck.state, stuck.detail.rule], ['stuck', 'time.stuck']);
});

test('a signal that came before the pane was first classified applies to its first screen', () => {
  const { inner } = scripted();
  const fused = withHookFusion(inner, OPTS);
  fused.signal('a', signal('waiting', 0));
  assert.equal(fused.fuseNow('a', 10), null, 'nothing to fuse with yet');
  assert.equal(observe(fused, 100).state, 'waiting');
});
