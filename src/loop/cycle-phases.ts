// The phases of one poll cycle, in order: list → plan captures → capture and classify → write → reap. Each takes
// the cycle's CycleRun (its statistics and errors) and works on what the loop remembers of the panes.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { AgentRecord, AgentState } from '../agents/model.ts';
import type { Classifier } from '../detect/types.ts';
import type { AgentStore } from '../store/types.ts';
import type { PaneInfo, TmuxServer } from '../tmux/types.ts';
import { agentId } from './agent-id.ts';
import { CaptureCache } from './capture-cache.ts';
import type { CycleRun, PaneRef } from './cycle-run.ts';
import { decideWrite, newTracked, screenHashOf, type DecisionContext, type PendingWrite, type Tracked } from './observation.ts';

export interface PhaseOptions {
  monitor: string;
  store: AgentStore;
  captureMaxAgeMs: number;
  refreshEveryMs: number;
  onTransition?(from: AgentState | null, to: AgentState): void;
  /** The records a write gave new versions (new agents, state or screen changes). */
  onWritten?(records: AgentRecord[]): void;
}

/** Screens asked together with a server's list, for the panes on a streak of changes (see `streaks`). */
interface Prefetch {
  paneIds: Set<string>;
  screens: Promise<Settled>;
  /** Taken before the list request went out (see `requestedAt`). */
  askedAt: number;
  landed: boolean;
}

/** One server's answer to the list phase. */
export interface Listing {
  server: TmuxServer;
  panes: PaneInfo[];
  ok: boolean;
  prefetch: Prefetch | null;
}

/** What one server's panes need this cycle. */
export interface CapturePlan {
  server: TmuxServer;
  /** Panes that changed: captured (or taken from the prefetch), then classified. */
  wanted: PaneRef[];
  /** Panes whose screen is still the one we hold: classified without a capture. */
  quiet: PaneRef[];
  /** The wanted panes not already asked with the list. */
  toCapture: PaneRef[];
  prefetch: Prefetch | null;
}

type Settled = { screens: Map<string, string> } | { err: Error };

export class CyclePhases {
  /** What the loop remembers of each live pane, by agent id. */
  readonly tracked = new Map<string, Tracked>();
  readonly captureCache: CaptureCache;
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

  constructor(private readonly opts: PhaseOptions) {
    this.captureCache = new CaptureCache(opts.captureMaxAgeMs);
  }

  /** List phase: every server's panes, with the screens of the panes on a streak asked along. */
  async list(run: CycleRun, servers: TmuxServer[], classifier: Classifier): Promise<Listing[]> {
    const listing = Promise.all(servers.map((server) => this.listServer(run, server)));
    await this.prepareWhileListing(run, classifier);
    return listing;
  }

  /**
   * Plan phase: sorts a server's panes into changed (capture them), quiet (classify the screen we hold) and past
   * the capture max age (captured after the cycle).
   */
  planCaptures(run: CycleRun, { server, panes, ok, prefetch }: Listing): CapturePlan {
    if (ok) run.answered.add(server.socket);
    const wanted: PaneRef[] = [];
    const quiet: PaneRef[] = [];
    const due: PaneRef[] = [];
    for (const pane of panes) {
      const id = this.idOf(pane);
      run.seen.add(id);
      const need = this.captureCache.check(id, pane, run.now);
      if (need === 'changed') {
        wanted.push({ id, pane });
        continue;
      }
      if (need === 'fresh') run.captureCacheHits++;
      else due.push({ id, pane });
      quiet.push({ id, pane });
    }
    if (due.length > 0) run.expired.set(server, due);
    if (ok) this.noteStreaks(server, wanted);
    const alongWithList = prefetch?.paneIds ?? new Set<string>();
    const toCapture = wanted.filter((w) => !alongWithList.has(w.pane.paneId));
    run.prefetched += alongWithList.size;
    run.prefetchUnused += alongWithList.size - (wanted.length - toCapture.length);
    return { server, wanted, quiet, toCapture, prefetch };
  }

  /** Capture-and-classify phase for one server: its changed panes captured, every pane classified. */
  async captureAndClassify(run: CycleRun, plan: CapturePlan, classifier: Classifier): Promise<void> {
    const requestedAt = requestedNow();
    const screens = plan.wanted.length > 0 ? run.phase('capture', () => this.requestScreens(plan), null) : null;
    await this.classifyQuietMeanwhile(run, plan, classifier);
    const landed = await screens;
    if (!landed) return;
    const [asked, along] = landed;
    for (const result of [asked, along]) {
      if ('err' in result) run.fail('capture', `${plan.server.socket}: capture failed: ${result.err.message}`);
    }
    for (const { id, pane } of plan.wanted) {
      const fromList = plan.prefetch?.paneIds.has(pane.paneId) ?? false;
      const result = fromList ? along : asked;
      const text = 'screens' in result ? result.screens.get(pane.paneId) : undefined;
      if (text === undefined) continue;
      run.captured++;
      this.rememberCapture(id, pane, text, fromList ? plan.prefetch!.askedAt : requestedAt);
    }
    this.classify(run, classifier, plan.wanted, run.changes);
  }

  /**
   * Write phase: the store takes the changed panes while this process classifies the quiet ones left for it (Redis
   * runs on another core); what those bring (an agent gone idle, a refresh come due) is written after.
   */
  async write(run: CycleRun, classifier: Classifier): Promise<void> {
    const writing = this.writeChanges(run, run.changes);
    if (run.quietAfterWrite.length === 0) return writing;
    await nextTurn(); // the write on its way first
    const late: PendingWrite[] = [];
    for (const quiet of run.quietAfterWrite) this.classify(run, classifier, quiet, late);
    await writing;
    if (late.length > 0) await this.writeChanges(run, late);
  }

  /** Reap phase: panes gone from a server that answered are gone; a server that failed to answer keeps its agents. */
  async reap(run: CycleRun, classifier: Classifier): Promise<void> {
    const gone: string[] = [];
    for (const [id, t] of this.tracked) {
      if (!run.seen.has(id) && run.answered.has(t.pane.socket)) gone.push(id);
    }
    for (const id of gone) {
      this.tracked.delete(id);
      this.captureCache.forget(id);
      classifier.forget(id);
    }
    run.removed = gone.length;
    if (gone.length > 0) {
      await this.opts.store.remove(gone).catch((err: Error) => run.fail('store', `store remove failed: ${err.message}`));
    }
  }

  /** Writes `pending` (observed at `now`) and remembers it as written; resolves with how many changed the store. */
  async writePending(pending: PendingWrite[], now: number): Promise<number> {
    if (pending.length === 0) return 0;
    const result = await this.opts.store.write(pending.map((p) => p.observation));
    for (const { t, written } of pending) {
      t.written = written;
      t.writtenAt = now;
    }
    for (const tr of result.transitions) this.opts.onTransition?.(tr.from, tr.to);
    this.opts.onWritten?.(result.changed);
    return result.changed.length;
  }

  /** Captures panes past the capture max age after the cycle: a change found there is the next cycle's news. */
  async captureExpired(server: TmuxServer, panes: PaneRef[]): Promise<void> {
    const requestedAt = requestedNow();
    const screens = await server.capturePanes(panes.map((p) => p.pane.paneId));
    for (const { id, pane } of panes) {
      const text = screens.get(pane.paneId);
      if (text === undefined || !this.tracked.has(id)) continue; // gone meanwhile
      this.rememberCapture(id, pane, text, requestedAt);
    }
  }

  /**
   * One server's list. The screens of its panes on a streak are asked in the same round trip (a working agent is
   * expected to have moved again); planCaptures uses those whose pane did move and leaves the rest.
   */
  private async listServer(run: CycleRun, server: TmuxServer): Promise<Listing> {
    const expected = this.streaks.get(server)?.expected ?? [];
    const askedAt = requestedNow();
    try {
      const { panes, screens } = await server.listAndCapture(expected);
      const prefetch: Prefetch = { paneIds: new Set(expected), screens: settled(screens), askedAt, landed: false };
      void prefetch.screens.then(() => (prefetch.landed = true));
      return { server, panes, ok: true, prefetch };
    } catch (err) {
      run.fail('list', `${server.socket}: list-panes failed: ${(err as Error).message}`);
      return { server, panes: [], ok: false, prefetch: null };
    }
  }

  /**
   * The classifier's upkeep runs while tmux works on the lists: one turn of the event loop first, so the requests
   * are on their way before this blocks.
   */
  private async prepareWhileListing(run: CycleRun, classifier: Classifier): Promise<void> {
    await nextTurn();
    try {
      classifier.prepare?.();
    } catch (err) {
      run.fail('list', `classifier upkeep failed: ${(err as Error).message}`);
    }
  }

  /** The captures this cycle asks, and the ones asked along with the list; never rejects. */
  private requestScreens(plan: CapturePlan): Promise<[Settled, Settled]> {
    const none = () => settled(Promise.resolve(new Map<string, string>()));
    const ids = plan.toCapture.map((w) => w.pane.paneId);
    return Promise.all([ids.length > 0 ? settled(plan.server.capturePanes(ids)) : none(), plan.prefetch?.screens ?? none()]);
  }

  /**
   * Panes that need no capture are classified while tmux works on the captures: the two run on different cores.
   * One turn of the event loop first, so the request is on its way before this blocks. With no capture to hide
   * them behind, they wait for the store write of this cycle's changes instead.
   */
  private async classifyQuietMeanwhile(run: CycleRun, plan: CapturePlan, classifier: Classifier): Promise<void> {
    if (plan.toCapture.length === 0 && plan.prefetch?.landed !== false) {
      run.quietAfterWrite.push(plan.quiet);
      return;
    }
    await nextTurn();
    this.classify(run, classifier, plan.quiet, run.changes);
  }

  /** Classifies `panes`, queueing what moved into `changes` and the refreshes that came due into the run's. */
  private classify(run: CycleRun, classifier: Classifier, panes: PaneRef[], changes: PendingWrite[]): void {
    const context: DecisionContext = { monitor: this.opts.monitor, refreshEveryMs: this.opts.refreshEveryMs, now: run.now };
    run.step('classify', () => {
      for (const { id, pane } of panes) this.classifyPane(run, classifier, id, pane, context, changes);
    });
  }

  private classifyPane(run: CycleRun, classifier: Classifier, id: string, pane: PaneInfo, context: DecisionContext, changes: PendingWrite[]): void {
    const t = this.tracked.get(id);
    if (!t) return; // never captured yet (capture failed): nothing to classify
    t.pane = pane;
    try {
      t.classification = classifier.classify({ id, pane, screen: t.screen, screenChangedAt: t.screenChangedAt, now: run.now });
    } catch (err) {
      run.fail('classify', `${id}: classify failed: ${(err as Error).message}`);
      return;
    }
    const due = decideWrite(t, t.classification, id, context);
    if (due?.write === 'change') changes.push(due.pending);
    else if (due?.write === 'refresh') run.refreshes.push(due.pending);
  }

  private async writeChanges(run: CycleRun, pending: PendingWrite[]): Promise<void> {
    try {
      run.changed += await this.writePending(pending, run.now);
      run.written += pending.length;
    } catch (err) {
      run.fail('store', `store write failed: ${(err as Error).message}`);
    }
  }

  /** Remembers which of a server's panes moved in this cycle, and which are on a streak (see `streaks`). */
  private noteStreaks(server: TmuxServer, wanted: PaneRef[]): void {
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

  /** A capture of `pane` taken at `at` (before its request went out): the cache and the pane's screen learn it. */
  private rememberCapture(id: string, pane: PaneInfo, text: string, at: number): void {
    this.captureCache.captured(id, pane, at);
    const hash = screenHashOf(text);
    const t = this.tracked.get(id);
    if (!t) {
      this.tracked.set(id, newTracked(pane, text, hash, at, this.opts.refreshEveryMs));
    } else if (t.screenHash !== hash) {
      t.screen = text;
      t.screenHash = hash;
      t.screenChangedAt = at;
    }
  }

  private idOf(pane: PaneInfo): string {
    let id = this.ids.get(pane);
    if (id === undefined) {
      id = agentId(this.opts.monitor, pane);
      this.ids.set(pane, id);
    }
    return id;
  }
}

/**
 * The time a capture counts as taken: read before its request goes out, as output that lands while the request is
 * in flight must not count as seen (the capture cache would take that output for already captured).
 */
function requestedNow(): number {
  return Date.now();
}

/** The screens or the error; never rejects. */
function settled(screens: Promise<Map<string, string>>): Promise<Settled> {
  return screens.then(
    (s) => ({ screens: s }),
    (err: Error) => ({ err }),
  );
}
