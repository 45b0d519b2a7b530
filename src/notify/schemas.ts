// The shape of WEBHOOKS_FILE, from which the hook types come; its .describe() text documents the file.
import { Webhook } from 'standardwebhooks';
import { z } from 'zod';
import { AgentKindSchema, AgentStateSchema } from '../schemas.ts';

/** A Standard Webhooks secret: `whsec_` then base64 of 24 to 64 random bytes. */
const SecretSchema = z
  .string()
  .refine(isSigningSecret, { error: 'a Standard Webhooks secret: whsec_ followed by base64 of 24 to 64 random bytes (e.g. "whsec_" + `openssl rand -base64 32`)' });

function isSigningSecret(secret: string): boolean {
  if (!/^whsec_[A-Za-z0-9+/]+={0,2}$/.test(secret)) return false;
  const bytes = Buffer.from(secret.slice('whsec_'.length), 'base64').length;
  if (bytes < 24 || bytes > 64) return false;
  try {
    new Webhook(secret);
    return true;
  } catch {
    return false;
  }
}

const nonEmptyList = <T extends z.ZodType>(item: T) => z.array(item).min(1, 'leave it out to match all, or list at least one').optional();
const millis = (max: number) => z.number().int('a whole number of milliseconds').min(0).max(max);

export const HookFormatSchema = z
  .enum(['json', 'slack', 'ntfy'])
  .describe('json: signed Standard Webhooks JSON; slack: a Slack incoming-webhook body; ntfy: an ntfy message');

export const HookSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, dot, dash or underscore, at most 64')
      .describe('Names the hook in logs, metrics and GET /v1/webhooks'),
    url: z
      .url({ protocol: /^https?$/, error: 'an http:// or https:// URL' })
      .describe('Where to POST; for ntfy the topic URL (https://ntfy.sh/my-topic). Never logged: it may hold a token'),
    secret: SecretSchema.optional().describe('Signing secret (whsec_…); required for json, optional for the others'),
    headers: z
      .record(z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'a header name'), z.string().regex(/^[\t\x20-\x7e]*$/, 'printable ASCII'))
      .optional()
      .describe('Extra request headers, e.g. Authorization for an ntfy server with access control. Never logged'),
    format: HookFormatSchema.default('json'),
    states: nonEmptyList(AgentStateSchema).describe('Fire on transitions into these states (default: all)'),
    kinds: nonEmptyList(AgentKindSchema).describe('Only agents of these kinds (default: all)'),
    sessions: nonEmptyList(z.string().min(1)).describe('Only agents in these tmux sessions (default: all)'),
    monitors: nonEmptyList(z.string().min(1)).describe('Only agents of these monitors (default: all)'),
    afterMs: millis(86_400_000).default(0).describe('Fire only once the state has held this long (ms)'),
    cooldownMs: millis(86_400_000).default(0).describe('After firing for an agent and state, stay quiet about that agent and state this long (ms)'),
  })
  .refine((h) => h.format !== 'json' || h.secret !== undefined, {
    error: 'required for format json (receivers verify the signature)',
    path: ['secret'],
  })
  .refine((h) => h.format !== 'ntfy' || new URL(h.url).pathname.split('/').some(Boolean), {
    error: 'an ntfy topic URL, e.g. https://ntfy.sh/my-topic',
    path: ['url'],
  });

export const RetrySchema = z
  .strictObject({
    firstDelayMs: millis(3_600_000).min(10).default(1000).describe('Wait before the first retry; doubles per attempt, with jitter'),
    maxDelayMs: millis(86_400_000).min(10).default(300_000).describe('Longest wait between two attempts'),
    retryForMs: millis(7 * 86_400_000).min(1000).default(3_600_000).describe('Give a delivery up this long after it was first due'),
    timeoutMs: millis(120_000).min(100).default(10_000).describe('One attempt fails after this long without an answer'),
  })
  .refine((r) => r.firstDelayMs <= r.maxDelayMs, { error: 'must not be larger than maxDelayMs', path: ['firstDelayMs'] });

export const WebhooksFileSchema = z
  .strictObject({
    hooks: z.array(HookSchema).describe('The webhooks'),
    retry: RetrySchema.default(RetrySchema.parse({})).describe('Retry schedule of every hook'),
  })
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.hooks.forEach((h, i) => {
      if (seen.has(h.name)) ctx.addIssue({ code: 'custom', message: `name "${h.name}" is used twice`, path: ['hooks', i, 'name'] });
      seen.add(h.name);
    });
  });

export type Hook = z.output<typeof HookSchema>;
export type RetryPolicy = z.output<typeof RetrySchema>;
export type WebhooksConfig = z.output<typeof WebhooksFileSchema>;
