// Sends what is due in the delivery queues: claims a batch, delivers each on its own (a slow receiver does
// not hold up the others), then finishes it or schedules its retry. Never overlapping ticks, like the poll loop.
import { nextAttemptAt } from './backoff.ts';
import type { WebhookMetrics } from './metrics.ts';
import type { Claimed, DeliveryQueue } from './queue/types.ts';
import type { Hook, RetryPolicy } from './schemas.ts';
import { attempt } from './send.ts';
import type { StatusBook } from './status.ts';

export interface WorkerLog {
  info(msg: string): void;
  warn(msg: string): void;
}

export interface WorkerOptions {
  /** The queues to drain: Redis (when configured) and the in-memory one. */
  queues: DeliveryQueue[];
  hook(name: string): Hook | undefined;
  policy(): RetryPolicy;
  metrics: WebhookMetrics;
  status: StatusBook;
  log: WorkerLog;
  userAgent: string;
  tickMs?: number;
  maxInFlight?: number;
}

const DEPTH_EVERY_MS = 1000;

export class DeliveryWorker {
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  /** A kick came while a tick was running: it may have claimed before the new delivery was queued. */
  private again = false;
  /** A claim found no room: claim again as soon as a delivery in flight ends, not a tick later. */
  private starved = false;
  private running = false;
  private readonly stopping = new AbortController();
  private readonly inFlight = new Set<Promise<void>>();
  private depths = new Map<DeliveryQueue, Record<string, number>>();
  private depthAt = 0;
  private readonly failingQueues = new Set<DeliveryQueue>();
  private readonly tickMs: number;
  private readonly maxInFlight: number;

  constructor(private readonly opts: WorkerOptions) {
    this.tickMs = opts.tickMs ?? 250;
    this.maxInFlight = opts.maxInFlight ?? 16;
  }

  start(): void {
    this.running = true;
    this.arm(0);
  }

  /** Something was queued: look now rather than at the next tick (or right after the one in flight). */
  kick(): void {
    if (!this.running) return;
    if (this.ticking) this.again = true;
    else this.arm(0);
  }

  /** Stop claiming; attempts in flight are cut short and put back as due, so a restart sends them at once. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.stopping.abort();
    await this.ticking;
    await Promise.allSettled([...this.inFlight]);
  }

  /** Pending deliveries per hook over all queues, as last read (no I/O). */
  depth(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const d of this.depths.values()) for (const [hook, n] of Object.entries(d)) out[hook] = (out[hook] ?? 0) + n;
    return out;
  }

  private arm(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.ticking = this.tick().finally(() => (this.ticking = null));
    }, ms);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    this.timer = null;
    for (const queue of this.opts.queues) await this.claimFrom(queue);
    if (Date.now() - this.depthAt >= DEPTH_EVERY_MS) await this.readDepths();
    if (this.running && !this.timer) this.arm(this.again ? 0 : this.tickMs);
    this.again = false;
  }

  private async claimFrom(queue: DeliveryQueue): Promise<void> {
    const room = this.maxInFlight - this.inFlight.size;
    if (room <= 0) {
      this.starved = true;
      return;
    }
    const leaseMs = this.opts.policy().timeoutMs + 10_000;
    try {
      const claimed = await queue.claim(Date.now(), room, leaseMs);
      this.queueAnswered(queue);
      for (const c of claimed) this.track(this.deliver(queue, c));
    } catch (err) {
      this.queueFailed(queue, err);
    }
  }

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => {
      this.inFlight.delete(p);
      if (!this.starved) return;
      this.starved = false;
      this.kick();
    });
  }

  private async deliver(queue: DeliveryQueue, c: Claimed): Promise<void> {
    try {
      const hook = this.opts.hook(c.hook);
      if (!hook) return await this.giveUp(queue, c, 'dropped', 'the hook is no longer configured');
      const r = await attempt(hook, c, this.opts.policy().timeoutMs, this.opts.userAgent, this.stopping.signal);
      if (this.stopping.signal.aborted && !r.ok) return await queue.retry(c, Date.now());
      this.opts.metrics.attempted(c.hook, r.durationMs / 1000);
      this.opts.status.attempted(c.hook, r, Date.now());
      if (r.ok) {
        this.opts.metrics.count(c.hook, 'ok');
        return await queue.finish(c, Date.now());
      }
      this.opts.metrics.count(c.hook, 'failed');
      if (r.permanent) return await this.giveUp(queue, c, 'rejected', `the receiver answered ${r.status}`);
      const at = nextAttemptAt(c.createdAt, c.attempts + 1, Date.now(), this.opts.policy(), r.retryAfterMs);
      if (at === null) return await this.giveUp(queue, c, 'expired', `still failing (${r.error}) after ${c.attempts + 1} attempts`);
      await queue.retry(c, at);
    } catch (err) {
      // The queue failed to record the outcome: the lease runs out and the delivery is due again (at least once).
      this.queueFailed(queue, err);
    } finally {
      this.depthAt = 0; // the depth changed: read it at the next tick
    }
  }

  private async giveUp(queue: DeliveryQueue, c: Claimed, result: 'dropped' | 'rejected' | 'expired', why: string): Promise<void> {
    this.opts.metrics.count(c.hook, result);
    this.opts.status.decided(c.hook, result);
    this.opts.log.warn(`webhook ${c.hook}: delivery ${c.id} for agent ${c.agent} ${result}: ${why}`);
    await queue.finish(c, Date.now());
  }

  private async readDepths(): Promise<void> {
    this.depthAt = Date.now();
    for (const queue of this.opts.queues) {
      try {
        this.depths.set(queue, await queue.depth());
      } catch (err) {
        this.queueFailed(queue, err);
      }
    }
  }

  private queueFailed(queue: DeliveryQueue, err: unknown): void {
    if (this.failingQueues.has(queue)) return;
    this.failingQueues.add(queue);
    this.opts.log.warn(`webhook queue (${queue.backend}) unavailable, retrying: ${(err as Error).message}`);
  }

  private queueAnswered(queue: DeliveryQueue): void {
    if (this.failingQueues.delete(queue)) this.opts.log.info(`webhook queue (${queue.backend}) answers again`);
  }
}
