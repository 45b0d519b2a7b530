// The commands' view of a paneward server: its HTTP API at PANEWARD_URL, with API_TOKEN as a bearer token. Replies
// are checked against the API's own zod schemas, so a client and a server of different versions fail clearly.
import type { z } from 'zod';

export const DEFAULT_URL = 'http://127.0.0.1:7700';

export interface ServerAddress {
  url: URL;
  token: string | undefined;
}

export function serverFromEnv(env: NodeJS.ProcessEnv = process.env): ServerAddress {
  const text = env.PANEWARD_URL?.trim() || DEFAULT_URL;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`PANEWARD_URL=${JSON.stringify(text)} is not a URL (e.g. ${DEFAULT_URL})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`PANEWARD_URL must be http:// or https://, not ${url.protocol}`);
  return { url, token: env.API_TOKEN?.trim() || undefined };
}

export function authHeaders(server: ServerAddress): Record<string, string> {
  return server.token ? { authorization: `Bearer ${server.token}` } : {};
}

/** GET `path` (with `query`) and parse the JSON reply with `schema`; errors say what went wrong in one line. */
export async function getJson<S extends z.ZodType>(
  server: ServerAddress,
  path: string,
  schema: S,
  query: Record<string, string | undefined> = {},
): Promise<z.infer<S>> {
  const url = new URL(path, server.url);
  for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v);
  let res: Response;
  try {
    res = await fetch(url, { headers: { accept: 'application/json', ...authHeaders(server) } });
  } catch (err) {
    throw new Error(`cannot reach ${server.url.origin} (${causeOf(err)}): is \`paneward serve\` running? Set PANEWARD_URL otherwise`);
  }
  const body: unknown = await res.json().catch(() => null);
  if (!res.ok) throw new Error(`${res.status} from ${url.pathname}: ${messageOf(body) ?? res.statusText}${res.status === 401 ? ' (set API_TOKEN)' : ''}`);
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new Error(`unexpected reply from ${url.pathname}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

function messageOf(body: unknown): string | null {
  return typeof body === 'object' && body !== null && 'message' in body && typeof body.message === 'string' ? body.message : null;
}

export function causeOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message;
}
