// The settings each agent needs to send its hooks to paneward, and merging them into a user's own settings
// without touching anything else (their other hooks included). Pure functions: the command does the files.

export const AGENTS = ['claude-code', 'codex', 'gemini-cli'] as const;
export type AgentName = (typeof AGENTS)[number];

type HookEntry = Record<string, unknown>;
interface MatcherGroup {
  matcher?: string;
  hooks: HookEntry[];
}
export type HooksTable = Record<string, MatcherGroup[]>;

/** Claude Code events paneward maps to a state (see src/hooks/README.md). */
export const CLAUDE_EVENTS = ['SessionStart', 'UserPromptSubmit', 'PreToolUse', 'PostToolUse', 'PermissionRequest', 'Notification', 'Elicitation', 'Stop', 'StopFailure', 'SessionEnd'];
export const CODEX_EVENTS = ['SessionStart', 'UserPromptSubmit', 'PreToolUse', 'PermissionRequest', 'PostToolUse', 'Stop'];
export const GEMINI_EVENTS = ['SessionStart', 'BeforeAgent', 'BeforeTool', 'AfterTool', 'Notification', 'AfterAgent', 'SessionEnd'];

/** Claude Code posts the hook input itself (an http hook): no process per event. */
export function claudeHooks(url: string): HooksTable {
  const hook = {
    type: 'http',
    url: `${url}/v1/hooks/claude-code`,
    timeout: 1,
    headers: { 'X-Tmux-Pane': '$TMUX_PANE', 'X-Tmux': '$TMUX', Authorization: 'Bearer $PANEWARD_HOOK_TOKEN' },
    allowedEnvVars: ['TMUX_PANE', 'TMUX', 'PANEWARD_HOOK_TOKEN'],
  };
  return Object.fromEntries(CLAUDE_EVENTS.map((e) => [e, [{ hooks: [hook] }]]));
}

/** Codex and Gemini CLI run a command per event; `paneward hook` takes it to PANEWARD_URL. */
export function commandHooks(events: string[], command: string, matcher?: string): HooksTable {
  const hook = { type: 'command', command };
  return Object.fromEntries(events.map((e) => [e, [{ ...(matcher ? { matcher } : {}), hooks: [hook] }]]));
}

/** A hook entry paneward installed, or one of the user's that runs paneward for this source: it counts as there. */
function isOurs(hook: HookEntry, source: string): boolean {
  if (typeof hook.url === 'string') return hook.url.endsWith(`/v1/hooks/${source}`);
  return typeof hook.command === 'string' && hook.command.includes('paneward') && hook.command.includes(`hook ${source}`);
}

/** The hooks of `list` (an event's matcher groups) that are paneward's for `source`. */
const oursIn = (list: MatcherGroup[], source: string): HookEntry[] =>
  list.flatMap((g) => (Array.isArray(g?.hooks) ? g.hooks.filter((h) => isOurs(h, source)) : []));

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A hook entry exactly as paneward writes it (an http hook to /v1/hooks/<source>, or `<bin> hook <source>` with
 * perhaps `--url <url>`): only such an entry is moved to another URL. A command of the user's that runs paneward
 * among other things (a token set before it, a fan-out) is theirs to change.
 */
function isGenerated(hook: HookEntry, source: string): boolean {
  if (typeof hook.url === 'string') return hook.type === 'http' && hook.url.endsWith(`/v1/hooks/${source}`);
  return typeof hook.command === 'string' && new RegExp(`^\\S*paneward(\\.js)? hook ${escapeRegExp(source)}( --url \\S+)?$`).test(hook.command);
}

/** Where a hook sends: its URL, or the command that posts it. */
const targetOf = (hook: HookEntry) => (typeof hook.url === 'string' ? hook.url : hook.command);

/** `hook` sent where `wanted` sends, everything else of it (a timeout, headers the user edited) kept. */
const retargeted = (hook: HookEntry, wanted: HookEntry): HookEntry =>
  typeof wanted.url === 'string' ? { ...hook, url: wanted.url } : { ...hook, command: wanted.command };

/**
 * `list` with paneward's generated hooks sent where `wanted` sends, or null when none of them was (none is
 * paneward's own shape, or one already goes there: a second server of the user's is left as it is).
 */
function moved(list: MatcherGroup[], wanted: HookEntry, source: string): MatcherGroup[] | null {
  const ours = oursIn(list, source);
  if (ours.some((h) => targetOf(h) === targetOf(wanted)) || !ours.some((h) => isGenerated(h, source))) return null;
  return list.map((g) => (Array.isArray(g?.hooks) ? { ...g, hooks: g.hooks.map((h) => (isGenerated(h, source) ? retargeted(h, wanted) : h)) } : g));
}

/**
 * `settings` with paneward's groups added to `table` for each event that has none of paneward's hooks yet; with
 * `retarget` (PANEWARD_URL was given), paneward's own hooks that go elsewhere are moved to the table's URL.
 * Everything else is kept as it was; returns the events added and moved (neither: nothing to write).
 */
export function mergeHooks(
  settings: Record<string, unknown>,
  table: HooksTable,
  source: string,
  retarget: boolean,
): { settings: Record<string, unknown>; added: string[]; updated: string[] } {
  const existing = settings.hooks;
  if (existing !== undefined && (typeof existing !== 'object' || existing === null || Array.isArray(existing))) {
    throw new Error('its "hooks" is not an object; fix it by hand first');
  }
  const hooks: Record<string, unknown> = { ...((existing as Record<string, unknown> | undefined) ?? {}) };
  const added: string[] = [];
  const updated: string[] = [];
  for (const [event, groups] of Object.entries(table)) {
    const current = hooks[event];
    if (current !== undefined && !Array.isArray(current)) throw new Error(`its hooks.${event} is not a list; fix it by hand first`);
    const list = (current ?? []) as MatcherGroup[];
    if (oursIn(list, source).length === 0) {
      hooks[event] = [...list, ...groups];
      added.push(event);
      continue;
    }
    const retargetedList = retarget ? moved(list, groups[0]!.hooks[0]!, source) : null;
    if (retargetedList) {
      hooks[event] = retargetedList;
      updated.push(event);
    }
  }
  const changed = added.length > 0 || updated.length > 0;
  return { settings: changed ? { ...settings, hooks } : settings, added, updated };
}

/** TOML string array, e.g. ["paneward", "hook", "codex"]. */
export function tomlArray(items: string[]): string {
  return `[${items.map((s) => JSON.stringify(s)).join(', ')}]`;
}

/** A TOML string as tomlArray writes it (JSON's escapes). */
const TOML_STRING = String.raw`"(?:[^"\\]|\\.)*"`;
/** The notify line exactly as tomlArray writes paneward's: its bin, "hook", "codex", perhaps "--url" and a URL. */
const GENERATED_NOTIFY = new RegExp(
  String.raw`^\s*notify = \["[^"]*paneward(\.js)?", "hook", "codex"(, "--url", ${TOML_STRING})?\]\s*$`,
);

/**
 * Codex's config.toml with `notify` pointing at paneward and the hooks feature on, changed as little as possible:
 * a notify that runs another program is left alone (Codex runs one) and reported; with `retarget`, paneward's own
 * notify line to another URL is moved.
 */
export function mergeCodexToml(toml: string, notify: string[], retarget: boolean): { toml: string; changed: string[]; conflict: string | null } {
  const changed: string[] = [];
  let out = toml;
  const firstTable = out.search(/^\s*\[/m);
  const top = firstTable === -1 ? out : out.slice(0, firstTable);
  const existing = /^\s*notify\s*=.*$/m.exec(top);
  let conflict: string | null = null;
  if (!existing) {
    out = `notify = ${tomlArray(notify)}\n${out}`;
    changed.push('notify');
  } else if (!/paneward/.test(existing[0]) || !/"codex"/.test(existing[0])) {
    conflict = `config.toml already has ${existing[0].trim()}; Codex runs one notify program: make it run ${notify.join(' ')} too`;
  } else if (retarget && GENERATED_NOTIFY.test(existing[0]) && existing[0].trim() !== `notify = ${tomlArray(notify)}`) {
    // paneward's own notify line, as an earlier install wrote it, to another URL: moved. Any other shape is the user's.
    const line = existing[0].replace(/\S.*$/, () => `notify = ${tomlArray(notify)}`);
    out = `${out.slice(0, existing.index)}${line}${out.slice(existing.index + existing[0].length)}`;
    changed.push('notify');
  }
  const features = /^\s*\[features\]\s*$/m.exec(out);
  if (!features) {
    out = `${out.replace(/\n*$/, '\n')}\n[features]\ncodex_hooks = true\n`;
    changed.push('features.codex_hooks');
  } else {
    const after = out.slice(features.index + features[0].length);
    const nextTable = after.search(/^\s*\[/m);
    const section = nextTable === -1 ? after : after.slice(0, nextTable);
    if (!/^\s*codex_hooks\s*=/m.test(section)) {
      const at = features.index + features[0].length;
      out = `${out.slice(0, at)}\ncodex_hooks = true${out.slice(at)}`;
      changed.push('features.codex_hooks');
    }
  }
  return { toml: out, changed, conflict };
}
