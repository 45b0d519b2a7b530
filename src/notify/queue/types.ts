// A queue of pending webhook deliveries: in Redis (survives a restart, shared by the instances of a monitor)
// or in memory (embedded store).

/** One notification to one hook, as stored until it is delivered or given up. Holds no URL and no secret. */
export interface Delivery {
  /** The webhook-id: the same on every attempt, so receivers can de-duplicate. */
  id: string;
  hook: string;
  agent: string;
  contentType: string;
  body: string;
  /** When it was first due (epoch ms); the retry window counts from here. */
  createdAt: number;
  /** Attempts made so far. */
  attempts: number;
}

/** A delivery taken from the queue; no other claimer gets it until its lease ends or it is finished. */
export interface Claimed extends Delivery {
  lease: string;
}

export type EnqueueResult = 'queued' | 'duplicate' | 'full';

export interface DeliveryQueue {
  readonly backend: 'memory' | 'redis';
  /** Add a delivery, unless one with its id is pending or was finished recently (`duplicate`) or the queue is full. */
  enqueue(d: Delivery): Promise<EnqueueResult>;
  /** Up to `limit` deliveries due at `now`, each leased for `leaseMs` (due again after that, should its claimer die). */
  claim(now: number, limit: number, leaseMs: number): Promise<Claimed[]>;
  /** Delivered or given up: remove it, and remember its id for a while so a replay does not send it again. */
  finish(c: Claimed, now: number): Promise<void>;
  /** Failed: try again at `at`, with one more attempt counted. */
  retry(c: Claimed, at: number): Promise<void>;
  /** Pending deliveries per hook. */
  depth(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

/** How long a finished delivery's id is remembered, and how many at most, to drop replays of the same event. */
export const FINISHED_MEMORY_MS = 24 * 3_600_000;
export const FINISHED_MEMORY_MAX = 10_000;
