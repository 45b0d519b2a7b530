// A fleet for the board's tests, bench and screenshots, on a private tmux server. Agent panes replay screens
// captured from the real CLIs (test/fixtures/screens) from a script named like the CLI, so the monitor finds the
// kind in the process tree and the state on the screen exactly as it would for the real program.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { PrivateTmux } from '../helpers/tmux.ts';

export const FIXTURES = resolve(import.meta.dirname, '../fixtures/screens');

/** The process name each kind's profile recognises. */
const CLI_NAME: Record<string, string> = { 'claude-code': 'claude', codex: 'codex', 'gemini-cli': 'gemini', aider: 'aider' };

/** Prints the screen once, then stays (a working screen turns stuck after STUCK_AFTER_MS, as a real one would). */
const REPLAY = `$| = 1;
open(my $fh, '<', $ARGV[0]) or die "cannot read $ARGV[0]";
my @lines = <$fh>;
chomp @lines;
print join("\\n", @lines);
sleep;
`;

/** Writes the replay script under each CLI's name into the server's temp dir. */
function replayScript(tmux: PrivateTmux, kind: string): string {
  const name = CLI_NAME[kind];
  if (!name) throw new Error(`no CLI name for kind ${kind}`);
  const dir = join(tmux.dir, 'bin');
  const path = join(dir, name);
  if (!existsSync(path)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(path, REPLAY);
  }
  return path;
}

/** The shell command of a pane that replays `fixture` (e.g. 'claude-code/waiting-1.txt'). */
export function replayCommand(tmux: PrivateTmux, fixture: string): string {
  const kind = fixture.split('/')[0]!;
  return `perl ${replayScript(tmux, kind)} ${join(FIXTURES, fixture)}`;
}

/** Adds a window running `command` to `session` (created if new); returns the pane id. */
export async function addPane(tmux: PrivateTmux, session: string, command: string, name?: string): Promise<string> {
  const exists = await tmux.tmux('has-session', '-t', `=${session}`).then(() => true, () => false);
  if (!exists) {
    const pane = await tmux.newSession(session, command, { width: 120, height: 40 });
    if (name) await tmux.tmux('rename-window', '-t', pane, name);
    return pane;
  }
  const args = ['new-window', '-d', '-P', '-F', '#{pane_id}', '-t', `${session}:`];
  if (name) args.push('-n', name);
  return (await tmux.tmux(...args, command)).trim();
}
