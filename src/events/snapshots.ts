// The first event of a fresh /v1/events connection: the filtered agent list as one `snapshot` frame. Clients that
// start at the same point of the stream share one read of the store and one serialization, even when they arrive
// together (a thousand dashboards reconnecting after a restart).
import type { AgentRecord } from '../agents/model.ts';
import type { AgentFilter, AgentStore } from '../store/types.ts';
import { type Payload, snapshotFrame } from './frames.ts';

/** A page of the snapshot read; the whole filtered list goes out as one event. */
const SNAPSHOT_PAGE = 1000;
/**
 * How long a frame is shared. Reaping an expired agent and renewing a TTL move no seq, so a frame can go out of
 * date without the stream moving; a second is what the store's own read cache allows.
 */
const SHARE_FOR_MS = 1000;
/** Filters remembered at once; past this the shelf starts again. */
const MAX_FILTERS = 100;

export interface SnapshotFrame {
  /** The store's seq when the list was read: a complete frame covers every change up to it. */
  seq: number;
  payload: Payload;
  /**
   * False when read while Redis was away (or holding this process's own stale agents): other monitors' changes
   * up to seq may be missing from it.
   */
  complete: boolean;
}

interface Shelved {
  /** The stream position of the client whose read this is. */
  from: number;
  startedAt: number;
  /** Resolves to undefined when the read failed, or was made while Redis was away (not to be shared). */
  frame: Promise<SnapshotFrame | undefined>;
  seq: number | undefined;
}

export class SnapshotShelf {
  private readonly shelf = new Map<string, Shelved>();

  constructor(private readonly store: AgentStore) {}

  /**
   * A snapshot for a client whose stream hands it every change after `from`. Shared when another client's read,
   * started or done within the last second, covers `from`; never while Redis is away (the seq stands still then,
   * but stale changes do not). Rejects when the store cannot be read.
   */
  async frameFor(filter: AgentFilter, from: number): Promise<SnapshotFrame> {
    const key = filterKey(filter);
    const shelved = this.shelf.get(key);
    if (shelved && this.canShare(shelved, from)) {
      const frame = await shelved.frame;
      if (frame) return frame;
    }
    return this.read(key, filter, from);
  }

  /** The same read started at the same stream position, or a finished one at or past it. */
  private canShare(shelved: Shelved, from: number): boolean {
    if (!this.store.health().up || performance.now() - shelved.startedAt > SHARE_FOR_MS) return false;
    return shelved.from === from || (shelved.seq !== undefined && shelved.seq >= from);
  }

  private read(key: string, filter: AgentFilter, from: number): Promise<SnapshotFrame> {
    const upBefore = this.store.health().up;
    const read = readAll(this.store, filter).then(({ agents, seq }) => {
      // Read while Redis was away, or with agents only this process holds: right for this client, not to be shared.
      const complete = upBefore && this.store.health().up && !agents.some((a) => a.stale);
      return { seq, payload: snapshotFrame(JSON.stringify({ agents, seq }), seq), complete };
    });
    if (upBefore) this.shelve(key, from, read);
    return read;
  }

  private shelve(key: string, from: number, read: Promise<SnapshotFrame>): void {
    const shelved: Shelved = { from, startedAt: performance.now(), seq: undefined, frame: Promise.resolve(undefined) };
    shelved.frame = read.then(
      (frame) => {
        if (!frame.complete) return this.forget(key, shelved);
        shelved.seq = frame.seq;
        return frame;
      },
      () => this.forget(key, shelved),
    );
    if (this.shelf.size >= MAX_FILTERS) this.shelf.clear();
    this.shelf.set(key, shelved);
  }

  private forget(key: string, shelved: Shelved): undefined {
    if (this.shelf.get(key) === shelved) this.shelf.delete(key);
    return undefined;
  }
}

/** Every agent matching the filter; the seq is the first page's (later pages may be newer, never older). */
async function readAll(store: AgentStore, filter: AgentFilter): Promise<{ agents: AgentRecord[]; seq: number }> {
  const first = await store.list(filter, SNAPSHOT_PAGE, null);
  const agents = [...first.agents];
  for (let cursor = first.nextCursor; cursor !== null; ) {
    const page = await store.list(filter, SNAPSHOT_PAGE, cursor);
    agents.push(...page.agents);
    cursor = page.nextCursor;
  }
  return { agents, seq: first.seq };
}

export function filterKey(f: AgentFilter): string {
  return [f.state, f.kind, f.session, f.monitor].join('\0');
}
