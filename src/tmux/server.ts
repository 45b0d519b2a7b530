// One tmux server as the monitor sees it: queries go through the pool or exec, with automatic fallback.
import { setTimeout as sleep } from 'node:timers/promises';
import type { CommandResult, ControlClient } from './client.ts';
import { isTmuxId } from './command.ts';
import { TmuxError } from './errors.ts';
import { ExecRunner } from './exec.ts';
import { safely } from './observe.ts';
import { ControlPool, type ControlPoolOptions } from './pool.ts';
import type { TmuxCommand } from './command.ts';
import {
  activeListQueries,
  captureCommand,
  paneBucketQuery,
  paneDetailQuery,
  paneListQuery,
  paneText,
  parsePaneIds,
  parsePaneList,
  OUTPUT_FACT_FIELDS,
  type ListedPane,
  type PaneListQuery,
} from './queries.ts';
import { samePaneFields, type PaneInfo, type PaneListing, type PoolStats, type Strategy, type TmuxObserver, type TmuxServer, type TmuxServerStatus } from './types.ts';

/**
 * A quiet pane's full details (names, size, current command) are asked once per this many refreshes between
 * cycles: each asks the panes whose number ends in one digit, so none pays for all (a full list of every pane
 * costs tmux several times a summary list; docs/performance.md).
 */
const DETAIL_BUCKETS = 10;
/** Panes a list left out but must know now are asked one by one up to this many; beyond, the list asks everything. */
const MAX_FOLLOW_UPS = 50;

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
  /** Last full details of every pane, by pane id; valid while the pool's structure mark stays `knownMark`. */
  private known = new Map<string, PaneInfo>();
  private knownMark: number | null = null;
  private bucket = 0;
  private lastListAt = 0;
  /** The refresh of quiet panes in flight: the next list waits for it, so its details are in. */
  private refreshing: Promise<void> | null = null;
  /**
   * What the last list asked (for tests and benches): how many panes it listed, how many of them in full, and of how
   * many only what their output changes.
   */
  lastList: { panes: number; detailed: number; outputFacts: number; everything: boolean } | null = null;
  /** What the last refreshQuiet() did: how many panes it asked in full and how many of those had changed. */
  lastRefresh: { detailed: number; changed: number } | null = null;
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
      onCommandDone: (ok) => safely(() => opts.observer?.onCommandDone?.('exec', ok)),
    });
  }

  /**
   * Every pane of every session. Through the pool, a list asks every pane only its id, asks the panes active since
   * the previous list or dead (tmux filters them) whether and how their output changed them (activity, title,
   * command, pid, indexes), and asks full details only of panes that are new or whose dead flag moved; the rest keep
   * the details last seen, which refreshQuiet() renews between cycles. Anything that changes details without output
   * (a rename, a new or closed window, a layout change) reaches the pool as a notification and makes the next list
   * ask everything.
   * Exec gets no notifications, so it always asks everything.
   */
  async listPanes(): Promise<PaneInfo[]> {
    return (await this.listAndCapture([])).panes;
  }

  /**
   * listPanes(), and the screens of `capture` asked in the same write: tmux captures them right after the list,
   * while the caller reads the list, and no second round trip waits for tmux. Through exec the captures follow the
   * list.
   */
  async listAndCapture(capture: readonly string[]): Promise<PaneListing> {
    const ids = capturable(capture);
    await this.refreshing;
    const startedAt = Date.now();
    const listed = await this.query<{ panes: PaneInfo[]; screens: Promise<Map<string, string>> | null }>(
      { panes: [], screens: null },
      (client, pool) => this.listThroughPool(client, pool, ids),
      async () => {
        try {
          return { panes: this.remember(await this.listAll((query) => this.exec.run(query.command)), null), screens: null };
        } catch (err) {
          if (err instanceof TmuxError && err.code === 'command_failed' && NO_PANES.test(err.message)) return { panes: [], screens: null };
          throw err;
        }
      },
    );
    this.lastListAt = startedAt;
    return { panes: listed.panes, screens: listed.screens ?? this.capturePanes(ids) };
  }

  private async listThroughPool(
    client: ControlClient,
    pool: ControlPool,
    capture: readonly string[],
  ): Promise<{ panes: PaneInfo[]; screens: Promise<Map<string, string>> }> {
    const mark = pool.structureChanges;
    const active = mark === this.knownMark && this.lastListAt > 0 ? activeListQueries(this.activeSince()) : null;
    const full = active ? null : paneListQuery();
    const listCommands = active ? [active.ids, active.active.command] : [full!.command];
    const replies = client.runBatch(listCommands);
    // A moment later, so that tmux reads and runs the list alone and writes its reply before it takes the captures
    // (queued behind the list, they cost no time): the caller reads the list while tmux captures, and the list's
    // reply comes sooner (docs/performance.md).
    const screens =
      capture.length === 0
        ? Promise.resolve(new Map<string, string>())
        : sleep(1).then(() => screensOf(capture, client.runBatch(capture.map(captureCommand))));
    // The caller gets this promise only if the list succeeds; a failed list must not leave it rejecting unheard.
    screens.catch(() => undefined);
    const texts = await Promise.all(listCommands.map(async (cmd, i) => replyText(await replies[i]!, cmd, this.socket)));
    if (active) {
      let listed = this.mergeActive(parsePaneIds(texts[0]!), texts[1]!, active.active.separator);
      // Panes left out that we do not know as they are (new without printing, or their dead flag moved).
      const missing: string[] = [];
      for (const p of listed) if (p.detail === null && !this.knownAs(p)) missing.push(p.summary.paneId);
      if (missing.length > 0 && missing.length <= MAX_FOLLOW_UPS) listed = await this.followUp(client, listed, missing);
      // Complete only if nothing moved meanwhile and every pane left out is one we know as it is.
      const complete = missing.length === 0 || listed.every((p) => p.detail !== null || this.knownAs(p));
      if (pool.structureChanges === mark && complete) return { panes: this.remember(listed, mark), screens };
      const markBefore = pool.structureChanges;
      const run = async (query: PaneListQuery) => replyText(await client.run(query.command), query.command, this.socket);
      return { panes: this.remember(await this.listAll(run), markBefore), screens };
    }
    return { panes: this.remember(parsePaneList(texts[0]!, full!.separator, this.socket), mark), screens };
  }

  /** Asks the details of `paneIds` in one pipelined round trip and fills them in; a pane gone meanwhile stays bare. */
  private async followUp(client: ControlClient, listed: ListedPane[], paneIds: string[]): Promise<ListedPane[]> {
    const queries = paneIds.map(paneDetailQuery);
    const replies = await Promise.all(client.runBatch(queries.map((q) => q.command)));
    const details = new Map<string, ListedPane>();
    replies.forEach((reply, i) => {
      if (!reply.ok) return;
      const [pane] = parsePaneList(reply.lines.join('\n'), queries[i]!.separator, this.socket);
      if (pane?.detail) details.set(pane.summary.paneId, pane);
    });
    return listed.map((p) => (p.detail === null ? (details.get(p.summary.paneId) ?? p) : p));
  }

  /** The epoch second from which a window's activity is news to us. */
  private activeSince(): number {
    // Activity is kept in whole seconds: one second of margin covers a change just before the last list.
    return Math.max(0, Math.floor(this.lastListAt / 1000) - 1);
  }

  /**
   * Asks one bucket of panes (those whose number ends in the next digit) in full, for what changes without
   * activity or a notification we hear: a title set with `select-pane -T`, a command exec'd without output, a
   * resize in a session the pool is not attached to. The loop calls it between cycles, so lists (the cycle's
   * critical path) ask only active panes in full; every pane is refreshed once per DETAIL_BUCKETS calls. Through
   * the pool only, and only while the last list's details stand (exec and a structure change ask everything).
   */
  async refreshQuiet(): Promise<void> {
    if (this.closed || this.strategy !== 'pool' || !this.pool?.connectable || this.knownMark === null) return;
    const pool = this.pool;
    const mark = this.knownMark;
    this.bucket = (this.bucket + 1) % DETAIL_BUCKETS;
    const run = pool.use(async (client) => {
      const query = paneBucketQuery(String(this.bucket));
      const reply = await client.run(query.command);
      return reply.ok ? parsePaneList(reply.lines.join('\n'), query.separator, this.socket, { blankLines: true }) : [];
    });
    this.refreshing = run.then(
      (listed) => this.mergeRefresh(listed, mark),
      () => undefined, // the next list meets whatever went wrong and reports it
    );
    try {
      await this.refreshing;
    } finally {
      this.refreshing = null;
    }
  }

  /** Takes the refreshed details of panes still known as they were; the next list hands them out. */
  private mergeRefresh(listed: ListedPane[], mark: number): void {
    if (this.knownMark !== mark) return; // a list since then knows better
    let detailed = 0;
    let changed = 0;
    for (const { summary, detail } of listed) {
      const known = this.known.get(summary.paneId);
      if (!detail || !known || known.dead !== summary.dead) continue;
      detailed++;
      if (samePaneFields(known, detail, REFRESHED_FIELDS)) continue;
      changed++;
      this.known.set(summary.paneId, detail);
    }
    this.lastRefresh = { detailed, changed };
  }

  private knownAs({ summary }: ListedPane): boolean {
    const pane = this.known.get(summary.paneId);
    return pane !== undefined && pane.dead === summary.dead;
  }

  /**
   * Every pane of `paneIds`: those the filtered list holds (active since the selection, or dead) with their summary
   * and output facts, the others (alive, their activity unchanged since an earlier list) with the summary known for
   * them; a pane we do not know gets a blank summary, which the caller asks about.
   */
  private mergeActive(paneIds: string[], activeOutput: string, separator: string): ListedPane[] {
    const byId = new Map<string, ListedPane>();
    for (const p of parsePaneList(activeOutput, separator, this.socket, { record: 'output' })) byId.set(p.summary.paneId, p);
    return paneIds.map(
      (paneId) =>
        byId.get(paneId) ?? {
          summary: { paneId, windowActivity: this.known.get(paneId)?.windowActivity ?? 0, dead: false },
          detail: null,
          output: null,
        },
    );
  }

  private async listAll(run: (q: PaneListQuery) => Promise<string>): Promise<ListedPane[]> {
    const query = paneListQuery();
    return parsePaneList(await run(query), query.separator, this.socket);
  }

  /**
   * The panes of this list, each with its newest details, remembered for the next list. A pane listed twice (its
   * window linked into two sessions) is one pane: the first listing stands. `mark` is the pool's structure mark
   * the details are complete for (null: none, the next pool list asks everything).
   */
  private remember(listed: ListedPane[], mark: number | null): PaneInfo[] {
    const known = new Map<string, PaneInfo>();
    const panes: PaneInfo[] = [];
    let detailed = 0;
    let outputFacts = 0;
    for (const { summary, detail, output } of listed) {
      if (known.has(summary.paneId)) continue;
      if (detail) detailed++;
      else if (output) outputFacts++;
      let pane = detail ?? this.known.get(summary.paneId)!;
      // Same object when nothing moved, so callers can tell an unchanged pane by identity.
      const newFacts = !detail && output !== null && !samePaneFields(pane, output, OUTPUT_FACT_FIELDS);
      if (newFacts || pane.windowActivity !== summary.windowActivity) {
        pane = { ...pane, ...(newFacts ? output : null), windowActivity: summary.windowActivity };
      }
      known.set(summary.paneId, pane);
      panes.push(pane);
    }
    this.known = known;
    this.knownMark = mark;
    this.lastList = { panes: panes.length, detailed, outputFacts, everything: detailed === panes.length };
    return panes;
  }

  async capturePanes(paneIds: readonly string[]): Promise<Map<string, string>> {
    const ids = capturable(paneIds);
    if (ids.length === 0) return new Map();
    return this.query(
      new Map(),
      // One write, one round trip: tmux answers the pipelined commands in order.
      (client) => screensOf(ids, client.runBatch(ids.map(captureCommand))),
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
  private async query<T>(
    empty: T,
    viaPool: (client: ControlClient, pool: ControlPool) => Promise<T>,
    viaExec: () => Promise<T>,
  ): Promise<T> {
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
              result = await pool.use((client) => viaPool(client, pool));
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
    safely(() => this.opts.observer?.onRequest?.(strategy, ok, (performance.now() - started) / 1000));
  }
}

/** The distinct pane ids among `paneIds`; anything else is never sent to tmux. */
function capturable(paneIds: readonly string[]): string[] {
  return [...new Set(paneIds)].filter((id) => isTmuxId(id, ['%']));
}

/** The text of each capture that tmux answered; a pane it refused (gone meanwhile) is left out. */
async function screensOf(ids: readonly string[], replies: Array<Promise<CommandResult>>): Promise<Map<string, string>> {
  const texts = new Map<string, string>();
  (await Promise.all(replies)).forEach((reply, i) => {
    if (reply.ok) texts.set(ids[i]!, paneText(reply.lines));
  });
  return texts;
}

/** A reply's text; "no sessions" is an empty list, any other refusal an error. */
function replyText(reply: CommandResult, cmd: TmuxCommand, socket: string): string {
  if (!reply.ok && NO_PANES.test(reply.lines.join(' '))) return '';
  if (!reply.ok) throw new TmuxError('command_failed', `${cmd.verb}: ${reply.lines.join(' ')}`, socket);
  return reply.lines.join('\n');
}

/** The details a refresh brings; window activity and the dead flag are the list's business. */
const REFRESHED_FIELDS = [
  'serverPid',
  'sessionId',
  'sessionName',
  'windowId',
  'windowIndex',
  'windowName',
  'paneIndex',
  'panePid',
  'currentCommand',
  'deadStatus',
  'deadSignal',
  'width',
  'height',
  'title',
  'active',
] as const satisfies ReadonlyArray<keyof PaneInfo>;
