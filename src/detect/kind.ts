// Which kind of agent a pane runs: the process tree first (an agent under a shell or `bash -c` still shows),
// then tmux's current command, then the screen's signature when the tree cannot be read.
import { basename } from 'node:path';
import type { AgentKind } from '../agents/model.ts';
import { signaturePresent } from './engine.ts';
import type { LoadedProfile } from './profile.ts';
import { compile } from './regex.ts';
import { viewScreen } from './screen.ts';
import type { ProcessInfo } from './types.ts';

export const AGENT_ONLY: readonly AgentKind[] = ['claude-code', 'codex', 'gemini-cli', 'aider'];

const INTERPRETER = /^(node|nodejs|bun|deno|python[\d.]*|pypy[\d.]*|ruby|perl|uv|uvx|pipx|npx|tsx)$/;

/** The names a process goes by: comm, argv[0], and for an interpreter the script or module it runs. */
export function identities(p: ProcessInfo): string[] {
  const out = [p.comm];
  const argv0 = p.argv[0];
  if (argv0) out.push(argv0, basename(argv0));
  if (argv0 && (INTERPRETER.test(basename(argv0)) || INTERPRETER.test(p.comm))) {
    for (let i = 1; i < p.argv.length; i++) {
      const a = p.argv[i]!;
      if (a === '-m' || a === 'run' || a === 'exec') continue; // python -m aider, uv run aider, npx exec …
      if (a.startsWith('-')) continue;
      out.push(a, basename(a));
      break;
    }
  }
  return out;
}

export interface KindResult {
  kind: AgentKind;
  reason: string;
  /** Decided by the process tree or pane facts rather than by screen text. */
  fromProcess: boolean;
  /** For the generic `agent`: the process taken for it (it stays an agent while this process runs). */
  pid?: number;
}

/** The generic kind for an agent CLI without a profile of its own. */
export const GENERIC_AGENT: AgentKind = 'agent';

function matchesAny(patterns: string[], value: string): boolean {
  return patterns.some((p) => compile(p).test(value));
}

export function agentInTree(profiles: Map<string, LoadedProfile>, tree: ProcessInfo[]): KindResult | null {
  for (const p of tree) {
    const names = identities(p);
    for (const kind of AGENT_ONLY) {
      const profile = profiles.get(kind);
      if (!profile) continue;
      const name = names.find((n) => matchesAny(profile.identify.processes, n));
      if (name !== undefined) {
        return { kind, reason: `process ${p.pid} \`${p.argv.join(' ').slice(0, 120) || p.comm}\` matched ${kind} (${name})`, fromProcess: true };
      }
    }
  }
  return null;
}

export function kindFromCommand(profiles: Map<string, LoadedProfile>, command: string): AgentKind | null {
  const cmd = command.replace(/^-/, '');
  for (const kind of [...AGENT_ONLY, 'shell'] as AgentKind[]) {
    const profile = profiles.get(kind);
    if (profile && cmd && matchesAny(profile.identify.commands, cmd)) return kind;
  }
  return null;
}

export function kindFromSignature(profiles: Map<string, LoadedProfile>, screen: string, pane: { title: string; command: string }): KindResult | null {
  for (const kind of AGENT_ONLY) {
    const profile = profiles.get(kind);
    if (!profile) continue;
    const line = signaturePresent(profile, viewScreen(screen, pane, profile.input));
    if (line !== null) return { kind, reason: `screen signature of ${kind}: ${line.trim().slice(0, 80)}`, fromProcess: false };
  }
  return null;
}

function isShell(profiles: Map<string, LoadedProfile>, name: string): boolean {
  const shell = profiles.get('shell');
  return !!shell && !!name && matchesAny(shell.identify.commands, name.replace(/^-/, ''));
}

/**
 * An interactive program no profile names that draws an agent's screen (the `agent` profile's signature: an input
 * line near the bottom and a model name or an agent's words), and is none of the programs that never are agents
 * (`identify.never`: pagers, editors, monitors — a man page about GPT is still a man page). `tree` is the pane's
 * processes below its shell, or all of them when the pane runs the program itself; [] when unknown.
 */
export function genericAgent(
  profiles: Map<string, LoadedProfile>,
  programs: ProcessInfo[],
  pane: { title: string; command: string },
  screen: string,
): KindResult | null {
  const profile = profiles.get(GENERIC_AGENT);
  if (!profile) return null;
  const never = profile.identify.never;
  const command = pane.command.replace(/^-/, '');
  if (command && matchesAny(never, command)) return null;
  if (programs.some((p) => identities(p).some((n) => matchesAny(never, basename(n))))) return null;
  const line = signaturePresent(profile, viewScreen(screen, pane, profile.input));
  if (line === null) return null;
  const top = programs[0];
  const name = top ? (top.argv.join(' ').slice(0, 80) || top.comm) : command || '(no command)';
  return {
    kind: GENERIC_AGENT,
    reason: `\`${name}\` is no known agent but draws an agent's screen: ${line.trim().slice(0, 80)}`,
    fromProcess: false,
    ...(top ? { pid: top.pid } : {}),
  };
}

/**
 * The kind of a live pane. `tree` is [] when the process tree is unknown (not readable, or a pure screen
 * classification): then tmux's command and the screen decide. A pane whose own process is a shell is a
 * `shell` even while a foreground job runs in it; a pane started with another command is a `program`.
 */
export function identifyKind(
  profiles: Map<string, LoadedProfile>,
  tree: ProcessInfo[],
  pane: { title: string; command: string },
  screen: string,
): KindResult {
  const agent = agentInTree(profiles, tree);
  if (agent) return agent;
  const root = tree[0];
  if (root) {
    const rootName = root.argv[0] ? basename(root.argv[0]) : root.comm;
    if (isShell(profiles, rootName) || isShell(profiles, root.comm)) {
      const job = tree.length > 1 ? genericAgent(profiles, tree.slice(1), pane, screen) : null;
      return job ?? { kind: 'shell', reason: `pane process ${root.pid} is the shell \`${rootName}\`; no agent below it`, fromProcess: true };
    }
    return (
      genericAgent(profiles, tree, pane, screen) ?? {
        kind: 'program',
        reason: `pane process ${root.pid} \`${rootName}\` is neither an agent nor a shell`,
        fromProcess: true,
      }
    );
  }
  const byCommand = kindFromCommand(profiles, pane.command);
  if (byCommand) return { kind: byCommand, reason: `pane_current_command \`${pane.command}\` matched ${byCommand}`, fromProcess: true };
  const bySignature = kindFromSignature(profiles, screen, pane) ?? genericAgent(profiles, [], pane, screen);
  if (bySignature) return bySignature;
  return { kind: 'program', reason: `\`${pane.command || '(no command)'}\` is neither an agent nor a shell`, fromProcess: false };
}
