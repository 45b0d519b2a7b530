// One interface over where agent state lives: Redis when REDIS_URL is set, an embedded map otherwise.
import type { AgentKind, AgentObservation, AgentRecord, AgentState, StateTransition } from '../agents/model.ts';

export interface WriteResult {
  /** Records whose version moved (new agent, state change or screen change). */
  changed: AgentRecord[];
  /** Transitions of state written by this call (for metrics). */
  transitions: Array<{ id: string; from: AgentState | null; to: AgentState }>;
  /** Observations that only refreshed observedAt/TTL. */
  refreshed: number;
}

export interface AgentFilter {
  state?: AgentState;
  kind?: AgentKind;
  session?: string;
  monitor?: string;
}

export interface ListPage {
  agents: AgentRecord[];
  nextCursor: string | null;
  seq: number;
}

export interface SinceResult {
  agents: AgentRecord[]; // changed after seq
  removed: string[]; // ids gone after seq
  seq: number;
  /**
   * True when `seq` was older than the bounded removal log (or newer than the store's own sequence, e.g. after a
   * Redis restart): `agents` is then every agent matching the filter and the caller should drop anything it holds
   * that is not listed. Absent or false for an ordinary incremental answer.
   */
  full?: boolean;
}

/**
 * One published change as a store saw it: a version that moved (with the state before it; equal to the record's
 * state when only the screen or metadata changed, null for a new agent) or a removal, at its global seq.
 */
export type StoreChange =
  | { type: 'agent'; seq: number; record: AgentRecord; from: AgentState | null }
  | { type: 'removed'; seq: number; id: string };

export interface StoreHealth {
  backend: 'memory' | 'redis';
  up: boolean;
  reason: string | null;
}

export interface ReadCacheStats {
  read: { hits: number; misses: number };
}

/** Optional hooks for metrics; the `read` layer is the store's in-process cache in front of Redis reads. */
export interface StoreObserver {
  onCache?(layer: 'read', hit: boolean): void;
}

export interface AgentStore {
  /** Write a batch of observations; versions bump only on state or screen change. */
  write(observations: AgentObservation[]): Promise<WriteResult>;
  /** Remove agents whose panes vanished; they show in `since()` as removed. */
  remove(ids: string[]): Promise<void>;
  get(id: string): Promise<AgentRecord | null>;
  list(filter: AgentFilter, limit: number, cursor: string | null): Promise<ListPage>;
  since(seq: number, filter: AgentFilter): Promise<SinceResult>;
  screen(id: string): Promise<string | null>;
  history(id: string, limit: number): Promise<StateTransition[]>; // newest first
  /** Global change sequence: grows on every version bump and every removal. */
  seq(): Promise<number>;
  /**
   * What list ETags follow: moves whenever an answer of `list` or `since` may have changed. The seq, and while
   * the answers are stale (Redis away, the seq standing still) also the local changes since.
   */
  changeTag(): Promise<string>;
  /** Health for readiness: may start a due reconnection probe, so readiness comes back while nothing writes. */
  health(): StoreHealth;
  /** The health last seen, from memory only: never starts a probe or any I/O (what a metrics scrape reads). */
  knownHealth(): StoreHealth;
  close(): Promise<void>;
}
