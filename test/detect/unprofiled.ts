// What the loop knows of a captured screen of an agent CLI without a profile (test/fixtures/screens/agent/):
// its process tree (bash, and node running the CLI below it, which no profile names), and — for a screen taken
// mid-session — that the CLI was already recognised as an agent on an earlier screen of the same process.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentKind } from '../../src/agents/model.ts';
import type { ProcessInfo } from '../../src/detect/index.ts';
import type { PaneInfo } from '../../src/tmux/types.ts';

export const AGENT_FIXTURES = new URL('../fixtures/screens/agent/', import.meta.url).pathname;

export interface UnprofiledSource {
  cli: string;
  note: string;
}

/** Which CLI each screen is of, and the capture's note (written by the capture script). */
export function unprofiledSources(): Record<string, UnprofiledSource> {
  const file = join(AGENT_FIXTURES, 'sources.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, UnprofiledSource>) : {};
}

/** The script each CLI runs as under node, as /proc shows it. */
const CLI_SCRIPTS: Record<string, string> = {
  pi: '@mariozechner/pi-coding-agent/dist/cli.js',
  grok: '@vibe-kit/grok-cli/dist/index.js',
  cline: 'cline/bin/cline',
  auggie: '@augmentcode/auggie/augment.mjs',
};

export interface UnprofiledHints {
  kind?: AgentKind;
  pane: Partial<PaneInfo>;
  processes: ProcessInfo[];
  /** The kind the screen alone must give: `agent`, or `shell` for a first screen that shows no agent yet. */
  expectKind: AgentKind;
}

/**
 * Idle screens and the first screen of a run must show the agent by themselves (process tree + screen); a
 * working or waiting screen later in the session keeps the kind the loop found before (it holds while the
 * process runs), so it is given. `firstScreenKinds` lists first screens that cannot show an agent (a login page).
 */
export function unprofiledHints(file: string, sources: Record<string, UnprofiledSource>, firstScreenKinds: Record<string, AgentKind>): UnprofiledHints {
  const source = sources[file];
  const script = source ? CLI_SCRIPTS[source.cli] : undefined;
  if (!source || !script) throw new Error(`agent/${file}: no known CLI in agent/sources.json`);
  const processes: ProcessInfo[] = [
    { pid: 100, ppid: 1, comm: 'bash', argv: ['bash'] },
    { pid: 101, ppid: 100, comm: 'node', argv: ['node', `/opt/tools/node_modules/${script}`] },
  ];
  const first = /at start-up|login page/.test(source.note);
  const fromScreen = first || file.startsWith('idle-');
  return {
    ...(fromScreen ? {} : { kind: 'agent' as const }),
    pane: { currentCommand: 'node' },
    processes,
    expectKind: firstScreenKinds[file] ?? 'agent',
  };
}
