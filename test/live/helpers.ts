// What the live tests of real agent CLIs share: typing a prompt so that it reaches the model, and finding the
// processes a CLI left under its pane.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PrivateTmux } from '../helpers/tmux.ts';
import type { Standin } from '../standin/server.ts';

/** The API key Claude Code is given (the stand-in accepts any); its last 20 characters are marked approved. */
export const CLAUDE_KEY = 'sk-ant-api03-standin-000000000000000000000000000000';

const ENTER_TRIES = 3;
const HEARD_WITHIN_MS = 5_000;

/**
 * Types `text` into a pane and presses Enter until the model stand-in hears the turn. A TUI still drawing its
 * intro, or still treating fast keys as a paste, can drop an Enter (Codex did once in CI); a second Enter on an
 * accepted prompt lands on an empty input box, which every CLI here ignores.
 */
export async function submitPrompt(tmux: PrivateTmux, pane: string, text: string, standin: Standin): Promise<void> {
  const heard = standin.nextMainRequest(ENTER_TRIES * HEARD_WITHIN_MS + 30_000);
  let isHeard = false;
  void heard.then(() => (isHeard = true), () => undefined);
  await tmux.tmux('send-keys', '-t', pane, '-l', text);
  await sleep(500);
  for (let attempt = 0; attempt < ENTER_TRIES && !isHeard; attempt++) {
    await tmux.tmux('send-keys', '-t', pane, 'Enter');
    await Promise.race([heard.catch(() => undefined), sleep(HEARD_WITHIN_MS)]);
  }
  await heard;
}

/** Every process under `pid`, children first-level then theirs, so a test can check none outlive it. */
export function descendants(pid: number): number[] {
  let out = '';
  try {
    out = execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' });
  } catch {
    return [];
  }
  return out.split('\n').filter(Boolean).map(Number).flatMap((child) => [child, ...descendants(child)]);
}

/**
 * A throwaway HOME under `scratch` where Claude Code has done its onboarding, trusts the `project` directory,
 * approved CLAUDE_KEY and asks before each tool call ("default" mode), so a tool call shows the permission dialog.
 */
export function claudeHome(scratch: string): { home: string; work: string } {
  const home = join(scratch, 'home');
  const work = join(scratch, 'project');
  mkdirSync(join(home, '.claude'), { recursive: true });
  mkdirSync(work);
  writeFileSync(
    join(home, '.claude.json'),
    JSON.stringify({
      hasCompletedOnboarding: true,
      theme: 'dark',
      customApiKeyResponses: { approved: [CLAUDE_KEY.slice(-20)], rejected: [] },
      projects: { [work]: { hasTrustDialogAccepted: true, hasCompletedProjectOnboarding: true, allowedTools: [] } },
    }),
  );
  writeFileSync(join(home, '.claude/settings.json'), JSON.stringify({ permissions: { defaultMode: 'default' } }));
  return { home, work };
}
