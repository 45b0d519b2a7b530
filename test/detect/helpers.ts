// Shared bits of the detection tests: a pane with sensible defaults and screens of a Claude Code session.
import type { ProcessInfo } from '../../src/detect/index.ts';

export { pane } from '../helpers/pane.ts';

/** A process tree: an interactive bash with the given children (argv) below it. */
export function tree(...children: string[][]): ProcessInfo[] {
  const root: ProcessInfo = { pid: 4242, ppid: 1, comm: 'bash', argv: ['-bash'] };
  return [root, ...children.map((argv, i) => ({ pid: 5000 + i, ppid: 4242, comm: (argv[0] ?? '').split('/').pop()!.slice(0, 15), argv }))];
}

export const CLAUDE_TREE = tree(['node', '/usr/lib/node_modules/@anthropic-ai/claude-code/cli.js']);

const RULE = '─'.repeat(60);

/** A Claude Code screen: output lines, an optional status line above the input box, the input text. */
export function claudeScreen(opts: { output?: string[]; status?: string; input?: string; below?: string }): string {
  const lines = [
    '╭───────────────────────────────────────────╮',
    '│ ✻ Welcome to Claude Code!                 │',
    '╰───────────────────────────────────────────╯',
    '',
    ...(opts.output ?? ['> fix the build', '', '⏺ I will look at the build script.']),
    '',
  ];
  if (opts.status) lines.push(opts.status, '');
  lines.push(RULE, `> ${opts.input ?? ''}`, RULE, opts.below ?? '  ? for shortcuts', '', '');
  return lines.join('\n');
}
