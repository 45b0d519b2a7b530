// A generic-pool of control clients for one tmux server, with recycling, create back-off and stats.
import genericPool, { type Pool } from 'generic-pool';
import { ControlClient } from './client.ts';
import { TrustedFormat, command, flags, messageFormat } from './command.ts';
import { TmuxError } from './errors.ts';
import { safely } from './observe.ts';
import type { ExecRunner } from './exec.ts';
import { listSessionsCommand } from './queries.ts';
import type { PoolStats, TmuxObserver } from './types.ts';

/*
 * Defaults: the tmux server is single-threaded, so splitting a cycle's captures over more connections barely helps
 * (docs/performance.md). One warm connection does the batch; a second covers an overlapping query and replaces a
 * dying one without a cold start. More would keep more attached clients (visible in `list-clients`, each firing
 * client-attached hooks) for no speed gain.
 */
export const POOL_DEFAULTS = {
  min: 1,
  max: 2,
  acquireTimeoutMs: 5000,
  idleTimeoutMs: 60_000, // idle above `min` is closed after this
  evictionIntervalMs: 10_000,
  maxAgeMs: 30 * 60_000, // recycle so a client never lives through days of server state
  maxUses: 10_000,
  pingAfterIdleMs: 5000, // a connection idle this long is pinged on borrow (catches SIGSTOPped children)
  pingTimeoutMs: 1000,
  backoffInitialMs: 200,
  backoffMaxMs: 10_000,
} as const;

export interface ControlPoolOptions {
  socket: string;
  exec: ExecRunner; // finds a session to attach to (`list-sessions`) without a control client
  min?: number;
  max?: number;
  commandTimeoutMs?: number;
  acquireTimeoutMs?: number;
  idleTimeoutMs?: number;
  evictionIntervalMs?: number;
  maxAgeMs?: number;
  maxUses?: number;
  pingAfterIdleMs?: number;
  pingTimeoutMs?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  observer?: TmuxObserver;
  tmuxBinary?: string;
}

/**
 * Notifications that mean pane details (names, indexes, sizes, the set of windows) may have changed without any
 * pane printing. tmux sends them to every control client, except %layout-change, which only the clients attached to
 * the window's session get.
 */
const STRUCTURE_NOTIFICATIONS: ReadonlySet<string> = new Set([
  'sessions-changed',
  'session-renamed',
  'window-add',
  'window-close',
  'window-renamed',
  'window-pane-changed',
  'unlinked-window-add',
  'unlinked-window-close',
  'unlinked-window-renamed',
  'layout-change',
  'pane-mode-changed',
]);

const PING = command('display-message', flags('p'), messageFormat(TrustedFormat.literal`#{pid}`));

export class ControlPool {
  readonly socket: string;
  private readonly pool: Pool<ControlClient>;
  private readonly opts: Required<Omit<ControlPoolOptions, 'observer' | 'tmuxBinary' | 'exec'>>;
  private readonly reasons = new WeakMap<ControlClient, string>();
  private readonly createFailureListeners = new Set<(err: Error) => void>();
  private readonly abort = new AbortController();
  private closing = false;
  private abandoned = 0; // acquires we gave up on after a create failure; generic-pool still holds them
  private inUse = 0;
  private failures = 0;
  private nextCreateAt = 0;
  private sessionCursor = 0;
  private createdTotal = 0;
  private readonly destroyedTotal: Record<string, number> = {};
  private borrows = 0;
  private reusedBorrows = 0;
  private readonly acquireWait = { count: 0, sumMs: 0, lastMs: 0 };
  lastCreateError: Error | null = null;
  /** Rises on every structure notification and every new connection: details known at another mark may be stale. */
  structureChanges = 0;

  constructor(private readonly options: ControlPoolOptions) {
    this.socket = options.socket;
    const max = Math.max(1, options.max ?? POOL_DEFAULTS.max);
    this.opts = {
      socket: options.socket,
      min: Math.min(max, Math.max(0, options.min ?? POOL_DEFAULTS.min)),
      max,
      commandTimeoutMs: options.commandTimeoutMs ?? 5000,
      acquireTimeoutMs: options.acquireTimeoutMs ?? POOL_DEFAULTS.acquireTimeoutMs,
      idleTimeoutMs: options.idleTimeoutMs ?? POOL_DEFAULTS.idleTimeoutMs,
      evictionIntervalMs: options.evictionIntervalMs ?? POOL_DEFAULTS.evictionIntervalMs,
      maxAgeMs: options.maxAgeMs ?? POOL_DEFAULTS.maxAgeMs,
      maxUses: options.maxUses ?? POOL_DEFAULTS.maxUses,
      pingAfterIdleMs: options.pingAfterIdleMs ?? POOL_DEFAULTS.pingAfterIdleMs,
      pingTimeoutMs: options.pingTimeoutMs ?? POOL_DEFAULTS.pingTimeoutMs,
      backoffInitialMs: options.backoffInitialMs ?? POOL_DEFAULTS.backoffInitialMs,
      backoffMaxMs: options.backoffMaxMs ?? POOL_DEFAULTS.backoffMaxMs,
    };
    this.pool = genericPool.createPool<ControlClient>(
      {
        create: () => this.create(),
        destroy: (client) => this.destroy(client),
        validate: (client) => this.validate(client),
      },
      {
        min: this.opts.min,
        max: this.opts.max,
        testOnBorrow: true,
        acquireTimeoutMillis: this.opts.acquireTimeoutMs,
        evictionRunIntervalMillis: this.opts.evictionIntervalMs,
        softIdleTimeoutMillis: this.opts.idleTimeoutMs, // keeps `min` alive, unlike idleTimeoutMillis
        idleTimeoutMillis: 2 ** 31 - 1,
        fifo: false, // reuse the most recent (warm) connection; the others go idle and get evicted
      },
    );
  }

  /** False while create is backing off after a failure and no idle connection is left: use exec meanwhile. */
  get connectable(): boolean {
    return this.failures === 0 || Date.now() >= this.nextCreateAt || this.pool.available > 0;
  }

  /** Borrow a connection for `fn`; a connection that died during `fn` is destroyed, not returned. */
  async use<T>(fn: (client: ControlClient) => Promise<T>): Promise<T> {
    const started = performance.now();
    const client = await this.acquire();
    this.inUse++;
    const waited = performance.now() - started;
    this.acquireWait.count++;
    this.acquireWait.sumMs += waited;
    this.acquireWait.lastMs = waited;
    this.borrows++;
    if (client.uses > 0) this.reusedBorrows++;
    safely(() => this.options.observer?.onAcquire?.(this.socket, waited / 1000));
    try {
      return await fn(client);
    } finally {
      this.inUse--;
      if (client.alive) await this.pool.release(client);
      else {
        this.reasons.set(client, 'dead');
        await this.pool.destroy(client);
      }
    }
  }

  stats(): PoolStats {
    return {
      size: this.pool.size,
      idle: this.pool.available,
      borrowed: this.pool.borrowed,
      pending: this.pool.pending,
      min: this.opts.min,
      max: this.opts.max,
      createdTotal: this.createdTotal,
      destroyedTotal: { ...this.destroyedTotal },
      acquireWaitMs: { ...this.acquireWait },
      reuseRatio: this.borrows === 0 ? 0 : this.reusedBorrows / this.borrows,
    };
  }

  /** Waits for borrowed connections to come back, then closes all of them. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.abort.abort();
    if (this.abandoned === 0) await this.pool.drain();
    else {
      // drain() would wait for the abandoned requests to time out; wait for our own borrowers instead.
      while (this.inUse > 0) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await this.pool.clear();
  }

  /**
   * generic-pool never rejects a waiting acquire when create fails; it retries (and would spin without our
   * back-off). So a waiter also listens for create failures and gives up on the first one; if the abandoned
   * acquire is served later, that connection goes straight back.
   */
  private async acquire(): Promise<ControlClient> {
    // With no live connection, check cheaply that one can be made before queueing on generic-pool:
    // a queued request whose create fails stays queued (and retried) until acquireTimeoutMs.
    if (this.pool.available + this.pool.borrowed === 0) {
      try {
        await this.sessions();
      } catch (err) {
        this.recordCreateFailure(err as Error);
        throw err;
      }
    }
    return this.acquireQueued();
  }

  private acquireQueued(): Promise<ControlClient> {
    const acquiring = this.pool.acquire();
    return new Promise((resolve, reject) => {
      let settled = false;
      const onCreateFailure = (err: Error) =>
        finish(() => {
          this.abandoned++;
          void acquiring.then(
            () => undefined,
            () => undefined,
          ).finally(() => this.abandoned--);
          reject(err);
        });
      const finish = (action: () => void) => {
        if (settled) return;
        settled = true;
        this.createFailureListeners.delete(onCreateFailure);
        action();
      };
      this.createFailureListeners.add(onCreateFailure);
      acquiring.then(
        (client) => {
          if (settled) void this.pool.release(client);
          else finish(() => resolve(client));
        },
        (err: Error) =>
          finish(() =>
            reject(
              err.name === 'TimeoutError'
                ? new TmuxError('timeout', `no tmux connection within ${this.opts.acquireTimeoutMs} ms`, this.socket)
                : err,
            ),
          ),
      );
    });
  }

  private async create(): Promise<ControlClient> {
    const wait = this.nextCreateAt - Date.now();
    if (this.failures > 0 && wait > 0) await abortableSleep(wait, this.abort.signal);
    if (this.closing) {
      // generic-pool re-creates at once for a still-queued request; a short pause keeps that from spinning.
      await new Promise((resolve) => setTimeout(resolve, 50));
      throw new TmuxError('connection_lost', 'pool is closing', this.socket);
    }
    try {
      const sessions = await this.sessions();
      // Spread connections over sessions, so killing one session does not take every connection at once.
      const session = sessions[this.sessionCursor++ % sessions.length]!;
      const client = await ControlClient.connect({
        socket: this.socket,
        session,
        commandTimeoutMs: this.opts.commandTimeoutMs,
        tmuxBinary: this.options.tmuxBinary,
        onNotification: (n) => {
          if (STRUCTURE_NOTIFICATIONS.has(n.name)) this.structureChanges++;
        },
        onCommandDone: (ok) => safely(() => this.options.observer?.onCommandDone?.('pool', ok)),
      });
      // Whatever happened before this connection existed went unheard.
      this.structureChanges++;
      this.failures = 0;
      this.lastCreateError = null;
      this.createdTotal++;
      safely(() => this.options.observer?.onConnectionCreated?.(this.socket));
      return client;
    } catch (err) {
      this.recordCreateFailure(err as Error);
      throw err;
    }
  }

  private async sessions(): Promise<string[]> {
    const sessions = (await this.options.exec.run(listSessionsCommand)).split('\n').filter((s) => s !== '');
    if (sessions.length === 0) throw new TmuxError('no_sessions', `no sessions on ${this.socket}`, this.socket);
    return sessions;
  }

  private recordCreateFailure(err: Error): void {
    this.failures++;
    this.nextCreateAt = Date.now() + Math.min(this.opts.backoffMaxMs, this.opts.backoffInitialMs * 2 ** (this.failures - 1));
    this.lastCreateError = err;
    for (const listener of [...this.createFailureListeners]) listener(err);
  }

  private async validate(client: ControlClient): Promise<boolean> {
    const retire = (reason: string) => {
      this.reasons.set(client, reason);
      return false;
    };
    if (!client.alive) return retire('dead');
    if (Date.now() - client.createdAt >= this.opts.maxAgeMs) return retire('max_age');
    if (client.uses >= this.opts.maxUses) return retire('max_uses');
    if (Date.now() - client.lastUsedAt >= this.opts.pingAfterIdleMs) {
      const ok = await client.run(PING, { timeoutMs: this.opts.pingTimeoutMs }).then(
        (r) => r.ok,
        () => false,
      );
      if (!ok) return retire('validate_failed');
    }
    return true;
  }

  private async destroy(client: ControlClient): Promise<void> {
    const reason = this.reasons.get(client) ?? (this.closing ? 'shutdown' : client.alive ? 'idle' : 'dead');
    this.destroyedTotal[reason] = (this.destroyedTotal[reason] ?? 0) + 1;
    safely(() => this.options.observer?.onConnectionDestroyed?.(this.socket, reason));
    await client.close();
  }
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}
