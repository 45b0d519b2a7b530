// What the stand-in answers a model request with. One mode is current (set through the control endpoint);
// a prompt can override it for its own request with a `#standin:<mode>` tag.

export type Mode =
  /** Answer at once with `text`: the CLI goes back to its idle prompt. */
  | { kind: 'quick'; text?: string }
  /** Stream `text` over `seconds`: the CLI shows its working spinner meanwhile. */
  | { kind: 'slow'; text?: string; seconds: number }
  /** Ask to run `command` with the CLI's shell tool: the CLI shows its permission dialog. */
  | { kind: 'tool'; command?: string }
  /** 429 with retry-after and reset headers. */
  | { kind: 'rate_limit'; retryAfterSeconds: number }
  /** 529 (Anthropic) / 503 (others) "overloaded". */
  | { kind: 'overloaded' }
  /** 500 internal error. */
  | { kind: 'server_error' }
  /** 400 invalid request: an error no CLI retries. */
  | { kind: 'bad_request' };

export type ModeKind = Mode['kind'];

export const DEFAULT_TEXT =
  'Sure. This is the stand-in model speaking: the project builds, the tests pass, and there is nothing left to do.';

export const DEFAULT_COMMAND = 'touch standin-was-here.txt';

/** A long answer for `slow` mode, so the stream still has words left to send near its end. */
export function slowText(seconds: number): string {
  const words: string[] = [];
  for (let i = 0; i < Math.max(20, seconds * 4); i++) words.push(`word${i}`);
  return `Working through it slowly: ${words.join(' ')}. Done.`;
}

const TAG = /#standin:([a-z_]+)(?::(\d+))?/;

/** The mode a prompt asks for with `#standin:slow:20`, `#standin:tool`, `#standin:rate_limit:60`… */
export function modeFromPrompt(prompt: string): Mode | undefined {
  const match = TAG.exec(prompt);
  if (!match) return undefined;
  const arg = match[2] === undefined ? undefined : Number(match[2]);
  switch (match[1]) {
    case 'quick':
      return { kind: 'quick' };
    case 'slow':
      return { kind: 'slow', seconds: arg ?? 20 };
    case 'tool':
      return { kind: 'tool' };
    case 'rate_limit':
      return { kind: 'rate_limit', retryAfterSeconds: arg ?? 3600 };
    case 'overloaded':
      return { kind: 'overloaded' };
    case 'server_error':
      return { kind: 'server_error' };
    case 'bad_request':
      return { kind: 'bad_request' };
    default:
      return undefined;
  }
}

export function parseMode(value: unknown): Mode {
  if (typeof value !== 'object' || value === null) throw new Error('mode must be an object');
  const v = value as Record<string, unknown>;
  const text = typeof v.text === 'string' ? v.text : undefined;
  switch (v.kind) {
    case 'quick':
      return { kind: 'quick', text };
    case 'slow':
      return { kind: 'slow', text, seconds: typeof v.seconds === 'number' ? v.seconds : 20 };
    case 'tool':
      return { kind: 'tool', command: typeof v.command === 'string' ? v.command : undefined };
    case 'rate_limit':
      return { kind: 'rate_limit', retryAfterSeconds: typeof v.retryAfterSeconds === 'number' ? v.retryAfterSeconds : 3600 };
    case 'overloaded':
    case 'server_error':
    case 'bad_request':
      return { kind: v.kind };
    default:
      throw new Error(`unknown mode kind ${String(v.kind)}`);
  }
}
