// The in-process heart of the change stream: a bounded replay log in seq order and the subscribers. Both
// sources (the embedded store, the Redis Stream reader) publish into one hub; delivery is deferred to its own
// tick so a store write never waits for subscribers.
import type { ChangeEvent, ChangeStream, StreamItem } from './schemas.ts';

export const DEFAULT_REPLAY_LIMIT = 4096;

interface Subscriber {
  listener: (item: StreamItem) => void;
  /** Highest seq this subscriber has been given; older events still queued are not delivered again. */
  after: number;
}

export interface ChangeHubOptions {
  /** Events kept for replay; a subscriber further behind gets a reset. */
  replayLimit?: number;
  /** Sequence the stream starts at: changes at or before it are only in snapshots. */
  startSeq?: number;
  onListenerError?: (err: unknown) => void;
}

export class ChangeHub implements ChangeStream {
  private readonly log: ChangeEvent[] = [];
  /** Changes at or below this seq are no longer replayable. */
  private floor: number;
  /** The highest seq published (or reset to). */
  private head: number;
  private readonly subscribers = new Set<Subscriber>();
  private queue: StreamItem[] = [];
  private scheduled = false;
  private readonly replayLimit: number;

  constructor(private readonly opts: ChangeHubOptions = {}) {
    this.replayLimit = opts.replayLimit ?? DEFAULT_REPLAY_LIMIT;
    this.floor = this.head = opts.startSeq ?? 0;
  }

  get seq(): number {
    return this.head;
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /**
   * A change as it was written. Shared changes must come in seq order; one at or below the head is a repeat and
   * is dropped. Stale changes (Redis away) are delivered but never replayed: they have no seq of their own.
   */
  publish(event: ChangeEvent): void {
    if (!event.stale) {
      if (event.seq <= this.head) return;
      this.head = event.seq;
      this.log.push(event);
      if (this.log.length > this.replayLimit) this.floor = this.log.splice(0, this.log.length - this.replayLimit).at(-1)!.seq;
    }
    this.enqueue(event);
  }

  /** History up to `seq` is lost to the stream (e.g. Redis restarted empty): subscribers take a fresh snapshot. */
  reset(seq: number): void {
    this.log.length = 0;
    this.floor = this.head = Math.max(seq, this.head);
    this.enqueue({ type: 'reset', seq: this.head });
  }

  subscribe(since: number | null, listener: (item: StreamItem) => void): () => void {
    const sub: Subscriber = { listener, after: this.head };
    if (since !== null) {
      if (since < this.floor || since > this.head) this.deliver(sub, { type: 'reset', seq: this.head });
      else for (const e of this.log) if (e.seq > since) this.deliver(sub, e);
    }
    this.subscribers.add(sub);
    return () => this.subscribers.delete(sub);
  }

  private enqueue(item: StreamItem): void {
    this.queue.push(item);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const items = this.queue;
    this.queue = [];
    for (const sub of this.subscribers) {
      for (const item of items) {
        if (item.type !== 'reset' && !item.stale && item.seq <= sub.after) continue;
        if (!this.subscribers.has(sub)) break; // unsubscribed by its own listener
        this.deliver(sub, item);
      }
    }
  }

  private deliver(sub: Subscriber, item: StreamItem): void {
    if (item.type === 'reset') sub.after = item.seq;
    else if (!item.stale) sub.after = Math.max(sub.after, item.seq);
    try {
      sub.listener(item);
    } catch (err) {
      this.opts.onListenerError?.(err);
    }
  }
}
