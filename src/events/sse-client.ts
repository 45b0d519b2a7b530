// One /v1/events connection: snapshot or replay first, then live events, with a bounded queue so a client that
// stops reading is cut instead of holding memory or anyone else up. The connection is @fastify/sse's (headers,
// retry, heartbeat, close); the events' frames are built once for all clients (frames.ts).
import type { FastifyReply } from 'fastify';
import type { AgentRecord } from '../agents/model.ts';
import { matchesFilter } from '../store/records.ts';
import type { AgentFilter, AgentStore } from '../store/types.ts';
import { batchOf, frameOf, snapshotFrame } from './frames.ts';
import type { ChangeEvent, ChangeStream, StreamItem } from './schemas.ts';

/** A page of the snapshot; the whole filtered list goes out as one event. */
const SNAPSHOT_PAGE = 1000;

export interface SseClientOptions {
  stream: ChangeStream;
  store: AgentStore;
  filter: AgentFilter;
  /** Bytes of events queued for a client that does not read before it is cut. */
  bufferBytes: number;
  onCut: () => void;
  /** The last snapshot frame per filter: clients connecting at the same seq share it. */
  snapshots: Map<string, SnapshotFrame>;
}

type Phase = 'replaying' | 'snapshotting' | 'live' | 'closed';

export interface SnapshotFrame {
  seq: number;
  bytes: Buffer;
}

export class SseClient {
  private phase: Phase = 'replaying';
  private replayed: ChangeEvent[] = [];
  private resetSeen = false;
  /** The seq from which the stream hands this client every change: a snapshot at exactly this seq leaves no gap. */
  private streamFrom = 0;
  /** Items heard while a snapshot is being read; those it already covers are dropped after. */
  private held: StreamItem[] = [];
  private queue: ChangeEvent[] = [];
  private queuedBytes = 0;
  private waitingForDrain = false;
  private unsubscribe: () => void = () => undefined;
  private readonly filterKey: string;

  constructor(
    private readonly reply: FastifyReply,
    private readonly opts: SseClientOptions,
  ) {
    reply.sse.onClose(() => this.close());
    const f = opts.filter;
    this.filterKey = [f.state, f.kind, f.session, f.monitor].join('\0');
  }

  /** `since` null (or a store that is away): a snapshot first; otherwise the changes after it, one per agent. */
  async start(since: number | null): Promise<void> {
    this.streamFrom = this.opts.stream.seq;
    this.unsubscribe = this.opts.stream.subscribe(since, (item) => this.hear(item), () => this.flush());
    const replay = this.replayed;
    this.replayed = [];
    if (this.phase === 'closed') return;
    if (since === null || this.resetSeen || !this.opts.store.health().up) return this.snapshot();
    this.phase = 'live';
    for (const e of collapse(replay)) this.enqueue(e);
    this.flush();
  }

  private hear(item: StreamItem): void {
    if (item.type === 'reset') this.streamFrom = item.seq;
    if (this.phase === 'replaying') {
      if (item.type === 'reset') this.resetSeen = true;
      else this.replayed.push(item);
    } else if (this.phase === 'snapshotting') {
      this.held.push(item);
    } else if (this.phase === 'live') {
      if (item.type === 'reset') void this.snapshot();
      else this.enqueue(item);
    }
  }

  private async snapshot(): Promise<void> {
    this.phase = 'snapshotting';
    const frame = this.sharedSnapshot() ?? (await this.readSnapshot());
    if (!frame || this.phase !== 'snapshotting') return;
    this.reply.raw.write(frame.bytes);
    const held = this.held;
    this.held = [];
    this.phase = 'live';
    for (const item of held) {
      if (item.type === 'reset') return this.snapshot();
      if (item.stale || item.seq > frame.seq) this.enqueue(item);
    }
    this.flush();
  }

  /**
   * The frame another client with this filter got, when it was taken at the very seq this client's stream starts
   * from: a thousand dashboards reconnecting at once then cost one read of the store, not a thousand. Never while
   * Redis is away: the seq stands still then, but stale changes do not.
   */
  private sharedSnapshot(): SnapshotFrame | undefined {
    if (!this.opts.store.health().up) return undefined;
    const cached = this.opts.snapshots.get(this.filterKey);
    return cached?.seq === this.streamFrom ? cached : undefined;
  }

  /** A snapshot read from the store; shared with later clients unless some agent in it is stale (Redis away). */
  private async readSnapshot(): Promise<SnapshotFrame | undefined> {
    let agents: AgentRecord[];
    let seq: number;
    try {
      ({ agents, seq } = await this.readAll());
    } catch (err) {
      this.reply.log.warn({ err }, 'events: snapshot failed; client disconnected to retry');
      this.cut();
      return undefined;
    }
    const frame = { seq, bytes: snapshotFrame(JSON.stringify({ agents, seq }), seq) };
    if (!agents.some((a) => a.stale)) {
      if (this.opts.snapshots.size > 100) this.opts.snapshots.clear();
      this.opts.snapshots.set(this.filterKey, frame);
    }
    return frame;
  }

  /** Every agent matching the filter; the seq is the first page's (later pages may be newer, never older). */
  private async readAll(): Promise<{ agents: AgentRecord[]; seq: number }> {
    const first = await this.opts.store.list(this.opts.filter, SNAPSHOT_PAGE, null);
    const agents = [...first.agents];
    for (let cursor = first.nextCursor; cursor !== null; ) {
      const page = await this.opts.store.list(this.opts.filter, SNAPSHOT_PAGE, cursor);
      agents.push(...page.agents);
      cursor = page.nextCursor;
    }
    return { agents, seq: first.seq };
  }

  private enqueue(e: ChangeEvent): void {
    if (e.type === 'agent' && !matchesFilter(e.agent, this.opts.filter)) return;
    this.queue.push(e);
    this.queuedBytes += frameOf(e).bytes.length;
    if (this.waitingForDrain) this.cutIfTooFarBehind();
  }

  /** What came in one run goes out in one write; if the socket is then full, the next waits for its drain. */
  private flush(): void {
    if (this.phase === 'closed' || this.waitingForDrain || this.queue.length === 0) return;
    const batch = batchOf(this.filterKey, this.queue);
    this.queue = [];
    this.queuedBytes = 0;
    if (this.write(batch)) return;
    this.waitingForDrain = true;
    this.reply.raw.once('drain', () => {
      this.waitingForDrain = false;
      this.flush();
    });
  }

  /**
   * Writes now, within the hub's slice, rather than on the next tick as a response does by itself (it corks the
   * socket until then): the slice's time then counts the write, and each client gets its batch at once.
   */
  private write(bytes: Buffer): boolean {
    const socket = this.reply.raw.socket;
    socket?.cork();
    try {
      return this.reply.raw.write(bytes);
    } finally {
      socket?.uncork();
    }
  }

  /**
   * Only what waits behind a socket that stopped taking data counts: a burst (a cycle that changed the whole
   * fleet) is written straight through, and what comes while the socket is still full of it queues here.
   */
  private cutIfTooFarBehind(): void {
    if (this.queuedBytes > this.opts.bufferBytes) this.cut();
  }

  /** A client too far behind: dropped at once (not ended: a stalled socket would never finish an end). */
  private cut(): void {
    if (this.phase === 'closed') return;
    this.opts.onCut();
    this.reply.raw.destroy();
    this.close();
  }

  /** The server is shutting down: end the stream (the client reconnects, elsewhere or later, with its Last-Event-ID). */
  end(): void {
    this.close();
    this.reply.raw.destroy();
  }

  close(): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.unsubscribe();
    this.queue = [];
    this.held = [];
  }
}

/** The replayed changes as ?since would give them: the last change of each agent, in seq order. */
function collapse(events: ChangeEvent[]): ChangeEvent[] {
  const last = new Map<string, ChangeEvent>();
  for (const e of events) {
    const id = e.type === 'agent' ? e.agent.id : e.id;
    last.delete(id);
    last.set(id, e);
  }
  return [...last.values()];
}
