// Configuration: read once from the environment by one zod schema; defaults live here and nowhere else.
import { hostname } from 'node:os';
import { z } from 'zod';
import { parseHostPorts, type RedisTarget } from './store/redis-connection.ts';
import { currentSocketPath, defaultSocketPath } from './tmux/index.ts';

const intFrom = (min: number, max: number) => {
  const allowed = { error: `a whole number from ${min} to ${max}` };
  return z.coerce.number(allowed).int(allowed).min(min, allowed).max(max, allowed);
};
/** Variables whose value an error message must not repeat: it may be, or hold, a secret. */
const SECRET = new Set(['API_TOKEN', 'REDIS_URL', 'REDIS_PASSWORD']);
const boolFrom = z.stringbool();
const hostPorts = z.string().transform((text, ctx) => {
  try {
    const list = parseHostPorts(text);
    if (list.length > 0) return list;
    ctx.addIssue({ code: 'custom', message: 'a comma-separated list of host:port' });
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `${(err as Error).message}: a comma-separated list of host:port` });
  }
  return z.NEVER;
});

export const ConfigSchema = z
  .object({
    HOST: z.string().min(1).default('127.0.0.1').describe('Address to listen on; a non-loopback address needs API_TOKEN'),
    PORT: intFrom(0, 65535).default(7700).describe('TCP port of the HTTP API'),
    TMUX_SOCKETS: z
      .string()
      .optional()
      .describe("Comma-separated tmux socket paths to monitor (default: the tmux server paneward runs inside ($TMUX), else the user's default server)"),
    TMUX_STRATEGY: z.enum(['pool', 'exec']).default('pool').describe('How to talk to tmux: pooled control mode or one subprocess per command'),
    POOL_MIN: intFrom(0, 64).default(1).describe('Control-mode connections kept open per tmux server'),
    POOL_MAX: intFrom(1, 64).default(2).describe('Most control-mode connections per tmux server'),
    POLL_INTERVAL_MS: intFrom(50, 3_600_000).default(1000).describe('Time between the starts of two poll cycles'),
    CAPTURE_MAX_AGE_MS: intFrom(0, 3_600_000)
      .default(30_000)
      .describe('Re-capture a pane at least this often even when tmux reports no activity'),
    REDIS_URL: z
      .url({ protocol: /^rediss?$/, hostname: /./, error: 'a redis:// or rediss:// URL with a host, e.g. redis://127.0.0.1:6379' })
      .optional().describe('Redis to store agents in (unset: embedded in-memory store)'),
    REDIS_CLUSTER_NODES: hostPorts.optional().describe('Seed nodes of a Redis Cluster, host:port,… (instead of REDIS_URL)'),
    REDIS_SENTINELS: hostPorts.optional().describe('Redis Sentinels, host:port,…, with REDIS_SENTINEL_NAME (instead of REDIS_URL)'),
    REDIS_SENTINEL_NAME: z.string().min(1).optional().describe('Name of the master the Sentinels watch'),
    REDIS_PASSWORD: z.string().min(1).optional().describe('Password of the Cluster nodes or of the master named by Sentinels'),
    AGENT_TTL_SECONDS: intFrom(5, 86_400).default(60).describe('Agents of a monitor that stopped writing expire from Redis after this'),
    MONITOR_ID: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, dot, dash or underscore, at most 64')
      .default(() => hostname().replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 64) || 'paneward')
      .describe('Name of this monitor; part of every agent id (default: the hostname)'),
    API_TOKEN: z.string().min(16, 'at least 16 characters').optional().describe('Bearer token required on /v1/* when set'),
    METRICS_AUTH: boolFrom.default(false).describe('Also require API_TOKEN on /metrics'),
    PROFILES_DIR: z.string().optional().describe('Directory of detection profiles that add to or override the built-in ones'),
    STUCK_AFTER_MS: intFrom(1000, 86_400_000).default(120_000).describe('A working agent whose screen is still this long is stuck'),
    IDLE_AFTER_MS: intFrom(100, 86_400_000).default(5000).describe('A program silent this long is idle'),
    CORS_ORIGINS: z
      .string()
      .optional()
      .describe('Comma-separated origins allowed to call the API and the event stream from a browser, e.g. https://board.example.com (default: none, CORS off)'),
    EVENTS_HEARTBEAT_MS: intFrom(1000, 15_000).default(15_000).describe('Heartbeat comment on /v1/events at least this often'),
    EVENTS_CLIENT_BUFFER_BYTES: intFrom(1024, 64 * 1024 * 1024)
      .default(1024 * 1024)
      .describe('Events waiting for one /v1/events client that stopped reading; past this it is disconnected (it resumes with Last-Event-ID)'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('Log level (requests are logged at debug)'),
    LOG_FORMAT: z
      .enum(['auto', 'json', 'pretty'])
      .default('auto')
      .describe('Log lines as JSON or pretty-printed; auto: pretty when stdout is a terminal, JSON otherwise'),
  })
  .refine((c) => c.POOL_MIN <= c.POOL_MAX, { message: 'must not be larger than POOL_MAX', path: ['POOL_MIN'] })
  .refine((c) => [c.REDIS_URL, c.REDIS_CLUSTER_NODES, c.REDIS_SENTINELS].filter(Boolean).length <= 1, {
    message: 'set only one of REDIS_URL, REDIS_CLUSTER_NODES and REDIS_SENTINELS',
    path: ['REDIS_CLUSTER_NODES'],
  })
  .refine((c) => !c.REDIS_SENTINELS || c.REDIS_SENTINEL_NAME, {
    message: 'REDIS_SENTINELS needs REDIS_SENTINEL_NAME, the name of the master they watch',
    path: ['REDIS_SENTINEL_NAME'],
  });

type Env = z.output<typeof ConfigSchema>;

export interface Config {
  host: string;
  port: number;
  sockets: string[];
  strategy: 'pool' | 'exec';
  poolMin: number;
  poolMax: number;
  pollIntervalMs: number;
  captureMaxAgeMs: number;
  /** Where agents are stored: a redis:// URL, a Cluster or Sentinels; undefined for the embedded store. */
  redis: RedisTarget | string | undefined;
  agentTtlSeconds: number;
  monitorId: string;
  apiToken: string | undefined;
  metricsAuth: boolean;
  profilesDir: string | undefined;
  stuckAfterMs: number;
  idleAfterMs: number;
  logLevel: Env['LOG_LEVEL'];
  corsOrigins: string[];
  eventsHeartbeatMs: number;
  eventsClientBufferBytes: number;
  logFormat: Env['LOG_FORMAT'];
}

export class ConfigError extends Error {}

/** Parse the environment; throws ConfigError with one line naming the variable and what is allowed. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const known = Object.fromEntries(
    Object.keys(ConfigSchema.shape).flatMap((k) => (env[k] === undefined || env[k]!.trim() === '' ? [] : [[k, env[k]]])),
  );
  const parsed = ConfigSchema.safeParse(known);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? 'environment');
    const given = SECRET.has(name) ? '' : `=${JSON.stringify(env[name] ?? '')}`;
    throw new ConfigError(`invalid ${name}${given}: ${issue.message}`);
  }
  const e = parsed.data;
  const sockets = e.TMUX_SOCKETS
    ? e.TMUX_SOCKETS.split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [currentSocketPath(env) ?? defaultSocketPath(env)];
  if (sockets.length === 0) throw new ConfigError(`invalid TMUX_SOCKETS=${JSON.stringify(e.TMUX_SOCKETS)}: no socket path in it`);
  for (const s of sockets) {
    if (/[\n\r\0]/.test(s)) throw new ConfigError('invalid TMUX_SOCKETS: a socket path contains a newline or NUL');
  }
  return {
    host: e.HOST,
    port: e.PORT,
    sockets: [...new Set(sockets)],
    strategy: e.TMUX_STRATEGY,
    poolMin: e.POOL_MIN,
    poolMax: e.POOL_MAX,
    pollIntervalMs: e.POLL_INTERVAL_MS,
    captureMaxAgeMs: e.CAPTURE_MAX_AGE_MS,
    redis: redisTarget(e),
    agentTtlSeconds: e.AGENT_TTL_SECONDS,
    monitorId: e.MONITOR_ID,
    apiToken: e.API_TOKEN,
    metricsAuth: e.METRICS_AUTH,
    profilesDir: e.PROFILES_DIR,
    stuckAfterMs: e.STUCK_AFTER_MS,
    idleAfterMs: e.IDLE_AFTER_MS,
    logLevel: e.LOG_LEVEL,
    corsOrigins: parseOrigins(e.CORS_ORIGINS),
    eventsHeartbeatMs: e.EVENTS_HEARTBEAT_MS,
    eventsClientBufferBytes: e.EVENTS_CLIENT_BUFFER_BYTES,
    logFormat: e.LOG_FORMAT,
  };
}

/** CORS_ORIGINS as a list of origins (scheme://host[:port]); `*` alone allows any origin. */
function parseOrigins(value: string | undefined): string[] {
  const origins = (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const origin of origins) {
    if (origin === '*') continue;
    let parsed: URL | null = null;
    try {
      parsed = new URL(origin);
    } catch {
      // reported below
    }
    if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.origin !== origin.replace(/\/$/, '')) {
      throw new ConfigError(`invalid CORS_ORIGINS: ${JSON.stringify(origin)} is not an origin like https://board.example.com (scheme, host, optional port, no path)`);
    }
  }
  return origins.map((o) => o.replace(/\/$/, ''));
}

function redisTarget(e: Env): RedisTarget | undefined {
  const password = e.REDIS_PASSWORD;
  if (e.REDIS_CLUSTER_NODES) return { type: 'cluster', nodes: e.REDIS_CLUSTER_NODES, password };
  if (e.REDIS_SENTINELS) return { type: 'sentinel', sentinels: e.REDIS_SENTINELS, name: e.REDIS_SENTINEL_NAME!, password };
  return e.REDIS_URL ? { type: 'standalone', url: e.REDIS_URL } : undefined;
}

/** Test and embedding convenience: a full config from defaults plus overrides, no environment. */
export function configWith(overrides: Partial<Config> = {}): Config {
  return { ...loadConfig({ TMUX_SOCKETS: '/nonexistent/paneward-test.sock' }), ...overrides };
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost|\[::1\])$/i;
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.test(host);
}

export interface SettingHelp {
  name: string;
  /** The default as text; null when unset by default. */
  default: string | null;
  description: string;
}

/** Every setting of ConfigSchema with its default and description, for `paneward serve --help` and docs. */
export function describeSettings(): SettingHelp[] {
  return Object.entries(ConfigSchema.shape).map(([name, schema]) => {
    const def = schema._zod.def as { type: string; defaultValue?: unknown };
    const value = def.type === 'default' ? def.defaultValue : undefined;
    return { name, default: value === undefined ? null : String(value), description: schema.description ?? '' };
  });
}
