// The tmux access layer's public shapes: what the loop asks of tmux and what comes back.

/** One pane as `list-panes -a` reports it, with every field the monitor needs. */
export interface PaneInfo {
  socket: string; // socket path of the tmux server the pane lives on
  serverPid: number; // tmux server pid (#{pid}); changes when the server restarts
  sessionId: string; // $N
  sessionName: string;
  windowId: string; // @N
  windowIndex: number;
  windowName: string;
  paneId: string; // %N
  paneIndex: number;
  panePid: number;
  currentCommand: string;
  dead: boolean;
  deadStatus: number | null; // exit status when dead, null if unknown or alive
  /** Signal that killed the pane's process (tmux leaves deadStatus empty then); null if none or unknown. */
  deadSignal?: number | null;
  windowActivity: number; // epoch seconds (tmux keeps whole seconds)
  width: number;
  height: number;
  title: string;
  active: boolean;
}

/** Whether two panes (or a pane and some facts of one) agree on `fields`. */
export function samePaneFields<K extends keyof PaneInfo>(a: Pick<PaneInfo, K>, b: Pick<PaneInfo, K>, fields: readonly K[]): boolean {
  for (const f of fields) if (a[f] !== b[f]) return false;
  return true;
}

export type Strategy = 'pool' | 'exec';

/** Health of one tmux server as the access layer sees it. */
export interface TmuxServerStatus {
  socket: string;
  up: boolean; // answered the last query
  reason: string | null; // why not up: "no tmux server running on …", "tmux is not installed…", "permission denied on …", a timeout…
  problem?: 'no_server' | 'no_tmux' | 'permission_denied' | 'error' | null; // the kind of `reason`; null while up
  strategy: Strategy; // configured strategy
  effectiveStrategy: Strategy; // what actually ran the last query (exec while the pool cannot connect)
  lastOkAt: number | null; // epoch ms
}

export interface PoolStats {
  size: number;
  idle: number;
  borrowed: number;
  pending: number;
  min: number;
  max: number;
  createdTotal: number;
  destroyedTotal: Record<string, number>; // by reason: idle, max_age, max_uses, dead, validate_failed, shutdown, error
  acquireWaitMs: { count: number; sumMs: number; lastMs: number };
  reuseRatio: number; // borrows served by an existing connection / all borrows
}

/** Observer hooks the metrics layer attaches; the access layer calls them, never blocks on them. */
export interface TmuxObserver {
  /** One request to tmux finished: one command, or a pipelined batch of them (a list, the captures of a cycle). */
  onRequest?(strategy: Strategy, ok: boolean, seconds: number): void;
  /** One tmux command finished: ok unless tmux refused it (`%error`, a non-zero exit) or it was lost on the way. */
  onCommandDone?(strategy: Strategy, ok: boolean): void;
  onAcquire?(socket: string, seconds: number): void;
  onConnectionCreated?(socket: string): void;
  onConnectionDestroyed?(socket: string, reason: string): void;
}

/** A list of every pane, and the screens asked with it (see TmuxServer.listAndCapture). */
export interface PaneListing {
  panes: PaneInfo[];
  screens: Promise<Map<string, string>>;
}

/** One tmux server, reached through the pool or exec. */
export interface TmuxServer {
  readonly socket: string;
  /** Every pane of every session; [] when no server runs or it has no sessions (see status()). */
  listPanes(): Promise<PaneInfo[]>;
  /**
   * listPanes(), and the screens of `capture` asked with it: for the panes a cycle expects to have changed, so
   * that their captures need no round trip of their own. The screens are taken after the list was asked.
   */
  listAndCapture(capture: readonly string[]): Promise<PaneListing>;
  /** Visible text of each pane (capture-pane -p -J), pipelined; panes that failed are absent from the map. */
  capturePanes(paneIds: readonly string[]): Promise<Map<string, string>>;
  /** Upkeep between cycles: re-reads details that lists leave out (see TmuxServerClient.refreshQuiet). */
  refreshQuiet?(): Promise<void>;
  status(): TmuxServerStatus;
  poolStats(): PoolStats | null;
  setStrategy(strategy: Strategy): void;
  close(): Promise<void>;
}
