// Reads and validates WEBHOOKS_FILE (JSON, or YAML by its extension), and reloads it when it changes, keeping
// the last good configuration when a new version is invalid (like the detection profiles).
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../config.ts';
import { WebhooksFileSchema, type WebhooksConfig } from './schemas.ts';

/** A ConfigError, so that a bad file at start stops the server with its one line. */
export class WebhooksFileError extends ConfigError {}

/** Parse and validate the file; throws WebhooksFileError naming the file's entry (`hooks[2].url`) and the rule. */
export function loadWebhooksFile(path: string): WebhooksConfig {
  const raw = readOrExplain(path);
  const parsed = WebhooksFileSchema.safeParse(raw);
  if (!parsed.success) throw new WebhooksFileError(describeIssues(parsed.error.issues, raw));
  return parsed.data;
}

function readOrExplain(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new WebhooksFileError(`WEBHOOKS_FILE: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const yaml = ['.yaml', '.yml'].includes(extname(path).toLowerCase());
  try {
    return yaml ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw new WebhooksFileError(`WEBHOOKS_FILE: ${path} is not valid ${yaml ? 'YAML' : 'JSON'}: ${(err as Error).message.split('\n')[0]}`);
  }
}

/** `hooks[2].url (hook "team"): an http:// or https:// URL` for each issue; never the value, which may be a secret. */
function describeIssues(issues: z.core.$ZodIssue[], raw: unknown): string {
  const lines = issues.slice(0, 5).map((issue) => {
    const where = formatPath(issue.path) || '(the file)';
    return `WEBHOOKS_FILE ${where}${hookName(issue.path, raw)}: ${issue.message}`;
  });
  if (issues.length > 5) lines.push(`… and ${issues.length - 5} more`);
  return lines.join('; ');
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), '');
}

function hookName(path: readonly PropertyKey[], raw: unknown): string {
  if (path[0] !== 'hooks' || typeof path[1] !== 'number' || path[2] === 'name') return '';
  const hooks = (raw as { hooks?: unknown }).hooks;
  const name = Array.isArray(hooks) ? (hooks[path[1]] as { name?: unknown } | undefined)?.name : undefined;
  return typeof name === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(name) ? ` (hook "${name}")` : '';
}

export interface WatchedWebhooks {
  current(): WebhooksConfig;
  /** Re-read now; on an invalid file the previous configuration stays and the error is returned. */
  reload(): { ok: boolean; error: string | null };
  lastError(): string | null;
  loadedAt(): number;
  close(): void;
}

/**
 * Load the file (throwing when it is invalid: a bad file at start stops the server) and watch its directory,
 * since editors replace a file by renaming a new one over it, which a watch on the file itself would miss.
 */
export function watchWebhooksFile(path: string, opts: { onChange(c: WebhooksConfig): void; log(msg: string, level?: 'warn'): void }): WatchedWebhooks {
  let config = loadWebhooksFile(path);
  let loadedAt = Date.now();
  let error: string | null = null;
  function reload() {
    try {
      config = loadWebhooksFile(path);
      loadedAt = Date.now();
      error = null;
      opts.log(`webhooks reloaded: ${config.hooks.map((h) => h.name).join(', ') || 'no hooks'}`);
      opts.onChange(config);
      return { ok: true, error: null };
    } catch (err) {
      error = (err as Error).message;
      opts.log(`webhooks file rejected, keeping the previous hooks: ${error}`, 'warn');
      return { ok: false, error };
    }
  }
  const watcher = watchDirectoryOf(path, reload, opts.log);
  return {
    current: () => config,
    reload,
    lastError: () => error,
    loadedAt: () => loadedAt,
    close: () => watcher?.close(),
  };
}

function watchDirectoryOf(path: string, onChange: () => void, log: (msg: string, level?: 'warn') => void): { close(): void } | null {
  let debounce: NodeJS.Timeout | null = null;
  let watcher: FSWatcher;
  try {
    watcher = watch(dirname(path), (_event, file) => {
      if (file !== null && file !== basename(path)) return;
      if (debounce) clearTimeout(debounce);
      debounce = setTimeout(() => {
        debounce = null;
        onChange();
      }, 200);
      debounce.unref();
    });
  } catch (err) {
    log(`cannot watch the webhooks file's directory: ${(err as Error).message}`, 'warn');
    return null;
  }
  watcher.on('error', (err) => log(`watching the webhooks file failed: ${err.message}`, 'warn'));
  watcher.unref();
  return {
    close() {
      if (debounce) clearTimeout(debounce);
      watcher.close();
    },
  };
}
