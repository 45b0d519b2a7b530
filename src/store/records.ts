// Pieces both store backends (and the resilient wrapper) share: the version rule, versioned writes and their
// summary, id order, filters, cursors and the shape of a stored record.
import type { AgentObservation, AgentRecord, AgentState } from '../agents/model.ts';
import type { AgentFilter, WriteResult } from './types.ts';

export const DEFAULT_TTL_SECONDS = 60;
export const DEFAULT_HISTORY_LIMIT = 100;
/** Removals remembered for `since()`; a caller further behind than this gets a full snapshot. */
export const DEFAULT_REMOVED_LOG_LIMIT = 10_000;

/** The record fields that only change together with the version (everything but the version bookkeeping). */
export type RecordBody = Omit<AgentRecord, 'version' | 'stateSince' | 'observedAt' | 'changedAt' | 'stale'>;

export function recordBody(obs: AgentObservation): RecordBody {
  return {
    id: obs.id,
    monitor: obs.monitor,
    socket: obs.socket,
    target: obs.target,
    session: obs.session,
    windowIndex: obs.windowIndex,
    windowName: obs.windowName,
    paneIndex: obs.paneIndex,
    paneId: obs.paneId,
    pid: obs.pid,
    command: obs.command,
    kind: obs.kind,
    state: obs.state,
    detail: obs.detail,
  };
}

export interface VersionStamp {
  version: number;
  stateSince: number; // epoch ms
  observedAt: number; // epoch ms
  changedAt: number; // epoch ms
}

/**
 * Every field is named rather than spread: V8 gives `{ ...body, version, … }` a fresh hidden class on each call,
 * which was the largest CPU cost of a store write and of a list (docs/performance.md).
 */
export function toRecord(body: RecordBody, stamp: VersionStamp, stale = false): AgentRecord {
  return {
    id: body.id,
    monitor: body.monitor,
    socket: body.socket,
    target: body.target,
    session: body.session,
    windowIndex: body.windowIndex,
    windowName: body.windowName,
    paneIndex: body.paneIndex,
    paneId: body.paneId,
    pid: body.pid,
    command: body.command,
    kind: body.kind,
    state: body.state,
    detail: body.detail,
    version: stamp.version,
    stateSince: new Date(stamp.stateSince).toISOString(),
    observedAt: new Date(stamp.observedAt).toISOString(),
    changedAt: new Date(stamp.changedAt).toISOString(),
    stale,
  };
}

export interface StoredHead {
  version: number;
  state: AgentState;
  screenHash: string;
  stateSince: number;
  changedAt: number;
  observedAt: number;
}

export interface NextHead extends StoredHead {
  changed: boolean;
  /** The state before this write when the state moved (null for a new agent); undefined when it did not move. */
  from: AgentState | null | undefined;
}

/**
 * The version rule, written once for the memory store; the Redis CAS script (redis-scripts.ts) mirrors it line
 * for line. `floor` is the lowest version the caller may see (the resilient wrapper passes the version it already
 * served, so a Redis that lost its data never moves a version backwards).
 */
export function nextHead(cur: StoredHead | undefined, obs: AgentObservation, floor = 0): NextHead {
  if (!cur) {
    return {
      version: Math.max(1, floor),
      state: obs.state,
      screenHash: obs.screenHash,
      stateSince: obs.observedAt,
      changedAt: obs.observedAt,
      observedAt: obs.observedAt,
      changed: true,
      from: null,
    };
  }
  const stateMoved = cur.state !== obs.state;
  const contentMoved = stateMoved || cur.screenHash !== obs.screenHash;
  const observedAt = Math.max(cur.observedAt, obs.observedAt);
  if (!contentMoved && cur.version >= floor) {
    return { ...cur, observedAt, changed: false, from: undefined };
  }
  return {
    version: contentMoved ? Math.max(cur.version + 1, floor) : floor,
    state: obs.state,
    screenHash: obs.screenHash,
    stateSince: stateMoved ? obs.observedAt : cur.stateSince,
    changedAt: obs.observedAt,
    observedAt,
    changed: true,
    from: stateMoved ? cur.state : undefined,
  };
}

export function matchesFilter(record: AgentRecord, filter: AgentFilter): boolean {
  return (
    (filter.state === undefined || record.state === filter.state) &&
    (filter.kind === undefined || record.kind === filter.kind) &&
    (filter.session === undefined || record.session === filter.session) &&
    (filter.monitor === undefined || record.monitor === filter.monitor)
  );
}

/** Thrown for a cursor this store did not hand out; carries a 400 so the API's error handler can map it. */
export class InvalidCursorError extends Error {
  readonly code = 'PANEWARD_ERR_INVALID_CURSOR';
  readonly statusCode = 400;
  constructor(cursor: string) {
    super(`invalid cursor: ${JSON.stringify(cursor.slice(0, 64))}`);
    this.name = 'InvalidCursorError';
  }
}

const CURSOR_PREFIX = 'id:';

/** Cursors are opaque to callers: base64url of the last id served, so both backends page the same way. */
export function encodeCursor(lastId: string): string {
  return Buffer.from(CURSOR_PREFIX + lastId, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith(CURSOR_PREFIX) || encodeCursor(text.slice(CURSOR_PREFIX.length)) !== cursor) {
    throw new InvalidCursorError(cursor);
  }
  return text.slice(CURSOR_PREFIX.length);
}

export function clampLimit(limit: number): number {
  if (!Number.isFinite(limit)) return 1;
  return Math.max(1, Math.floor(limit));
}

/** One observation plus the lowest version it may be stored at (see `nextHead`). */
export interface VersionedWrite {
  obs: AgentObservation;
  floor: number;
  /**
   * The caller's mirror already holds this state and screenHash at `floor`, so this is most likely a refresh: the
   * Redis store then sends it without screen and body (and in full only if Redis says the version moves after all).
   */
  refresh?: boolean;
}

export interface VersionedResult {
  record: AgentRecord;
  changed: boolean;
  from: AgentRecord['state'] | null | undefined;
  /** The record's version and times as numbers, so a mirror adopts them without parsing ISO strings. */
  stamp: VersionStamp;
}

export function summarize(results: VersionedResult[]): WriteResult {
  const out: WriteResult = { changed: [], transitions: [], refreshed: 0 };
  for (const r of results) {
    if (!r.changed) {
      out.refreshed++;
      continue;
    }
    out.changed.push(r.record);
    if (r.from !== undefined) out.transitions.push({ id: r.record.id, from: r.from, to: r.record.state });
  }
  return out;
}

/** Byte order of UTF-8, the order Redis uses for ZRANGE BYLEX, so both stores page identically. */
export function compareIds(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
