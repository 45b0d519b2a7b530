// `paneward hook <source> [--url URL] [json]`: what an agent's hook runs. Posts the hook JSON (stdin, or the last argument as
// Codex's notify passes it) with the pane's $TMUX_PANE and $TMUX to paneward, and gives up after a second.
// A hook must never block, slow or change the agent: it always exits 0 and never writes to stdout.
import { DEFAULT_URL } from '../client.ts';
import type { Command } from '../command.ts';

const SOURCES = new Set(['claude-code', 'codex', 'gemini-cli', 'generic']);
const DEADLINE_MS = 1000;
const MAX_BYTES = 1024 * 1024;

/** stdin up to MAX_BYTES, or '' when it is a terminal (nothing piped). */
async function readStdin(signal: AbortSignal): Promise<string> {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin.iterator({ destroyOnReturn: true })) {
    if (signal.aborted) break;
    size += (chunk as Buffer).length;
    if (size > MAX_BYTES) break;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function headersFor(env: NodeJS.ProcessEnv): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (env.TMUX_PANE) headers['x-tmux-pane'] = env.TMUX_PANE;
  if (env.TMUX) headers['x-tmux'] = env.TMUX;
  if (env.PANEWARD_HOOK_TOKEN) headers.authorization = `Bearer ${env.PANEWARD_HOOK_TOKEN}`;
  return headers;
}

/** `[--url URL] [json]`: the URL is there when `paneward hooks install` ran with PANEWARD_URL set. */
function splitUrl(args: string[]): { url: string | undefined; rest: string[] } {
  if (args[0] === '--url' && args.length >= 2) return { url: args[1], rest: args.slice(2) };
  if (args[0]?.startsWith('--url=')) return { url: args[0].slice('--url='.length), rest: args.slice(1) };
  return { url: undefined, rest: args };
}

async function send(source: string, args: string[], signal: AbortSignal): Promise<void> {
  const { url, rest } = splitUrl(args);
  const body = rest.length > 0 ? rest[rest.length - 1]! : await readStdin(signal);
  if (body.trim() === '' || signal.aborted) return;
  const base = (url || process.env.PANEWARD_URL || DEFAULT_URL).replace(/\/+$/, '');
  const res = await fetch(`${base}/v1/hooks/${source}`, { method: 'POST', headers: headersFor(process.env), body, signal });
  await res.body?.cancel();
}

const hook: Command = {
  summary: 'post an agent hook event to paneward (run by the agent; always exits 0, prints nothing)',
  async run(args) {
    const [source, ...rest] = args;
    if (!source || !SOURCES.has(source)) {
      process.stderr.write(`paneward hook: source must be one of ${[...SOURCES].join(', ')}\n`);
      return 0;
    }
    // The second counts from the process's start (node itself takes some of it).
    const left = Math.max(100, DEADLINE_MS - Math.round(process.uptime() * 1000));
    const signal = AbortSignal.timeout(left);
    // The deadline holds even if stdin never closes: exit, whatever is still pending.
    setTimeout(() => process.exit(0), left + 20).unref();
    try {
      await send(source, rest, signal);
    } catch {
      // paneward down, slow or refusing: the agent goes on as if no hook were configured.
    }
    return 0;
  },
};

export default hook;
