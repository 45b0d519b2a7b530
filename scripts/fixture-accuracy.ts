// Accuracy of detection on the captured screens of agent CLIs without a profile (test/fixtures/screens/agent/):
// one markdown table, per CLI and state, of screens classified right / screens (state, and kind alongside).
// Run with `npx tsx scripts/fixture-accuracy.ts`; the README of src/detect/ holds the last figures.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentKind } from '../src/agents/model.ts';
import { classifyScreen } from '../src/detect/index.ts';
import { AGENT_FIXTURES, unprofiledHints, unprofiledSources } from '../test/detect/unprofiled.ts';

const hints = JSON.parse(readFileSync(new URL('../test/detect/fixture-hints.json', import.meta.url), 'utf8')) as Record<string, unknown>;
const firstScreens = (hints.$unprofiledFirstScreens ?? {}) as Record<string, AgentKind>;
const sources = unprofiledSources();
const cells = new Map<string, { right: number; kindRight: number; total: number; misses: string[] }>();

for (const file of readdirSync(AGENT_FIXTURES).filter((f) => /^[a-z_]+-\d+\.txt$/.test(f)).sort()) {
  const expected = file.replace(/-\d+\.txt$/, '');
  const h = unprofiledHints(file, sources, firstScreens);
  const r = classifyScreen(readFileSync(join(AGENT_FIXTURES, file), 'utf8'), h);
  const key = `${sources[file]!.cli}\t${expected}`;
  const cell = cells.get(key) ?? { right: 0, kindRight: 0, total: 0, misses: [] };
  cell.total++;
  if (r.state === expected) cell.right++;
  else cell.misses.push(`${file}: ${r.state} by ${r.detail.rule}`);
  if (r.kind === h.expectKind) cell.kindRight++;
  cells.set(key, cell);
}

console.log('| CLI | state | state right / screens | kind right |\n| --- | --- | --- | --- |');
let right = 0;
let total = 0;
for (const [key, c] of [...cells].sort()) {
  const [cli, state] = key.split('\t');
  console.log(`| ${cli} | ${state} | ${c.right} / ${c.total} | ${c.kindRight} / ${c.total} |`);
  right += c.right;
  total += c.total;
}
console.log(`| all | | ${right} / ${total} | |`);
for (const c of cells.values()) for (const m of c.misses) console.log(`miss: ${m}`);
