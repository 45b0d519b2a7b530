// One tmux server as the monitor sees it: queries go through the pool or exec, with automatic fallback.
import type { ControlClient } from './client.ts';
import { isTmuxId } from './command.ts';
import { TmuxError } from './errors.ts';
import { ExecRunner } from './exec.ts';
import { ControlPool, type ControlPoolOptions } from './pool.ts';
import { captureCommand, paneListQuery, paneText, parsePaneList, type ListedPane } from './queries.ts';
import type { PaneInfo, PoolStats, Strategy, TmuxObserver, TmuxServer, TmuxServerStatus } from './types.ts';

/** Longest a pane's current command may go unasked when its window shows no activity. */
const COMMAND_REFRESH_MS = 5000;

function commandKey(p: Pick<ListedPane, 'serverPid' | 'paneId'>): string {
  return `${p.serverPid}${p.paneId}`;
}

/** What `list-panes -a` says on a server that runs without any session (exit-empty off). */
const NO_PANES = /no current target|no sessions/;

export interface TmuxServerOptions {
  socket: string;
  strategy: Strategy;
  poolMin?: number;
  poolMax?: number;
  commandTimeoutMs?: number;
  observer?: TmuxObserver;
  /** Simultaneous subprocesses of the exec strategy. */
  execConcurrency?: number;
  /** Fine-tuning of the pool (timeouts, recycling, back-off); defaults in POOL_DEFAULTS. */
  pool?: Partial<Omit<ControlPoolOptions, 'socket' | 'exec' | 'observer' | 'min' | 'max' | 'commandTimeoutMs'>>;
  tmuxBinary?: string;
}

export class TmuxServerClient implements TmuxServer {
  readonly socket: string;
  private strategy: Strategy;
  private pool: ControlPool | null = null;
  private readonly exec: ExecRunner;
  private readonly retiring = new Set<Promise<void>>();
  private closed = false;
  private commands = new Map<string, string>(); // serverPid + pane id → last current command seen
  private commandsFullAt = 0;
  private lastListAt = 0;
  private state: Omit<TmuxServerStatus, 'socket' | 'strategy'> = {
    up: false,
    reason: 'not queried yet',
    effectiveStrategy: 'exec',
    lastOkAt: null,
  };

  constructor(private readonly opts: TmuxServerOptions) {
    this.socket = opts.socket;
    this.strategy = opts.strategy;
    this.state.effectiveStrategy = opts.strategy;
    this.exec = new ExecRunner(opts.socket, {
      concurrency: opts.execConcurrency,
      timeoutMs: opts.commandTimeoutMs,
      tmuxBinary: opts.tmuxBinary,
    });
  }

  /**
   * Every pane of every session. pane_current_command costs tmux a /proc read per pane (about half of a
   * 1000-pane list), so it is asked only of panes whose window was active since the previous list, and of all
   * panes every COMMAND_REFRESH_MS; the others keep the command last seen.
   */
  async listPanes(): Promise<PaneInfo[]> {
    const startedAt = Date.now();
    const fresh = this.lastListAt > 0 && startedAt - this.commandsFullAt < COMMAND_REFRESH_MS;
    // Activity is kept in whole seconds: one second of margin covers a change just before the last list.
    let since = fresh ? Math.floor(this.lastListAt / 1000) - 1 : null;
    let listed = await this.listOnce(since);
    if (since !== null && listed.some((p) => p.currentCommand === null && !this.commands.has(commandKey(p)))) {
      since = null; // a pane we never saw went unasked (only possible after a silent restart): ask everyone
      listed = await this.listOnce(null);
    }
    if (since === null) this.commandsFullAt = startedAt;
    this.lastListAt = startedAt;
    const commands = new Map<string, string>();
    const panes = listed.map((p) => {
      const key = commandKey(p);
      const currentCommand = p.currentCommand ?? this.commands.get(key) ?? '';
      commands.set(key, currentCommand);
      return { ...p, currentCommand };
    });
    this.commands = commands;
    return panes;
  }

  private listOnce(commandSince: number | null): Promise<ListedPane[]> {
    const query = paneListQuery(commandSince);
    return this.query(
      [],
      async (client) => {
        const reply = await client.run(query.command);
        if (!reply.ok && NO_PANES.test(reply.lines.join(' '))) return [];
        if (!reply.ok) throw new TmuxError('command_failed', `list-panes: ${reply.lines.join(' ')}`, this.socket);
        return parsePaneList(reply.lines.join('\n'), query, this.socket);
      },
      async () => {
        try {
          return parsePaneList(await this.exec.run(query.command), query, this.socket);
        } catch (err) {
          if (err instanceof TmuxError && err.code === 'command_failed' && NO_PANES.test(err.message)) return [];
          throw err;
        }
      },
    );
  }

  async capturePanes(paneIds: string[]): Promise<Map<string, string>> {
    const ids = [...new Set(paneIds)].filter((id) => isTmuxId(id, ['%']));
    if (ids.length === 0) return new Map();
    return this.query(
      new Map(),
      async (client) => {
        // One write, one round trip: tmux answers the pipelined commands in order.
        const replies = await Promise.all(client.runBatch(ids.map(captureCommand)));
        const texts = new Map<string, string>();
        replies.forEach((reply, i) => {
          if (reply.ok) texts.set(ids[i]!, paneText(reply.lines));
        });
        return texts;
      },
      async () => {
        const texts = new Map<string, string>();
        const stop = new AbortController();
        const results = await Promise.allSettled(
          ids.map((id) =>
            this.exec.run(captureCommand(id), { signal: stop.signal }).catch((err: TmuxError) => {
              if (err.code !== 'command_failed') stop.abort(err);
              throw err;
            }),
          ),
        );
        results.forEach((r, i) => {
          if (r.status === 'fulfilled') texts.set(ids[i]!, paneText(r.value.split('\n')));
          else if ((r.reason as TmuxError).code !== 'command_failed') throw r.reason;
        });
        return texts;
      },
    );
  }

  status(): TmuxServerStatus {
    return { socket: this.socket, strategy: this.strategy, ...this.state };
  }

  poolStats(): PoolStats | null {
    return this.pool?.stats() ?? null;
  }

  /** Takes effect for the next query; queries in flight finish on the strategy they started with. */
  setStrategy(strategy: Strategy): void {
    if (strategy === this.strategy) return;
    this.strategy = strategy;
    if (strategy === 'exec' && this.pool) this.retire(this.pool);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.pool) this.retire(this.pool);
    await Promise.all(this.retiring);
  }

  private retire(pool: ControlPool): void {
    if (this.pool === pool) this.pool = null;
    const closing = pool.close().finally(() => this.retiring.delete(closing));
    this.retiring.add(closing);
  }

  private ensurePool(): ControlPool {
    this.pool ??= new ControlPool({
      ...this.opts.pool,
      socket: this.socket,
      exec: this.exec,
      min: this.opts.poolMin,
      max: this.opts.poolMax,
      commandTimeoutMs: this.opts.commandTimeoutMs,
      observer: this.opts.observer,
      tmuxBinary: this.opts.tmuxBinary,
    });
    return this.pool;
  }

  /**
   * Runs a query on the pool when configured and connectable, else (or when the pool fails) by exec.
   * "No server running" is not an error: it yields `empty` and status up:false.
   */
  private async query<T>(empty: T, viaPool: (client: ControlClient) => Promise<T>, viaExec: () => Promise<T>): Promise<T> {
    if (this.closed) throw new Error(`tmux access to ${this.socket} is closed`);
    const started = performance.now();
    let used: Strategy = 'exec';
    try {
      let result: T | undefined;
      if (this.strategy === 'pool') {
        const pool = this.ensurePool();
        if (pool.connectable) {
          // A connection can die before we hear of it (its session was just killed): one retry on a fresh one.
          for (let attempt = 0; attempt < 2 && used === 'exec'; attempt++) {
            try {
              result = await pool.use(viaPool);
              used = 'pool';
            } catch (err) {
              // Died, timed out or could not connect (the pool backs off): exec answers this query.
              if (!(err instanceof TmuxError && err.code === 'connection_lost') || !pool.connectable) break;
            }
          }
        }
      }
      if (used === 'exec') result = await viaExec();
      this.observe(used, true, started);
      this.state = { up: true, reason: null, effectiveStrategy: used, lastOkAt: Date.now() };
      return result as T;
    } catch (err) {
      this.observe(used, false, started);
      const noServer = err instanceof TmuxError && err.code === 'no_server';
      this.state = {
        ...this.state,
        up: false,
        reason: noServer ? `no server running on ${this.socket}` : (err as Error).message,
        effectiveStrategy: used,
      };
      if (noServer) return empty;
      throw err;
    }
  }

  private observe(strategy: Strategy, ok: boolean, started: number): void {
    try {
      this.opts.observer?.onCommand?.(strategy, ok, (performance.now() - started) / 1000);
    } catch {
      // Metrics must never break tmux access.
    }
  }
}
