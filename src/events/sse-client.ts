// One /v1/events connection: snapshot or replay first, then live events, with a bounded queue so a client that
// stops reading is cut instead of holding memory or anyone else up. SSE framing is @fastify/sse's (reply.sse).
import type { Transform } from 'node:stream';
import type { FastifyReply } from 'fastify';
import type { AgentRecord } from '../agents/model.ts';
import { matchesFilter } from '../store/records.ts';
import type { AgentFilter, AgentStore } from '../store/types.ts';
import type { ChangeEvent, ChangeStream, StreamItem } from './schemas.ts';

/** A page of the snapshot; the whole filtered list goes out as one event. */
const SNAPSHOT_PAGE = 1000;
/** An event as it goes out: serialized once per event and shared by every client. */
interface Outgoing {
  id?: string;
  event: string;
  data: string;
}

const serialized = new WeakMap<ChangeEvent, Outgoing>();

/** Stale events (Redis away) carry no id: the client's Last-Event-ID stays at the last shared seq. */
function outgoing(e: ChangeEvent): Outgoing {
  let out = serialized.get(e);
  if (!out) {
    const id = e.stale ? undefined : String(e.seq);
    out = e.type === 'agent' ? { id, event: 'agent', data: JSON.stringify(e.agent) } : { id, event: 'removed', data: JSON.stringify({ id: e.id }) };
    serialized.set(e, out);
  }
  return out;
}

export interface SseClientOptions {
  stream: ChangeStream;
  store: AgentStore;
  filter: AgentFilter;
  /** Bytes of events queued for a client that does not read before it is cut. */
  bufferBytes: number;
  onCut: () => void;
}

type Phase = 'replaying' | 'snapshotting' | 'live' | 'closed';

export class SseClient {
  private phase: Phase = 'replaying';
  private replayed: ChangeEvent[] = [];
  private resetSeen = false;
  /** Items heard while a snapshot is being read; those it already covers are dropped after. */
  private held: StreamItem[] = [];
  private queue: Outgoing[] = [];
  private queuedBytes = 0;
  private flushScheduled = false;
  private waitingForDrain = false;
  private unsubscribe: () => void = () => undefined;
  /** @fastify/sse's framing transform, piped into the response: one drain listener however many events wait. */
  private readonly out: Transform;

  constructor(
    private readonly reply: FastifyReply,
    private readonly opts: SseClientOptions,
  ) {
    reply.sse.onClose(() => this.close());
    // The types call it a WritableStream; at run time it is the plugin's object-mode Transform.
    this.out = reply.sse.stream() as unknown as Transform;
    this.out.on('error', () => this.close());
    this.out.pipe(reply.raw, { end: false });
  }

  /** `since` null (or a store that is away): a snapshot first; otherwise the changes after it, one per agent. */
  async start(since: number | null): Promise<void> {
    this.unsubscribe = this.opts.stream.subscribe(since, (item) => this.hear(item));
    const replay = this.replayed;
    this.replayed = [];
    if (this.phase === 'closed') return;
    if (since === null || this.resetSeen || !this.opts.store.health().up) return this.snapshot();
    this.phase = 'live';
    for (const e of collapse(replay)) this.enqueue(e);
  }

  private hear(item: StreamItem): void {
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
    let agents: AgentRecord[];
    let seq: number;
    try {
      ({ agents, seq } = await this.readAll());
    } catch (err) {
      this.reply.log.warn({ err }, 'events: snapshot failed; client disconnected to retry');
      return this.cut();
    }
    if (this.phase !== 'snapshotting') return;
    this.out.write({ id: String(seq), event: 'snapshot', data: JSON.stringify({ agents, seq }) });
    const held = this.held;
    this.held = [];
    this.phase = 'live';
    for (const item of held) {
      if (item.type === 'reset') return this.snapshot();
      if (item.stale || item.seq > seq) this.enqueue(item);
    }
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
    const out = outgoing(e);
    this.queue.push(out);
    this.queuedBytes += out.data.length + 32;
    if (this.waitingForDrain) return this.cutIfTooFarBehind();
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // After the hub has handed this tick's events to every client: one write per client per tick.
      queueMicrotask(() => this.flush());
    }
  }

  /**
   * Everything queued goes through the plugin's SSE transform in one corked write. While the transform is still
   * full (the socket stopped taking data), later events queue here and the next batch waits for its drain.
   */
  private flush(): void {
    this.flushScheduled = false;
    if (this.phase === 'closed' || this.waitingForDrain) return;
    const raw = this.reply.raw;
    raw.cork();
    for (const out of this.queue) this.out.write(out);
    raw.uncork();
    this.queue = [];
    this.queuedBytes = 0;
    if (this.out.writableNeedDrain) {
      this.waitingForDrain = true;
      this.out.once('drain', () => {
        this.waitingForDrain = false;
        this.flush();
      });
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
    this.out.unpipe(this.reply.raw);
    this.out.destroy();
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
