// An in-memory TmuxServer for API tests: the test sets panes and screens directly and reads back what the
// monitor asked of it (captures per pane, strategy switches), so caching and strategy can be proven without tmux.
import { pane } from './pane.ts';
import type { PaneInfo, PaneListing, PoolStats, Strategy, TmuxServer, TmuxServerStatus } from '../../src/tmux/types.ts';

/** A pane as a test describes it: only the pane id is required, the rest has plain defaults. */
export type FakePane = Partial<Omit<PaneInfo, 'socket' | 'serverPid'>> & { paneId: string };

/** An epoch second well in the past, so a capture taken now is in a later second than the pane's activity. */
export function pastSecond(agoSeconds = 60): number {
  return Math.floor(Date.now() / 1000) - agoSeconds;
}

export interface FakeTmuxOptions {
  socket?: string;
  serverPid?: number;
  strategy?: Strategy;
}

export class FakeTmuxServer implements TmuxServer {
  readonly socket: string;
  serverPid: number;
  /** Every strategy passed to setStrategy, in order. */
  readonly strategyChanges: Strategy[] = [];
  /** The pane ids of every capturePanes call, one array per call. */
  readonly captureRequests: string[][] = [];
  listCalls = 0;
  closed = false;
  /**
   * Runs after capturePanes took its snapshot and before it returns, like the time a reply spends on the way
   * back from tmux: a test can print more output (or let a second boundary pass) while a capture is in flight.
   */
  afterSnapshot: ((paneIds: readonly string[]) => void | Promise<void>) | null = null;

  private panes: PaneInfo[] = [];
  private readonly screens = new Map<string, string>();
  private up = true;
  private lastOkAt: number | null = null;
  private strategy: Strategy;
  private gate: Promise<void> | null = null;

  constructor(opts: FakeTmuxOptions = {}) {
    this.socket = opts.socket ?? '/tmp/paneward-fake/default';
    this.serverPid = opts.serverPid ?? 4242;
    this.strategy = opts.strategy ?? 'pool';
  }

  /** Replace every pane; panes left out have vanished. Missing fields get defaults (a live bash pane). */
  setPanes(panes: FakePane[]): void {
    this.panes = panes.map((p, i) => this.complete(p, i));
  }

  /** Change some fields of one pane, keeping the rest. */
  updatePane(paneId: string, patch: Partial<Omit<PaneInfo, 'paneId' | 'socket' | 'serverPid'>>): void {
    const i = this.panes.findIndex((p) => p.paneId === paneId);
    if (i < 0) throw new Error(`fake tmux: no pane ${paneId}`);
    this.panes[i] = { ...this.panes[i]!, ...patch };
  }

  setScreen(paneId: string, text: string): void {
    this.screens.set(paneId, text);
  }

  /** The server is gone: no panes, status down, captures fail. */
  kill(): void {
    this.up = false;
  }

  revive(): void {
    this.up = true;
  }

  /** A new tmux server on the same socket: new pid, no panes; tmux numbers panes from %0 again. */
  restart(serverPid: number): void {
    this.serverPid = serverPid;
    this.panes = [];
    this.screens.clear();
    this.up = true;
  }

  /** Make the next listPanes calls wait until the returned release function is called. */
  hold(): () => void {
    let release!: () => void;
    this.gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    return () => {
      this.gate = null;
      release();
    };
  }

  /** How many times this pane was captured. */
  capturesOf(paneId: string): number {
    return this.captureRequests.reduce((n, ids) => n + ids.filter((id) => id === paneId).length, 0);
  }

  /** Panes captured over all calls. */
  get captureCount(): number {
    return this.captureRequests.reduce((n, ids) => n + ids.length, 0);
  }

  async listPanes(): Promise<PaneInfo[]> {
    this.listCalls++;
    if (this.gate) await this.gate;
    if (!this.up) return [];
    this.lastOkAt = Date.now();
    return this.panes.map((p) => ({ ...p }));
  }

  /** The list, then the captures (a capture request like any other, when there are any), as tmux takes them. */
  async listAndCapture(capture: readonly string[]): Promise<PaneListing> {
    const panes = await this.listPanes();
    return { panes, screens: capture.length > 0 ? this.capturePanes(capture) : Promise.resolve(new Map()) };
  }

  async capturePanes(paneIds: readonly string[]): Promise<Map<string, string>> {
    this.captureRequests.push([...paneIds]);
    const out = new Map<string, string>();
    if (!this.up) return out;
    for (const id of paneIds) {
      if (this.panes.some((p) => p.paneId === id)) out.set(id, this.screens.get(id) ?? '');
    }
    await this.afterSnapshot?.(paneIds);
    return out;
  }

  status(): TmuxServerStatus {
    return {
      socket: this.socket,
      up: this.up,
      reason: this.up ? null : `no server running on ${this.socket}`,
      strategy: this.strategy,
      effectiveStrategy: this.strategy,
      lastOkAt: this.lastOkAt,
    };
  }

  poolStats(): PoolStats | null {
    return null;
  }

  setStrategy(strategy: Strategy): void {
    this.strategy = strategy;
    this.strategyChanges.push(strategy);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private complete(p: FakePane, i: number): PaneInfo {
    return pane({
      socket: this.socket,
      serverPid: this.serverPid,
      sessionId: '$0',
      sessionName: 'main',
      windowId: `@${i}`,
      windowIndex: i,
      windowName: `win${i}`,
      paneIndex: 0,
      // Above Linux's largest possible pid_max (2^22): the detector's look at /proc never finds a real process
      // there, which at 1000 + i it sometimes did on a busy machine (a test then saw a program, not a shell prompt).
      panePid: 4_194_304 + i,
      currentCommand: 'bash',
      dead: false,
      deadStatus: null,
      windowActivity: pastSecond(),
      width: 80,
      height: 24,
      title: '',
      active: i === 0,
      ...p,
    });
  }
}
