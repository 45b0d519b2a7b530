// One /v1/events connection: snapshot or replay first, then live events, with a bounded queue so a client that
// stops reading is cut instead of holding memory or anyone else up. The connection is @fastify/sse's (headers,
// close); what goes on it (frames, retry, heartbeats) is written here, in the client's encoding, from payloads
// built once for all clients (frames.ts).
import type { FastifyReply } from 'fastify';
import { matchesFilter } from '../store/records.ts';
import type { AgentFilter, AgentStore } from '../store/types.ts';
import { type Batch, batchOf, batchOfRun, GZIP_HEADER, HEARTBEAT, type Payload, retryFrame, type StreamEncoding } from './frames.ts';
import type { ChangeEvent, ChangeStream, StreamItem } from './schemas.ts';
import { filterKey, type SnapshotFrame, type SnapshotShelf } from './snapshots.ts';

export interface SseClientOptions {
  stream: ChangeStream;
  store: AgentStore;
  filter: AgentFilter;
  /** Bytes of events queued for a client that does not read before it is cut. */
  bufferBytes: number;
  onCut: () => void;
  /** Where snapshots come from, shared by the clients that start at the same point of the stream. */
  snapshots: SnapshotShelf;
  /** What the response's Content-Encoding says; its headers are sent before the client starts. */
  encoding: StreamEncoding;
  /** How often a comment goes out, so that proxies and clients see a live connection on a quiet stream. */
  heartbeatMs: number;
  /** The `retry:` the stream opens with. */
  retryMs: number;
}

type Phase = 'replaying' | 'snapshotting' | 'live' | 'closed';

export class SseClient {
  private phase: Phase = 'replaying';
  private replayed: ChangeEvent[] = [];
  private resetSeen = false;
  /** The seq after which the stream hands this client every change: a snapshot at or past it leaves no gap. */
  private streamFrom = 0;
  /** A snapshot to go out before anything queued. */
  private snapshotPayload: Payload | null = null;
  /** Items heard while a snapshot is being read; those it already covers are dropped after. */
  private held: StreamItem[] = [];
  /** The seq the last snapshot sent was read at: shared changes up to it are in it, and are not sent again. */
  private coveredTo = -1;
  private queue: Batch[] = [];
  private queuedBytes = 0;
  private waitingForDrain = false;
  private unsubscribe: () => void = () => undefined;
  private readonly filterKey: string;
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(
    private readonly reply: FastifyReply,
    private readonly opts: SseClientOptions,
  ) {
    reply.sse.onClose(() => this.close());
    this.filterKey = filterKey(opts.filter);
  }

  /** `since` null (or a store that is away): a snapshot first; otherwise the changes after it, one per agent. */
  async start(since: number | null): Promise<void> {
    this.open();
    this.streamFrom = this.opts.stream.seq;
    this.unsubscribe = this.opts.stream.subscribeRuns(since, (run) => this.hear(run));
    const replay = this.replayed;
    this.replayed = [];
    if (this.phase === 'closed') return;
    if (since === null || this.resetSeen || !this.opts.store.health().up) return this.snapshot();
    this.phase = 'live';
    this.enqueue(batchOf(collapse(replay).filter(this.passes)));
    this.flush();
  }

  /** The stream's first bytes (the gzip header, the retry), then a heartbeat every heartbeatMs. */
  private open(): void {
    if (this.opts.encoding === 'gzip') this.reply.raw.write(GZIP_HEADER);
    this.write([retryFrame(this.opts.retryMs)]);
    this.heartbeat = setInterval(() => {
      // A socket still full is not an idle one; the heartbeat would only queue behind what it holds.
      if (!this.waitingForDrain) this.send([HEARTBEAT]);
    }, this.opts.heartbeatMs);
    this.heartbeat.unref();
  }

  /**
   * One run of the stream. Live, the run's frames for this client's filter are the same for every client with
   * that filter (batchOfRun), and go out in one write.
   */
  private hear(run: readonly StreamItem[]): void {
    const facts = factsOf(run);
    if (facts.hasReset) {
      for (const item of run) this.hearOne(item);
      this.flush();
    } else if (this.phase === 'live') {
      // A snapshot read from a store ahead of this instance's stream (Redis read back a moment later) already
      // holds the run's first changes: then this client's batch is its own.
      const events = run as readonly ChangeEvent[];
      this.enqueue(facts.firstShared > this.coveredTo ? batchOfRun(events, this.filterKey, this.passes) : batchOf(events.filter(this.wanted)));
      this.flush();
    } else if (this.phase === 'replaying') {
      this.replayed.push(...(run as readonly ChangeEvent[]));
    } else if (this.phase === 'snapshotting') {
      this.held.push(...run);
    }
  }

  private hearOne(item: StreamItem): void {
    if (item.type === 'reset') this.streamFrom = item.seq;
    if (this.phase === 'replaying') {
      if (item.type === 'reset') this.resetSeen = true;
      else this.replayed.push(item);
    } else if (this.phase === 'snapshotting') {
      this.held.push(item);
    } else if (this.phase === 'live') {
      if (item.type === 'reset') void this.snapshot();
      else this.enqueue(batchOf([item].filter(this.wanted)));
    }
  }

  private readonly passes = (e: ChangeEvent): boolean => e.type !== 'agent' || matchesFilter(e.agent, this.opts.filter);

  /** Not in the snapshot already sent. */
  private readonly unsent = (e: ChangeEvent): boolean => e.stale === true || e.seq > this.coveredTo;

  private readonly wanted = (e: ChangeEvent): boolean => this.unsent(e) && this.passes(e);

  private async snapshot(): Promise<void> {
    this.phase = 'snapshotting';
    let frame: SnapshotFrame;
    try {
      frame = await this.opts.snapshots.frameFor(this.opts.filter, this.streamFrom);
    } catch (err) {
      this.reply.log.warn({ err }, 'events: snapshot failed; client disconnected to retry');
      return this.cut();
    }
    if (this.phase !== 'snapshotting') return;
    this.sendFirst(frame);
    const held = this.held;
    this.held = [];
    this.phase = 'live';
    const reset = held.findIndex((item) => item.type === 'reset');
    const before = (reset < 0 ? held : held.slice(0, reset)) as ChangeEvent[];
    this.enqueue(batchOf(before.filter(this.wanted)));
    this.flush();
    // A client cut meanwhile (too far behind) stays closed.
    if (reset < 0 || this.isClosed()) return;
    this.held = held.slice(reset + 1); // what came after the reset may be newer than the next snapshot
    return this.snapshot();
  }

  /**
   * The snapshot goes out ahead of what is queued, of which it makes the shared changes up to its seq redundant
   * (a reset heard in the middle of a run leaves the run's earlier changes queued); through the queue, so a
   * socket that is still full gets it after its drain, not through it.
   */
  private sendFirst(frame: SnapshotFrame): void {
    this.snapshotPayload = frame.payload;
    // A snapshot read while Redis was away lacks other monitors' changes the stream has not brought yet: those
    // still go out after it.
    this.coveredTo = frame.complete ? frame.seq : Math.min(frame.seq, this.opts.stream.seq);
    const queue = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    for (const batch of queue) this.enqueue(batch.events.every(this.unsent) ? batch : batchOf(batch.events.filter(this.unsent)));
  }

  private enqueue(batch: Batch): void {
    if (batch.events.length === 0) return;
    this.queue.push(batch);
    this.queuedBytes += batch.payload.bytes.length;
    if (this.waitingForDrain) this.cutIfTooFarBehind();
  }

  /** What came in one run goes out in one write; if the socket is then full, the next waits for its drain. */
  private flush(): void {
    if (this.phase === 'closed' || this.waitingForDrain) return;
    const parts = this.snapshotPayload ? [this.snapshotPayload] : [];
    for (const batch of this.queue) parts.push(batch.payload);
    if (parts.length === 0) return;
    this.snapshotPayload = null;
    this.queue = [];
    this.queuedBytes = 0;
    this.send(parts);
  }

  /** Writes `parts`; if the socket is then full, what comes next waits for its drain. */
  private send(parts: Payload[]): void {
    if (this.write(parts)) return;
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
  private write(parts: Payload[]): boolean {
    // Its close is on its way (or was missed): a destroyed response takes no writes and never drains.
    if (this.phase === 'closed' || this.reply.raw.destroyed) return true;
    const socket = this.reply.raw.socket;
    socket?.cork();
    try {
      let ok = true;
      for (const part of parts) ok = this.reply.raw.write(part.as(this.opts.encoding));
      return ok;
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

  /** Also after an await or a write: a client can be closed (or cut) by what happened meanwhile. */
  private isClosed(): boolean {
    return this.phase === 'closed';
  }

  close(): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    clearInterval(this.heartbeat);
    this.unsubscribe();
    this.queue = [];
    this.held = [];
    this.snapshotPayload = null;
  }
}

interface RunFacts {
  hasReset: boolean;
  /** The seq of the run's first shared change (runs are in seq order); Infinity when it has none. */
  firstShared: number;
}

const runFacts = new WeakMap<readonly StreamItem[], RunFacts>();

/** What every client asks of a run it is handed, found once per run. */
function factsOf(run: readonly StreamItem[]): RunFacts {
  let facts = runFacts.get(run);
  if (!facts) {
    const first = run.find((item) => item.type !== 'reset' && !item.stale);
    facts = { hasReset: run.some((item) => item.type === 'reset'), firstShared: first?.seq ?? Infinity };
    runFacts.set(run, facts);
  }
  return facts;
}

/** The replayed changes as ?since would give them: the last change of each agent, in seq order. */
function collapse(events: readonly ChangeEvent[]): ChangeEvent[] {
  const last = new Map<string, ChangeEvent>();
  for (const e of events) {
    const id = e.type === 'agent' ? e.agent.id : e.id;
    last.delete(id);
    last.set(id, e);
  }
  return [...last.values()];
}
