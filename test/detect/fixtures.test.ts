// Every captured screen under test/fixtures/screens/<kind>/<state>-<n>.txt classifies as its name says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { AGENT_KINDS, AGENT_STATES, type AgentKind } from '../../src/agents/model.ts';
import { classifyScreen } from '../../src/detect/index.ts';
import type { PaneInfo } from '../../src/tmux/types.ts';
import type { ProcessInfo } from '../../src/detect/index.ts';
import { unprofiledHints, unprofiledSources } from './unprofiled.ts';

const ROOT = new URL('../fixtures/screens/', import.meta.url).pathname;
const AGENT_KIND_SET = new Set<AgentKind>(['claude-code', 'codex', 'gemini-cli', 'aider']);

type Hints = { kind?: AgentKind; pane?: Partial<PaneInfo>; quietMs?: number; processes?: ProcessInfo[]; expectKind?: AgentKind };
const HINTS = JSON.parse(readFileSync(new URL('./fixture-hints.json', import.meta.url), 'utf8')) as Record<string, Hints>;

const SOURCES = unprofiledSources();
/**
 * What the loop would know without reading the screen: profiled agents by their process tree, the rest by
 * command. A generic `agent` has no process to name it: its kind must come from its screen (tmux shows `node`).
 */
function hintsFor(kind: AgentKind, file: string): Hints {
  const base: Hints = AGENT_KIND_SET.has(kind)
    ? { kind }
    : kind === 'agent'
      ? unprofiledHints(file, SOURCES, HINTS.$unprofiledFirstScreens as unknown as Record<string, AgentKind>)
      : { pane: { currentCommand: kind === 'shell' ? 'bash' : 'node' } };
  const extra = HINTS[`${kind}/${file}`] ?? {};
  return { ...base, ...extra, pane: { ...base.pane, ...extra.pane } };
}

const fixtures = existsSync(ROOT)
  ? readdirSync(ROOT)
      .filter((k) => (AGENT_KINDS as readonly string[]).includes(k))
      .flatMap((kind) =>
        readdirSync(join(ROOT, kind))
          .filter((f) => f.endsWith('.txt'))
          .sort()
          .map((file) => ({ kind: kind as AgentKind, file, expected: file.replace(/-\d+\.txt$/, '') })),
      )
  : [];

// An unprofiled agent whose screen does not show it is one (a login page before its UI) stays the shell's job:
// fixture-hints.json says so with `expectKind`, and its state must still be right.
test('fixture screens exist and are named <state>-<n>.txt', () => {
  assert.ok(fixtures.length > 0, `no fixtures under ${ROOT}`);
  for (const f of fixtures) assert.ok((AGENT_STATES as readonly string[]).includes(f.expected), `${f.kind}/${f.file}: ${f.expected} is not a state`);
});

for (const { kind, file, expected } of fixtures) {
  test(`${kind}/${file} is ${expected}`, () => {
    const screen = readFileSync(join(ROOT, kind, file), 'utf8');
    const hints = hintsFor(kind, file);
    const r = classifyScreen(screen, hints);
    assert.equal(r.kind, hints.expectKind ?? kind, `kind: ${r.trace.kindReason}`);
    assert.equal(r.state, expected, `got ${r.state} by ${r.detail.rule}: "${r.detail.evidence}"; ${r.trace.decision}`);
    assert.ok(r.detail.rule.length > 0 && r.detail.confidence > 0);
  });
}
