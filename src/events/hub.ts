// The in-process heart of the change stream: a bounded replay log in seq order and the subscribers. Both
// sources (the embedded store, the Redis Stream reader) publish into one hub; delivery is deferred to its own
// tick so a store write never waits for subscribers. Items wait in an outbox that each subscriber reads from its
// own cursor, in turn, a slice at a time.
import { within } from '../deadline.ts';
import type { ChangeEvent, ChangeStream, StreamItem } from './schemas.ts';

export const DEFAULT_REPLAY_LIMIT = 4096;
/**
 * The longest one run of deliveries holds the event loop. A thousand clients take tens of milliseconds to be
 * handed a cycle's changes; in slices, the loop's own cycle and the API's requests go on in between.
 */
const DELIVERY_SLICE_MS = 2;

interface Subscriber {
  onRun: (run: readonly StreamItem[]) => void;
  /** Absolute index of the first outbox item this subscriber has not been handed. */
  cursor: number;
}

/** The items from one outbox index to another, handed as one array to every subscriber that was at the same point. */
interface Run {
  from: number;
  to: number;
  items: readonly StreamItem[];
}

export interface ChangeHubOptions {
  /** Events kept for replay at least (up to twice as many); a subscriber further behind gets a reset. */
  replayLimit?: number;
  /** Sequence the stream starts at: changes at or before it are only in snapshots. */
  startSeq?: number;
  onListenerError?: (err: unknown) => void;
  /** After each hand-over to a subscriber: how long its oldest item waited in the hub (ms). */
  onDelivered?: (waitedMs: number) => void;
  /**
   * The seq the source has written up to, for a hub that hears of writes after they are made (the Redis reader);
   * null when that is not known now (Redis away). Without it, what was published is all there is.
   */
  sourceSeq?: () => Promise<number | null>;
}

export class ChangeHub implements ChangeStream {
  private readonly log: ChangeEvent[] = [];
  /** Changes at or below this seq are no longer replayable. */
  private floor: number;
  /** The highest seq published (or reset to). */
  private head: number;
  private readonly subscribers = new Set<Subscriber>();
  /** Subscribers in the order they take turns; `turn` is whose turn is next. */
  private readonly order: Subscriber[] = [];
  private turn = 0;
  /** Items some subscriber has not been handed yet; outbox[0] has the absolute index `outboxStart`. */
  private outbox: StreamItem[] = [];
  /** When each outbox item came (performance.now()). */
  private outboxAt: number[] = [];
  private outboxStart = 0;
  private scheduled = false;
  /** Those waiting (drained) for a seq to be published and the outbox to empty. */
  private drainWaiters: Array<{ seq: number; resolve: () => void }> = [];
  /** The run last handed over, shared with the next subscriber that needs the same one (most of them do). */
  private lastRun: Run | null = null;
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
      // Trimmed in one go once it holds twice the limit: shifting the oldest out on every publish moved the whole
      // log each time, which a storm of hooks made the hub's main cost.
      if (this.log.length >= 2 * this.replayLimit) this.floor = this.log.splice(0, this.log.length - this.replayLimit).at(-1)!.seq;
    }
    this.enqueue(event);
  }

  /**
   * Resolves once what the source has written so far is published and handed to every subscriber, or after
   * `timeoutMs` (a stream that lags, or a source that is away or slow to answer, holds nobody up for long).
   */
  async drained(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    const written = (await within(timeoutMs, this.opts.sourceSeq?.() ?? Promise.resolve(null))) ?? this.head;
    if (this.isDrainedThrough(written)) return;
    let resolve!: () => void;
    const drained = new Promise<void>((r) => (resolve = r));
    const waiter = { seq: written, resolve };
    this.drainWaiters.push(waiter);
    await within(deadline - performance.now(), drained);
    this.drainWaiters = this.drainWaiters.filter((w) => w !== waiter);
  }

  private isDrainedThrough(seq: number): boolean {
    return this.head >= seq && this.outbox.length === 0;
  }

  /** History up to `seq` is lost to the stream (e.g. Redis restarted empty): subscribers take a fresh snapshot. */
  reset(seq: number): void {
    this.log.length = 0;
    this.floor = this.head = Math.max(seq, this.head);
    this.enqueue({ type: 'reset', seq: this.head });
  }

  /** Each item on its own: for consumers that act on every change (webhooks, the transition log). */
  subscribe(since: number | null, listener: (item: StreamItem) => void): () => void {
    let subscribed = true;
    const unsubscribe = this.subscribeRuns(since, (run) => {
      for (const item of run) {
        if (!subscribed) return; // unsubscribed by its own listener, in the middle of a run
        this.guard(() => listener(item));
      }
    });
    return () => {
      subscribed = false;
      unsubscribe();
    };
  }

  /**
   * Items in runs: the replay (synchronously, before this returns), then what was published since the last run.
   * Subscribers at the same point of the outbox are handed the same array, so what they derive from it (a
   * stream client's filtered frames) can be built once for all of them.
   */
  subscribeRuns(since: number | null, onRun: (run: readonly StreamItem[]) => void): () => void {
    const sub: Subscriber = { onRun, cursor: this.outboxEnd };
    if (since !== null) {
      const replay = since < this.floor || since > this.head ? [{ type: 'reset' as const, seq: this.head }] : this.log.filter((e) => e.seq > since);
      if (replay.length > 0) this.guard(() => onRun(replay));
    }
    this.subscribers.add(sub);
    this.order.push(sub);
    return () => this.unsubscribe(sub);
  }

  private unsubscribe(sub: Subscriber): void {
    if (!this.subscribers.delete(sub)) return;
    const at = this.order.indexOf(sub);
    this.order.splice(at, 1);
    if (at < this.turn) this.turn--;
  }

  private get outboxEnd(): number {
    return this.outboxStart + this.outbox.length;
  }

  private enqueue(item: StreamItem): void {
    this.outbox.push(item);
    this.outboxAt.push(performance.now());
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.deliverSlice());
  }

  /**
   * Subscribers take turns being handed everything after their cursor, for at most a slice; then the hub yields.
   * Items published meanwhile reach those not yet served together with the rest, and the others on their next turn.
   */
  private deliverSlice(): void {
    this.scheduled = false;
    const end = this.outboxEnd;
    const until = performance.now() + DELIVERY_SLICE_MS;
    // A full lap of subscribers none of whom was behind ends the run; any delivery starts the count again.
    for (let upToDate = 0; upToDate < this.order.length && performance.now() < until; ) {
      if (this.turn >= this.order.length) this.turn = 0;
      const sub = this.order[this.turn++]!;
      if (sub.cursor >= end) {
        upToDate++;
        continue;
      }
      upToDate = 0;
      this.handOver(sub, this.runBetween(sub.cursor, end));
    }
    if (this.dropDelivered() < this.outboxEnd) this.schedule();
    else this.settleDrained();
  }

  /** Every run ends here once the outbox is empty: those waiting for a seq published by now are done. */
  private settleDrained(): void {
    for (const waiter of this.drainWaiters) if (this.isDrainedThrough(waiter.seq)) waiter.resolve();
  }

  private runBetween(from: number, to: number): Run {
    if (this.lastRun?.from !== from || this.lastRun.to !== to) {
      this.lastRun = { from, to, items: this.outbox.slice(from - this.outboxStart, to - this.outboxStart) };
    }
    return this.lastRun;
  }

  private handOver(sub: Subscriber, run: Run): void {
    const oldest = this.outboxAt[run.from - this.outboxStart]!;
    sub.cursor = run.to;
    this.guard(() => sub.onRun(run.items));
    this.guard(() => this.opts.onDelivered?.(performance.now() - oldest));
  }

  /** Forgets the items every subscriber has been handed; returns the lowest cursor. */
  private dropDelivered(): number {
    let lowest = this.outboxEnd;
    for (const sub of this.order) lowest = Math.min(lowest, sub.cursor);
    this.outbox.splice(0, lowest - this.outboxStart);
    this.outboxAt.splice(0, lowest - this.outboxStart);
    this.outboxStart = lowest;
    if (this.lastRun && this.lastRun.to <= lowest) this.lastRun = null;
    return lowest;
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.opts.onListenerError?.(err);
    }
  }
}
