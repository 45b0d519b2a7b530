// The background loop: one cycle lists every pane of every tmux server, captures the panes that changed,
// classifies them, and writes the agents whose observation changed. Cycles never overlap; ticks that come
// due while a cycle runs are skipped and counted, never queued. The phases of a cycle are in cycle-phases.ts.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { within } from '../deadline.ts';
import type { AgentRecord, AgentState } from '../agents/model.ts';
import type { Classification, Classifier } from '../detect/types.ts';
import type { AgentStore } from '../store/types.ts';
import type { PaneInfo, TmuxServer } from '../tmux/types.ts';
import type { CaptureCache } from './capture-cache.ts';
import { CyclePhases } from './cycle-phases.ts';
import { CycleRun, type CycleStats, type PhaseName } from './cycle-run.ts';
import { decideWrite } from './observation.ts';

export type { CycleStats } from './cycle-run.ts';

/** The longest upkeep waits for beforeUpkeep: upkeep renews TTLs, and the next cycle waits for it. */
const BEFORE_UPKEEP_MAX_MS = 250;

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
  /**
   * Awaited (at most BEFORE_UPKEEP_MAX_MS; a rejection is ignored) before the upkeep after a cycle starts: the app
   * hands the cycle's changes to the change stream's clients first, so that upkeep's captures and writes do not
   * hold that delivery up.
   */
  beforeUpkeep?(): Promise<void>;
  onCycle?(stats: CycleStats, errorsByPhase: Readonly<Record<PhaseName, number>>): void;
  onSkipped?(): void;
  onTransition?(from: AgentState | null, to: AgentState): void;
  /** The records a write gave new versions (new agents, state or screen changes). */
  onWritten?(records: AgentRecord[]): void;
  log?: { warn(obj: object, msg: string): void };
}

export class Poller {
  private readonly phases: CyclePhases;
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
    this.phases = new CyclePhases(opts);
    this.captureCache = this.phases.captureCache;
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
    for (const [id, t] of this.phases.tracked) if (t.classification) out.push({ id, classification: t.classification });
    return out;
  }

  /** Every tracked pane with its agent id, for finding the agent a hook names. */
  *trackedPanes(): Generator<{ id: string; pane: PaneInfo }> {
    for (const [id, t] of this.phases.tracked) yield { id, pane: t.pane };
  }

  /**
   * Writes a classification of one tracked pane made outside the cycle (a hook signal fused with its last
   * screen) at once, without asking tmux anything; cycle writes made before it are dropped as stale (see
   * CyclePhases.writePending). Resolves with whether the store's record changed.
   */
  async publishNow(id: string, classification: Classification): Promise<boolean> {
    const t = this.phases.tracked.get(id);
    if (!t) return false;
    const now = Date.now();
    t.classification = classification;
    const due = decideWrite(t, classification, id, { monitor: this.opts.monitor, refreshEveryMs: this.opts.refreshEveryMs, now });
    if (due?.write !== 'change') return false;
    return (await this.phases.writePending([due.pending], now)) > 0;
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

  /** One cycle: list → plan captures → capture and classify → write → reap, each phase timed by the run. */
  private async cycle(): Promise<CycleStats> {
    const run = new CycleRun();
    const servers = this.opts.servers();
    const classifier = this.opts.classifier();
    const listed = await run.phase(
      'list',
      async () => {
        await this.upkeep; // the last cycle's upkeep (only still running when cycles come back to back)
        return this.phases.list(run, servers, classifier);
      },
      [],
    );
    run.now = Date.now();
    const plans = listed.map((listing) => this.phases.planCaptures(run, listing));
    await Promise.all(plans.map((plan) => this.phases.captureAndClassify(run, plan, classifier)));
    await run.phase(
      'store',
      async () => {
        await this.phases.write(run, classifier);
        await this.phases.reap(run, classifier);
      },
      undefined,
    );
    return this.finish(run, servers);
  }

  private finish(run: CycleRun, servers: TmuxServer[]): CycleStats {
    const stats = run.stats();
    this.cyclesRun++;
    this.lastCycle = stats;
    if (stats.ok) this.lastSuccessAt = Date.now();
    else this.opts.log?.warn({ errors: stats.errors }, 'poll cycle had errors');
    this.opts.onCycle?.(stats, run.errorsByPhase);
    this.afterCycle(servers, run);
    return stats;
  }

  /**
   * Work that keeps the next cycles right but need not delay this one: each server re-reads the details its lists
   * leave out, panes past the capture max age, where nothing moved, are captured again (a change found there is
   * classified and written by the next cycle), and unchanged agents whose refresh came due get their TTL and
   * observedAt renewed (a refresh that fails is due again next cycle). It runs while the loop waits for the next
   * tick; the next cycle waits for it.
   */
  /** beforeUpkeep, for at most BEFORE_UPKEEP_MAX_MS; its failure is ignored. */
  private async waitBeforeUpkeep(): Promise<void> {
    if (this.opts.beforeUpkeep) await within(BEFORE_UPKEEP_MAX_MS, this.opts.beforeUpkeep());
  }

  private afterCycle(servers: TmuxServer[], { expired, refreshes, now }: CycleRun): void {
    const run = () => {
      // One server's upkeep runs in sequence, so that it needs one pool connection, not a second one each cycle.
      const tmuxUpkeep = servers.map(async (server) => {
        await server.refreshQuiet?.();
        const due = expired.get(server);
        if (due) await this.phases.captureExpired(server, due);
      });
      const renewed = this.phases.writePending(refreshes, now).catch((err: Error) => {
        this.opts.log?.warn({ err: err.message }, 'store refresh after the cycle failed');
      });
      // Settled, not all: one server failing must not end the upkeep while the rest (a store write) still runs.
      return Promise.allSettled([...tmuxUpkeep, renewed]);
    };
    // From the next turn of the event loop: the cycle's caller gets its stats before upkeep takes the CPU.
    const upkeep: Promise<void> = nextTurn()
      .then(() => this.waitBeforeUpkeep())
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
}
