// A private tmux server for one test: its own socket in a temp dir, never the user's default server.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PrivateTmux {
  socket: string;
  dir: string;
  /** Run a tmux command on this server (argv, no shell); resolves with stdout. */
  tmux(...args: string[]): Promise<string>;
  /** Start a detached session running `command` (via sh -c); returns the first pane id. */
  newSession(name: string, command?: string, opts?: { width?: number; height?: number }): Promise<string>;
  kill(): Promise<void>;
  /** Kill the server and remove the temp dir. */
  cleanup(): Promise<void>;
}

export async function startPrivateTmux(): Promise<PrivateTmux> {
  const dir = mkdtempSync(join(tmpdir(), 'paneward-tmux-'));
  const socket = join(dir, 'sock');
  const tmux = async (...args: string[]) => (await run('tmux', ['-S', socket, ...args], { env: tmuxEnv() })).stdout;
  const server: PrivateTmux = {
    socket,
    dir,
    tmux,
    async newSession(name, command, opts = {}) {
      const args = ['new-session', '-d', '-P', '-F', '#{pane_id}', '-s', name];
      args.push('-x', String(opts.width ?? 120), '-y', String(opts.height ?? 40));
      if (command) args.push(command);
      return (await tmux(...args)).trim();
    },
    async kill() {
      await tmux('kill-server').catch(() => undefined);
    },
    async cleanup() {
      await server.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}

/** The environment for tmux children: no inherited TMUX, so nothing reaches the caller's server. */
export function tmuxEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.TMUX;
  delete env.TMUX_PANE;
  // Panes get the environment of a user's terminal: under CI=true, Ink-based CLIs (grok-cli) draw nothing until
  // they exit.
  delete env.CI;
  return env;
}

/** Pids of running `tmux -C` control clients on `socket` (or on any socket when omitted). */
export function controlClientPids(socket?: string): number[] {
  let out = '';
  try {
    out = execFileSync('pgrep', ['-f', '-a', 'tmux'], { encoding: 'utf8' });
  } catch {
    return [];
  }
  return out
    .split('\n')
    .filter((line) => / -C/.test(line) && (!socket || line.includes(socket)))
    .map((line) => Number(line.split(' ')[0]))
    .filter((pid) => Number.isInteger(pid) && pid > 0);
}

/**
 * A window in `session` whose process dies running `script`, left dead (remain-on-exit) with its exit status
 * recorded. tmux 3.3a often never records the status of a pane whose process lived a moment (a `sleep 0.2` first:
 * 8 panes in 20 once on this machine; an immediate exit loses none), so a pane that lost it is replaced, up to
 * twelve times; `reported` is what tmux must show as `#{pane_dead_status}#{pane_dead_signal}`.
 */
export async function deadPane(server: PrivateTmux, session: string, script: string, reported: string): Promise<string> {
  await server.tmux('set-option', '-g', 'remain-on-exit', 'on');
  for (let attempt = 0; attempt < 12; attempt++) {
    const pane = (await server.tmux('new-window', '-d', '-P', '-F', '#{pane_id}', '-t', `${session}:`, script)).trim();
    await new Promise((r) => setTimeout(r, 1000)); // no tmux client connected while the process dies
    const shown = (await server.tmux('display-message', '-p', '-t', pane, '#{pane_dead_status}#{pane_dead_signal}')).trim();
    if (shown === reported) return pane;
    await server.tmux('kill-pane', '-t', pane);
  }
  throw new Error(`tmux never recorded exit status ${reported} for \`${script}\``);
}
