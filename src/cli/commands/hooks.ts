// `paneward hooks print <agent>` shows the settings that send an agent's hooks to paneward;
// `paneward hooks install <agent>` merges them into the user's settings (a backup first, idempotent, their other
// hooks untouched).
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AGENTS,
  CODEX_EVENTS,
  GEMINI_EVENTS,
  claudeHooks,
  commandHooks,
  mergeCodexToml,
  mergeHooks,
  tomlArray,
  type AgentName,
  type HooksTable,
} from '../hook-settings.ts';
import type { Command } from '../command.ts';
import { DEFAULT_URL } from '../client.ts';

const USAGE = `usage: paneward hooks print <${AGENTS.join('|')}>
       paneward hooks install <${AGENTS.join('|')}>

Hooks go to $PANEWARD_URL (default ${DEFAULT_URL}) with $PANEWARD_HOOK_TOKEN as the bearer token, if set.
With PANEWARD_URL set, Codex and Gemini CLI commands carry it as --url, and install moves paneward's own hooks
that go elsewhere to it (Claude Code's http hooks always name their URL).
`;

const url = () => (process.env.PANEWARD_URL || DEFAULT_URL).replace(/\/+$/, '');
/** Only a URL asked for moves hooks already installed: an install from a shell without PANEWARD_URL leaves them. */
const retarget = () => Boolean(process.env.PANEWARD_URL);

/** bin/paneward.js of the package this file is part of (run from src/ or from dist/src/). */
function ownBin(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'bin', 'paneward.js')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'bin', 'paneward.js');
}

/** How an agent runs this CLI: `paneward` when it is on PATH, else this checkout's bin/paneward.js. */
function selfCommand(): string[] {
  const bin = ownBin();
  const onPath = (process.env.PATH ?? '').split(':').some((dir) => dir && existsSync(join(dir, 'paneward')));
  return onPath ? ['paneward'] : [bin];
}

const shellWords = (words: string[]) => words.map((w) => (/^[\w./@%+=:,-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(' ');

/**
 * What an agent runs for a hook of `source`. With PANEWARD_URL set now, the URL goes into the command: the agent's
 * own environment, where the command runs, may not have it.
 */
function hookCommand(source: 'codex' | 'gemini-cli'): string[] {
  return [...selfCommand(), 'hook', source, ...(process.env.PANEWARD_URL ? ['--url', url()] : [])];
}

function hooksFor(agent: AgentName): HooksTable {
  if (agent === 'claude-code') return claudeHooks(url());
  if (agent === 'codex') return commandHooks(CODEX_EVENTS, shellWords(hookCommand('codex')));
  return commandHooks(GEMINI_EVENTS, shellWords(hookCommand('gemini-cli')), '*');
}

function settingsFile(agent: AgentName): string {
  const env = process.env;
  if (agent === 'claude-code') return join(env.CLAUDE_CONFIG_DIR || join(homedir(), '.claude'), 'settings.json');
  if (agent === 'codex') return join(env.CODEX_HOME || join(homedir(), '.codex'), 'hooks.json');
  return join(homedir(), '.gemini', 'settings.json');
}

function print(agent: AgentName): string {
  const hooks = JSON.stringify({ hooks: hooksFor(agent) }, null, 2);
  if (agent !== 'codex') return `${hooks}\n`;
  const notify = tomlArray(hookCommand('codex'));
  const toml = join(dirname(settingsFile(agent)), 'config.toml');
  return `# ${toml}\nnotify = ${notify}\n\n[features]\ncodex_hooks = true\n\n// ${settingsFile(agent)}\n${hooks}\n`;
}

function readJson(file: string): Record<string, unknown> {
  if (!existsSync(file)) return {};
  const text = readFileSync(file, 'utf8');
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file} is not valid JSON (${(err as Error).message}); fix it by hand first, nothing was changed`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`${file} does not hold a JSON object`);
  return parsed as Record<string, unknown>;
}

/** Keeps a copy of `file` beside it, then replaces it in one rename (never half written). */
function writeWithBackup(file: string, text: string): string | null {
  mkdirSync(dirname(file), { recursive: true });
  let backup: string | null = null;
  if (existsSync(file)) {
    backup = `${file}.paneward-${new Date().toISOString().replace(/[:.]/g, '-')}.bak`;
    copyFileSync(file, backup);
  }
  const tmp = `${file}.paneward-tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
  return backup;
}

function installJson(file: string, table: HooksTable, source: string, say: (s: string) => void): void {
  const { settings, added, updated } = mergeHooks(readJson(file), table, source, retarget());
  if (added.length === 0 && updated.length === 0) return say(`${file}: paneward's hooks are already there, nothing changed`);
  const backup = writeWithBackup(file, `${JSON.stringify(settings, null, 2)}\n`);
  const what = [
    added.length > 0 ? `added paneward hooks for ${added.join(', ')}` : '',
    updated.length > 0 ? `moved paneward's hooks for ${updated.join(', ')} to ${url()}` : '',
  ].filter(Boolean);
  say(`${file}: ${what.join('; ')}${backup ? ` (backup: ${backup})` : ''}`);
}

function installCodexToml(file: string, say: (s: string) => void): boolean {
  const before = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const { toml, changed, conflict } = mergeCodexToml(before, hookCommand('codex'), retarget());
  if (conflict) say(`${file}: ${conflict}`);
  if (changed.length === 0) {
    if (!conflict) say(`${file}: notify and codex_hooks already set, nothing changed`);
    return conflict === null;
  }
  const backup = writeWithBackup(file, toml);
  say(`${file}: set ${changed.join(', ')}${backup ? ` (backup: ${backup})` : ''}`);
  return conflict === null;
}

function install(agent: AgentName): number {
  const say = (s: string) => process.stdout.write(`${s}\n`);
  const file = settingsFile(agent);
  installJson(file, hooksFor(agent), agent, say);
  if (agent === 'codex' && !installCodexToml(join(dirname(file), 'config.toml'), say)) return 1;
  return 0;
}

const hooks: Command = {
  summary: 'print or install the settings that send an agent’s hooks to paneward',
  async run(args) {
    const [action, agent] = args;
    if ((action !== 'print' && action !== 'install') || !AGENTS.includes(agent as AgentName) || args.length !== 2) {
      if (agent !== undefined && !AGENTS.includes(agent as AgentName)) process.stderr.write(`paneward hooks: unknown agent '${agent}'\n`);
      process.stderr.write(USAGE);
      return 2;
    }
    try {
      if (action === 'print') {
        if (agent !== 'codex') process.stderr.write(`# merge into ${settingsFile(agent as AgentName)} (or run: paneward hooks install ${agent})\n`);
        process.stdout.write(print(agent as AgentName));
        return 0;
      }
      return install(agent as AgentName);
    } catch (err) {
      process.stderr.write(`paneward hooks ${action} ${agent}: ${(err as Error).message}\n`);
      return 1;
    }
  },
};

export default hooks;
