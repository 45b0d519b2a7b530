// Detection profiles: the JSON schema one file per agent kind follows, loading from directories, and merging a
// user directory over the built-in one (rule-level: same rule id replaces, `disabled` removes, new ids add).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { AGENT_KINDS, AGENT_STATES } from '../agents/model.ts';

const REGIONS = ['screen', 'bottom', 'top', 'last-line', 'above-input', 'input', 'below-input', 'title', 'command'] as const;
export type RegionName = (typeof REGIONS)[number];

const RegexSchema = z.string().min(1, 'pattern must not be empty');
const FlagsSchema = z
  .string()
  .regex(/^[imsu]*$/, 'flags may only use i, m, s, u (g and y would make matching stateful)')
  .default('');

/** A screen region plus a pattern; used by rules, `unless` clauses and screen signatures. */
const MatcherShape = {
  region: z.enum(REGIONS).describe('Where on the screen to look'),
  lines: z.number().int().min(1).max(500).optional().describe('How many non-blank lines the region spans'),
  pattern: RegexSchema.describe('JavaScript regular expression, tested line by line (or on the whole region: match block)'),
  flags: FlagsSchema,
  match: z
    .enum(['line', 'block'])
    .default('line')
    .describe("'line': each line on its own, bottom-up; 'block': the region's lines joined with \\n"),
};

function checkRegex(v: { pattern: string; flags: string }, ctx: z.RefinementCtx): void {
  try {
    new RegExp(v.pattern, v.flags);
  } catch (err) {
    ctx.addIssue({ code: 'custom', path: ['pattern'], message: `invalid regular expression: ${(err as Error).message}` });
  }
}

const MatcherSchema = z.object(MatcherShape).strict().superRefine(checkRegex);

export const RuleSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'rule id: lower-case letters, digits, dot, dash, underscore'),
    description: z.string().optional(),
    priority: z.number().int().min(0).max(1000).describe('Higher wins when several rules match'),
    ...MatcherShape,
    state: z.enum(AGENT_STATES),
    confidence: z.number().min(0).max(1),
    unless: z
      .object({ ...MatcherShape, region: MatcherShape.region.optional() })
      .strict()
      .superRefine(checkRegex)
      .optional()
      .describe('The rule does not apply when this also matches (region defaults to the rule region)'),
    when: z
      .object({
        signature: z.boolean().optional().describe("Only when the profile's screen signature is (true) / is not (false) present"),
        input: z.boolean().optional().describe('Only when the input box was (true) / was not (false) found'),
      })
      .strict()
      .optional(),
    immediate: z.boolean().default(false).describe('Publish without waiting for confirmation'),
    disabled: z.boolean().default(false).describe('In an override directory: remove the built-in rule of this id'),
  })
  .strict()
  .superRefine(checkRegex);
export type Rule = z.output<typeof RuleSchema>;

export const ProfileSchema = z
  .object({
    $schema: z.string().optional(),
    kind: z.enum([...AGENT_KINDS, '*']).describe("The agent kind; '*' holds rules shared by every kind"),
    description: z.string().optional(),
    identify: z
      .object({
        processes: z.array(RegexSchema).default([]).describe("Tested against each process's comm, argv[0], and the script an interpreter runs"),
        commands: z.array(RegexSchema).default([]).describe("Tested against tmux's pane_current_command"),
        signature: z.array(MatcherSchema).default([]).describe('Screen text that shows this UI is drawn'),
        never: z
          .array(RegexSchema)
          .default([])
          .describe('Names of processes that are never this kind, whatever the screen shows (pagers, editors, monitors)'),
      })
      .strict()
      .optional(),
    input: z
      .object({
        prompt: RegexSchema.describe('The input line (the box row holding the cursor prompt)'),
        flags: FlagsSchema,
        scan: z.number().int().min(1).max(200).default(20).describe('How many bottom lines to search for it'),
        framed: z
          .boolean()
          .default(false)
          .describe('The input line sits right below a border row (─── or ╭──╮): a prompt glyph elsewhere is a menu cursor or history'),
      })
      .strict()
      .superRefine((v, ctx) => checkRegex({ pattern: v.prompt, flags: v.flags }, ctx))
      .optional(),
    volatile: z
      .array(RegexSchema)
      .optional()
      .describe('Text blanked before deciding whether the screen meaningfully changed (beyond digits and spinners)'),
    fallback: z
      .union([z.literal('activity'), z.enum(AGENT_STATES)])
      .optional()
      .describe("State when no rule matches; 'activity' = working while the screen changes, idle once quiet"),
    stuck: z
      .boolean()
      .optional()
      .describe('Whether a rule-made `working` turns `stuck` when the screen stays still (default true)'),
    rules: z.array(RuleSchema).default([]),
  })
  .strict()
  .superRefine((p, ctx) => {
    const seen = new Set<string>();
    p.rules.forEach((r, i) => {
      if (seen.has(r.id)) ctx.addIssue({ code: 'custom', path: ['rules', i, 'id'], message: `duplicate rule id ${r.id}` });
      seen.add(r.id);
    });
    for (const [i, re] of (p.identify?.processes ?? []).entries()) checkPlain(re, ['identify', 'processes', i], ctx);
    for (const [i, re] of (p.identify?.commands ?? []).entries()) checkPlain(re, ['identify', 'commands', i], ctx);
    for (const [i, re] of (p.identify?.never ?? []).entries()) checkPlain(re, ['identify', 'never', i], ctx);
    for (const [i, re] of (p.volatile ?? []).entries()) checkPlain(re, ['volatile', i], ctx);
  });
export type Profile = z.output<typeof ProfileSchema>;

function checkPlain(pattern: string, path: (string | number)[], ctx: z.RefinementCtx): void {
  try {
    new RegExp(pattern);
  } catch (err) {
    ctx.addIssue({ code: 'custom', path, message: `invalid regular expression: ${(err as Error).message}` });
  }
}

type Identify = NonNullable<Profile['identify']>;

/** A profile after merging and defaulting, with the files it came from (for explain and error messages). */
export interface LoadedProfile extends Omit<Profile, 'identify' | 'volatile' | 'fallback' | 'stuck'> {
  stuck: boolean;
  identify: Identify;
  volatile: string[];
  fallback: NonNullable<Profile['fallback']>;
  /** Rule ids this kind turned off with `disabled: true`, its own or inherited from `*`. */
  disabledIds: string[];
  sources: string[];
}

export interface LoadResult {
  profiles: Map<string, LoadedProfile>;
  errors: string[];
}

/** Read every `*.json` of the directories in order; later directories override earlier ones rule by rule. */
export function loadProfiles(dirs: string[]): LoadResult {
  const profiles = new Map<string, LoadedProfile>();
  const errors: string[] = [];
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir)
        .filter((n) => n.endsWith('.json'))
        .sort();
    } catch (err) {
      errors.push(`${dir}: cannot read profile directory: ${(err as Error).message}`);
      continue;
    }
    for (const name of names) {
      const file = join(dir, name);
      if (!statSync(file, { throwIfNoEntry: false })?.isFile()) continue;
      const parsed = parseProfileFile(file);
      if ('error' in parsed) {
        errors.push(parsed.error);
        continue;
      }
      const base = profiles.get(parsed.profile.kind);
      profiles.set(parsed.profile.kind, base ? mergeProfile(base, parsed.profile, file) : finish(parsed.profile, file));
    }
  }
  const shared = profiles.get('*');
  profiles.delete('*');
  if (shared) {
    for (const [kind, p] of profiles) {
      const own = new Set([...p.rules.map((r) => r.id), ...p.disabledIds]);
      const inherited = shared.rules.filter((r) => !own.has(r.id));
      profiles.set(kind, { ...p, rules: [...inherited, ...p.rules], sources: [...p.sources, ...shared.sources] });
    }
  }
  return { profiles, errors };
}

export function parseProfileFile(file: string): { profile: Profile } | { error: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    return { error: `${file}: not valid JSON: ${(err as Error).message}` };
  }
  const result = ProfileSchema.safeParse(raw);
  if (result.success) return { profile: result.data };
  return { error: `${file}: ${describeIssues(raw, result.error.issues)}` };
}

/** "rule claude.permission (rules[3]) pattern: invalid regular expression: …", one clause per issue. */
function describeIssues(raw: unknown, issues: z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      const path = issue.path;
      let where = path.length ? path.join('.') : 'profile';
      if (path[0] === 'rules' && typeof path[1] === 'number') {
        const rules = (raw as { rules?: Array<{ id?: unknown }> }).rules;
        const id = rules?.[path[1]]?.id;
        const rest = path.slice(2).join('.');
        where = `rule ${typeof id === 'string' ? id : '(no id)'} (rules[${path[1]}])${rest ? ` ${rest}` : ''}`;
      }
      return `${where}: ${issue.message}`;
    })
    .join('; ');
}

function finish(p: Profile, file: string): LoadedProfile {
  return {
    ...p,
    identify: p.identify ?? { processes: [], commands: [], signature: [], never: [] },
    volatile: p.volatile ?? [],
    fallback: p.fallback ?? 'unknown',
    stuck: p.stuck ?? true,
    rules: p.rules.filter((r) => !r.disabled),
    disabledIds: p.rules.filter((r) => r.disabled).map((r) => r.id),
    sources: [file],
  };
}

/**
 * Rule-level override: rules of `over` replace the base rules of the same id (or remove them with
 * `disabled: true`) and new ids are added; identify/input/volatile/fallback replace the base's when given.
 */
function mergeProfile(base: LoadedProfile, over: Profile, file: string): LoadedProfile {
  const rules = new Map(base.rules.map((r) => [r.id, r]));
  for (const r of over.rules) {
    if (r.disabled) rules.delete(r.id);
    else rules.set(r.id, r);
  }
  return {
    ...base,
    description: over.description ?? base.description,
    identify: over.identify ?? base.identify,
    input: over.input ?? base.input,
    volatile: over.volatile ?? base.volatile,
    fallback: over.fallback ?? base.fallback,
    stuck: over.stuck ?? base.stuck,
    rules: [...rules.values()],
    disabledIds: [...base.disabledIds.filter((id) => !rules.has(id)), ...over.rules.filter((r) => r.disabled).map((r) => r.id)],
    sources: [...base.sources, file],
  };
}
