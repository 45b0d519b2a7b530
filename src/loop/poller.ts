// The background loop: one cycle lists every pane of every tmux server, captures the panes that changed,
// classifies them, and writes the agents whose observation changed. Cycles never overlap; ticks that come
// due while a cycle runs are skipped and counted, never queued.
import { createHash } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { AgentObservation, AgentState } from '../agents/model.ts';
import type { Classification, Classifier } from '../detect/types.ts';
import type { AgentStore } from '../store/types.ts';
import type { PaneInfo, TmuxServer } from '../tmux/types.ts';
import { agentId } from './agent-id.ts';
import { CaptureCache } from './capture-cache.ts';

export interface CycleStats {
  startedAt: string;
  durationMs: number;
  ok: boolean;
  panes: number;
  captured: number;
  /**
   * Captures asked together with the list, of the panes that changed in each of their last two cycles (a working
   * agent prints on); those whose pane turned out quiet are not used (`prefetchUnused`).
   */
  prefetched: number;
  prefetchUnused: number;
  captureCacheHits: number;
  /** Panes past the capture max age with nothing moved: captured after the cycle, their news in the next one. */
  capturesAfter: number;
  written: number;
  /** Unchanged agents whose TTL refresh came due: written after the cycle, as they tell readers nothing new. */
  refreshesAfter: number;
  changed: number;
  removed: number;
  /**
   * Where the time went (ms): tmux list, tmux capture (the slowest server's round trip), classification (its own
   * CPU time; panes that need no capture are classified while captures are in flight, so it overlaps captureMs),
   * store writes.
   */
  phases: { listMs: number; captureMs: number; classifyMs: number; storeMs: number };
  errors: string[];
}

export interface PollerOptions {
  monitor: string;
  servers: () => TmuxServer[];
  store: AgentStore;
  classifier: () => Classifier;
  intervalMs: number;
  captureMaxAgeMs: number;
  /** Unchanged agents are re-written this often so their TTL in the store does not lapse. */
  refreshEveryMs: number;
  /**
   * Runs when the upkeep after a cycle is done, in the quiet time before the next tick: the app collects young
   * garbage there (see idle-gc.ts), so that a collection seldom falls inside a cycle.
   */
  betweenCycles?(): void;
  onCycle?(stats: CycleStats): void;
  onSkipped?(): void;
  onTransition?(from: AgentState | null, to: AgentState): void;
  log?: { warn(obj: object, msg: string): void };
}

/** What the loop remembers of one live pane between cycles. */
interface Tracked {
  pane: PaneInfo;
  screen: string;
  screenHash: string;
  screenChangedAt: number;
  classification: Classification | null;
  /** What the store was last given, or told nothing new about; null before the first write. */
  written: Written | null;
  writtenAt: number;
  /** Refreshes come this much before refreshEveryMs, so agents first written together do not refresh together. */
  refreshEarlyMs: number;
}

/**
 * The inputs and outputs of the last observation the store holds. Most panes, most cycles, come back with the
 * same classification object (the detector returns its memo), the same screen and the same pane fields: then the
 * observation would be the same too, and comparing a few references and fields replaces hashing and JSON.
 */
interface Written {
  classification: Classification;
  screenHash: string;
  pane: PaneInfo;
  contentHash: string;
  fingerprint: string;
}

/** An observation to write, and what its pane remembers once it is written. */
interface PendingWrite {
  observation: AgentObservation;
  t: Tracked;
  written: Written;
}

/** What classifying a cycle's panes produces: what moved (written in the cycle) and the refreshes that came due. */
interface CycleOutput {
  changes: PendingWrite[];
  refreshes: PendingWrite[];
  errors: string[];
}

export class Poller {
  private readonly tracked = new Map<string, Tracked>();
  /**
   * Agent ids by pane object: a server hands out the same object while nothing about the pane moved, so most
   * panes, most cycles, get the very string they had (no string built, its hash already known to every Map).
   */
  private readonly ids = new WeakMap<PaneInfo, string>();
  /**
   * Per server, the panes that moved (known panes captured because something changed) in its last cycle, and
   * those that moved in each of its last two: a pane on such a streak, a working agent, is expected to move again,
   * so the next list asks its screen along.
   */
  private readonly streaks = new WeakMap<TmuxServer, { moved: Set<string>; expected: string[] }>();
  readonly captureCache: CaptureCache;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<CycleStats> | null = null;
  /** Upkeep the last cycle left running (see afterCycle); stop() waits for it. */
  private upkeep: Promise<void> | null = null;
  private stopped = true;
  private nextTickAt = 0;
  cyclesRun = 0;
  cyclesSkipped = 0;
  lastCycle: CycleStats | null = null;
  lastSuccessAt: number | null = null;

  constructor(private readonly opts: PollerOptions) {
    this.captureCache = new CaptureCache(opts.captureMaxAgeMs);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.nextTickAt = Date.now();
    this.schedule();
  }

  /** Stop ticking and wait for the cycle in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
    await this.upkeep;
  }

  get isRunning(): boolean {
    return !this.stopped;
  }

  /** Run a cycle now, after the one in flight (if any) finishes. */
  async runNow(): Promise<CycleStats> {
    while (this.running) await this.running.catch(() => undefined);
    return this.runExclusive();
  }

  /** Current classification of every live pane, for metrics. */
  current(): Array<{ id: string; classification: Classification }> {
    const out: Array<{ id: string; classification: Classification }> = [];
    for (const [id, t] of this.tracked) if (t.classification) out.push({ id, classification: t.classification });
    return out;
  }

  /** Every tracked pane with its agent id, for finding the agent a hook names. */
  *trackedPanes(): Generator<{ id: string; pane: PaneInfo }> {
    for (const [id, t] of this.tracked) yield { id, pane: t.pane };
  }

  /**
   * Writes a classification of one tracked pane made outside the cycle (a hook signal fused with its last
   * screen) at once, without asking tmux anything. Resolves with whether the store's record changed.
   */
  async publishNow(id: string, classification: Classification): Promise<boolean> {
    const t = this.tracked.get(id);
    if (!t) return false;
    const now = Date.now();
    t.classification = classification; // observations of the cycle made before this one are stale now (see write)
    const hash = contentHash(t.screenHash, t.pane, classification);
    const observation = toObservation(this.opts.monitor, id, t.pane, t, classification, hash, now);
    const fingerprint = observationFingerprint(observation);
    if (fingerprint === t.written?.fingerprint) return false;
    const written: Written = { classification, screenHash: t.screenHash, pane: t.pane, contentHash: hash, fingerprint };
    return (await this.write([{ observation, t, written }], now)) > 0;
  }

  private schedule(): void {
    if (this.stopped) return;
    const delay = Math.max(0, this.nextTickAt - Date.now());
    this.timer = setTimeout(() => void this.tick(), delay);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    if (this.running) {
      this.skip();
    } else {
      await this.runExclusive().catch(() => undefined);
    }
    this.nextTickAt += this.opts.intervalMs;
    // Ticks that came due while the cycle ran are dropped, not run back to back.
    while (this.nextTickAt <= Date.now()) {
      this.nextTickAt += this.opts.intervalMs;
      this.skip();
    }
    this.schedule();
  }

  private skip(): void {
    this.cyclesSkipped++;
    this.opts.onSkipped?.();
  }

  private runExclusive(): Promise<CycleStats> {
    const run = this.cycle().finally(() => {
      this.running = null;
    });
    this.running = run;
    return run;
  }

  private async cycle(): Promise<CycleStats> {
    const started = Date.now();
    const t0 = performance.now();
    const errors: string[] = [];
    const servers = this.opts.servers();
    await this.upkeep; // the last cycle's upkeep (only still running when cycles come back to back)

    const listing = Promise.all(
      servers.map(async (server) => {
        const expected = this.streaks.get(server)?.expected ?? [];
        // Taken before the request, as for any capture (see capturedAt below).
        const askedAt = Date.now();
        try {
          const { panes, screens } = await server.listAndCapture(expected);
          const prefetch = { ids: new Set(expected), screens: settled(screens), askedAt, landed: false };
          void prefetch.screens.then(() => (prefetch.landed = true));
          return { server, panes, ok: true, prefetch };
        } catch (err) {
          errors.push(`${server.socket}: list-panes failed: ${(err as Error).message}`);
          return { server, panes: [] as PaneInfo[], ok: false, prefetch: null };
        }
      }),
    );
    const classifier = this.opts.classifier();
    // The classifier's upkeep runs while tmux works on the lists: one turn of the event loop first, so the
    // requests are on their way before this blocks.
    await nextTurn();
    try {
      classifier.prepare?.();
    } catch (err) {
      errors.push(`classifier upkeep failed: ${(err as Error).message}`);
    }
    const listed = await listing;

    const t1 = performance.now();
    const now = Date.now();
    const seen = new Set<string>();
    const answered = new Set<string>();
    let captured = 0;
    let prefetched = 0;
    let prefetchUnused = 0;
    let hits = 0;
    let captureMs = 0;
    let classifyMs = 0;
    const expired = new Map<TmuxServer, Array<{ id: string; pane: PaneInfo }>>();
    const out: CycleOutput = { changes: [], refreshes: [], errors };
    /** Quiet panes classified while the store writes the changes (see below), by server. */
    const afterWrite: Array<Array<{ id: string; pane: PaneInfo }>> = [];
    const classifyAll = (panes: Array<{ id: string; pane: PaneInfo }>, into = out) => {
      const started = performance.now();
      for (const { id, pane } of panes) this.classifyPane(classifier, id, pane, now, into);
      classifyMs += performance.now() - started;
    };

    await Promise.all(
      listed.map(async ({ server, panes, ok, prefetch }) => {
        if (ok) answered.add(server.socket);
        const wanted: Array<{ id: string; pane: PaneInfo }> = [];
        const quiet: Array<{ id: string; pane: PaneInfo }> = [];
        const due: Array<{ id: string; pane: PaneInfo }> = [];
        for (const pane of panes) {
          const id = this.idOf(pane);
          seen.add(id);
          const need = this.captureCache.check(id, pane, now);
          if (need === 'changed') {
            wanted.push({ id, pane });
            continue;
          }
          if (need === 'fresh') hits++;
          else due.push({ id, pane });
          quiet.push({ id, pane });
        }
        if (due.length > 0) expired.set(server, due);
        if (ok) this.noteStreaks(server, wanted);
        const withList = prefetch?.ids ?? new Set<string>();
        const toCapture = wanted.filter((w) => !withList.has(w.pane.paneId));
        prefetched += withList.size;
        prefetchUnused += withList.size - (wanted.length - toCapture.length);
        // Taken before the request: output landing while the capture is in flight must not count as seen.
        const capturedAt = Date.now();
        const captureStarted = performance.now();
        const capture = settled(toCapture.length > 0 ? server.capturePanes(toCapture.map((w) => w.pane.paneId)) : Promise.resolve(new Map()));
        if (toCapture.length > 0 || prefetch?.landed === false) {
          // Panes that need no capture are classified while tmux works on the captures: the two run on different
          // cores. One turn of the event loop first, so the request is on its way before this blocks.
          await nextTurn();
          classifyAll(quiet);
        } else {
          // No capture to hide them behind: the quiet panes wait for the store write of this cycle's changes.
          afterWrite.push(quiet);
        }
        if (wanted.length === 0) return;
        const [asked, along] = await Promise.all([capture, prefetch?.screens ?? settled(Promise.resolve(new Map()))]);
        captureMs = Math.max(captureMs, Math.max(asked.at, along.at) - captureStarted);
        for (const result of [asked, along]) {
          if ('err' in result) errors.push(`${server.socket}: capture failed: ${result.err.message}`);
        }
        for (const { id, pane } of wanted) {
          const fromList = withList.has(pane.paneId);
          const result = fromList ? along : asked;
          const text = 'screens' in result ? result.screens.get(pane.paneId) : undefined;
          if (text === undefined) continue;
          captured++;
          this.rememberCapture(id, pane, text, fromList ? prefetch!.askedAt : capturedAt);
        }
        classifyAll(wanted);
      }),
    );

    const t3 = performance.now();
    let changed = 0;
    let written = 0;
    const writeOut = async (pending: PendingWrite[]) => {
      try {
        changed += await this.write(pending, now);
        written += pending.length;
      } catch (err) {
        errors.push(`store write failed: ${(err as Error).message}`);
      }
    };
    // The store takes the changed panes while this process classifies the quiet ones (Redis runs on the other
    // core); what those bring (an agent gone idle, a refresh come due) is written after.
    const writing = writeOut(out.changes);
    if (afterWrite.length > 0) {
      await nextTurn(); // the write on its way first
      const quietOut: CycleOutput = { changes: [], refreshes: out.refreshes, errors };
      for (const quiet of afterWrite) classifyAll(quiet, quietOut);
      await writing;
      if (quietOut.changes.length > 0) await writeOut(quietOut.changes);
    } else {
      await writing;
    }

    // Panes gone from a server that answered are gone; a server that failed to answer keeps its agents.
    const gone: string[] = [];
    for (const [id, t] of this.tracked) {
      if (!seen.has(id) && answered.has(t.pane.socket)) gone.push(id);
    }
    for (const id of gone) {
      this.tracked.delete(id);
      this.captureCache.forget(id);
      classifier.forget(id);
    }
    if (gone.length > 0) {
      await this.opts.store.remove(gone).catch((err: Error) => errors.push(`store remove failed: ${err.message}`));
    }

    const stats: CycleStats = {
      startedAt: new Date(started).toISOString(),
      durationMs: Date.now() - started,
      ok: errors.length === 0,
      panes: seen.size,
      captured,
      prefetched,
      prefetchUnused,
      captureCacheHits: hits,
      capturesAfter: [...expired.values()].reduce((n, due) => n + due.length, 0),
      written,
      refreshesAfter: out.refreshes.length,
      changed,
      removed: gone.length,
      phases: { listMs: ms(t1 - t0), captureMs: ms(captureMs), classifyMs: ms(classifyMs), storeMs: ms(performance.now() - t3) },
      errors,
    };
    this.cyclesRun++;
    this.lastCycle = stats;
    if (stats.ok) this.lastSuccessAt = Date.now();
    else this.opts.log?.warn({ errors }, 'poll cycle had errors');
    this.opts.onCycle?.(stats);
    this.afterCycle(servers, expired, out.refreshes, now);
    return stats;
  }

  /** Remembers which of a server's panes moved in this cycle, and which are on a streak (see `streaks`). */
  private noteStreaks(server: TmuxServer, wanted: Array<{ id: string; pane: PaneInfo }>): void {
    const before = this.streaks.get(server)?.moved;
    const moved = new Set<string>();
    const expected: string[] = [];
    for (const { id, pane } of wanted) {
      if (!this.tracked.has(id)) continue; // a first capture: nothing moved
      moved.add(pane.paneId);
      if (before?.has(pane.paneId)) expected.push(pane.paneId);
    }
    this.streaks.set(server, { moved, expected });
  }

  /** Writes `pending` (observed at `now`) and remembers it as written; resolves with how many changed the store. */
  private async write(all: PendingWrite[], now: number): Promise<number> {
    // One whose classification is no longer the pane's was overtaken by publishNow(): writing it would put the old
    // state back until the next cycle.
    const pending = all.filter((p) => p.written.classification === p.t.classification);
    if (pending.length === 0) return 0;
    const result = await this.opts.store.write(pending.map((p) => p.observation));
    for (const { t, written } of pending) {
      t.written = written;
      t.writtenAt = now;
    }
    for (const tr of result.transitions) this.opts.onTransition?.(tr.from, tr.to);
    return result.changed.length;
  }

  /**
   * Work that keeps the next cycles right but need not delay this one: each server re-reads the details its lists
   * leave out, panes past the capture max age, where nothing moved, are captured again (a change found there is
   * classified and written by the next cycle), and unchanged agents whose refresh came due get their TTL and
   * observedAt renewed (a refresh that fails is due again next cycle). It runs while the loop waits for the next
   * tick; the next cycle waits for it.
   */
  private afterCycle(
    servers: TmuxServer[],
    expired: Map<TmuxServer, Array<{ id: string; pane: PaneInfo }>>,
    refreshes: PendingWrite[],
    now: number,
  ): void {
    const run = () => {
      // One server's upkeep runs in sequence, so that it needs one pool connection, not a second one each cycle.
      const tmuxUpkeep = servers.map(async (server) => {
        await server.refreshQuiet?.();
        const due = expired.get(server);
        if (due) await this.captureExpired(server, due);
      });
      const renewed = this.write(refreshes, now).catch((err: Error) => {
        this.opts.log?.warn({ err: err.message }, 'store refresh after the cycle failed');
      });
      // Settled, not all: one server failing must not end the upkeep while the rest (a store write) still runs.
      return Promise.allSettled([...tmuxUpkeep, renewed]);
    };
    // From the next turn of the event loop: the cycle's caller gets its stats before upkeep takes the CPU.
    const upkeep: Promise<void> = nextTurn()
      .then(run)
      .then((results) => {
        for (const r of results) {
          if (r.status === 'rejected') this.opts.log?.warn({ err: (r.reason as Error).message }, 'upkeep between cycles failed');
        }
        try {
          this.opts.betweenCycles?.();
        } catch (err) {
          this.opts.log?.warn({ err: (err as Error).message }, 'work between cycles failed');
        }
      })
      .finally(() => {
        if (this.upkeep === upkeep) this.upkeep = null;
      });
    this.upkeep = upkeep;
  }

  private idOf(pane: PaneInfo): string {
    let id = this.ids.get(pane);
    if (id === undefined) {
      id = agentId(this.opts.monitor, pane);
      this.ids.set(pane, id);
    }
    return id;
  }

  /** Classifies one pane and queues its observation when it moved or its refresh is due. */
  private classifyPane(classifier: Classifier, id: string, pane: PaneInfo, now: number, out: CycleOutput): void {
    const t = this.tracked.get(id);
    if (!t) return; // never captured yet (capture failed): nothing to classify
    t.pane = pane;
    let classification: Classification;
    try {
      classification = classifier.classify({ id, pane, screen: t.screen, screenChangedAt: t.screenChangedAt, now });
    } catch (err) {
      out.errors.push(`${id}: classify failed: ${(err as Error).message}`);
      return;
    }
    t.classification = classification;
    const last = t.written;
    const unmoved = last !== null && last.classification === classification && last.screenHash === t.screenHash && samePaneFacts(last.pane, pane);
    const refreshDue = now - t.writtenAt >= this.opts.refreshEveryMs - t.refreshEarlyMs;
    if (unmoved && !refreshDue) return;
    const hash = unmoved ? last.contentHash : contentHash(t.screenHash, pane, classification);
    const observation = toObservation(this.opts.monitor, id, pane, t, classification, hash, now);
    const fingerprint = unmoved ? last.fingerprint : observationFingerprint(observation);
    const written: Written = { classification, screenHash: t.screenHash, pane, contentHash: hash, fingerprint };
    if (fingerprint !== last?.fingerprint) {
      out.changes.push({ observation, t, written });
    } else if (refreshDue) {
      out.refreshes.push({ observation, t, written });
    } else {
      t.written = written; // new objects, same content: next cycle takes the short way again
    }
  }

  private async captureExpired(server: TmuxServer, panes: Array<{ id: string; pane: PaneInfo }>): Promise<void> {
    const capturedAt = Date.now(); // before the request, as in the cycle
    const screens = await server.capturePanes(panes.map((p) => p.pane.paneId));
    for (const { id, pane } of panes) {
      const text = screens.get(pane.paneId);
      if (text === undefined || !this.tracked.has(id)) continue; // gone meanwhile
      this.rememberCapture(id, pane, text, capturedAt);
    }
  }

  /** A capture of `pane` taken at `at` (before its request went out): the cache and the pane's screen learn it. */
  private rememberCapture(id: string, pane: PaneInfo, text: string, at: number): void {
    this.captureCache.captured(id, pane, at);
    const hash = createHash('sha1').update(text).digest('base64url');
    const t = this.tracked.get(id);
    if (!t) {
      this.tracked.set(id, {
        pane,
        screen: text,
        screenHash: hash,
        screenChangedAt: at,
        classification: null,
        written: null,
        writtenAt: 0,
        refreshEarlyMs: Math.floor(Math.random() * (this.opts.refreshEveryMs / 2)),
      });
    } else if (t.screenHash !== hash) {
      t.screen = text;
      t.screenHash = hash;
      t.screenChangedAt = at;
    }
  }
}

const ms = (v: number) => Math.round(v * 10) / 10;

type Settled = { screens: Map<string, string>; at: number } | { err: Error; at: number };

/** The screens or the error, with when they landed (performance.now()); never rejects. */
function settled(screens: Promise<Map<string, string>>): Promise<Settled> {
  return screens.then(
    (s) => ({ screens: s, at: performance.now() }),
    (err: Error) => ({ err, at: performance.now() }),
  );
}

function toObservation(
  monitor: string,
  id: string,
  pane: PaneInfo,
  t: Tracked,
  c: Classification,
  hash: string,
  now: number,
): AgentObservation {
  return {
    id,
    monitor,
    socket: pane.socket,
    target: `${pane.sessionName}:${pane.windowIndex}.${pane.paneIndex}`,
    session: pane.sessionName,
    windowIndex: pane.windowIndex,
    windowName: pane.windowName,
    paneIndex: pane.paneIndex,
    paneId: pane.paneId,
    pid: pane.panePid,
    command: pane.currentCommand,
    kind: c.kind,
    state: c.state,
    detail: c.detail,
    screenHash: hash,
    screen: t.screen,
    observedAt: now,
  };
}

/**
 * The pane fields contentHash covers: a change to any of them is a new observation. Written out rather than
 * samePaneFields(): it runs for every pane of every cycle, and the field-list loop is 8x slower (0.24 ms per 1000).
 */
function samePaneFacts(a: PaneInfo, b: PaneInfo): boolean {
  return (
    a.sessionName === b.sessionName &&
    a.windowIndex === b.windowIndex &&
    a.paneIndex === b.paneIndex &&
    a.windowName === b.windowName &&
    a.currentCommand === b.currentCommand &&
    a.panePid === b.panePid
  );
}

function contentHash(screenHash: string, pane: PaneInfo, c: Classification): string {
  // The detail's source too: the agent's own word replacing the screen's (same state) is news worth a version.
  const meta = [pane.sessionName, pane.windowIndex, pane.paneIndex, pane.windowName, pane.currentCommand, pane.panePid, c.kind, c.detail.source ?? ''];
  return createHash('sha1').update(screenHash).update(JSON.stringify(meta)).digest('base64url');
}

/** Everything that makes a write worth doing; observedAt alone does not. */
function observationFingerprint(o: AgentObservation): string {
  return JSON.stringify([o.state, o.screenHash, o.detail]);
}
