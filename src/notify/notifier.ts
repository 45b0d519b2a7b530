// Webhooks end to end: change stream → trigger (ownership, filters, afterMs, cooldown) → rendered delivery →
// queue (Redis or memory) → worker (signed POST, retries). One per app, built by src/plugins/notify.ts.
import { createHash } from 'node:crypto';
import type { Registry } from 'prom-client';
import { createWebhookMetrics, type WebhookMetrics } from './metrics.ts';
import { MemoryQueue } from './queue/memory.ts';
import type { Delivery, DeliveryQueue, EnqueueResult } from './queue/types.ts';
import { render, type Transition } from './render.ts';
import type { Hook, WebhooksConfig } from './schemas.ts';
import type { ChangeSource, NotifiedAgent } from './source.ts';
import { StatusBook, type HookStatus } from './status.ts';
import { Trigger } from './trigger.ts';
import { DeliveryWorker, type WorkerLog } from './worker.ts';

export interface NotifierOptions {
  monitor: string;
  config(): WebhooksConfig;
  /** Redis queue when configured; deliveries also go to memory while it cannot take them. */
  queue: DeliveryQueue | null;
  /** Bound of the in-memory queue. */
  maxPending: number;
  registry: Registry;
  log: WorkerLog;
  userAgent?: string;
  tickMs?: number;
}

export type HookReport = HookStatus & { queueDepth: number };

/** The webhook-id: the same for one hook, agent and state episode, so a replayed event is not sent twice. */
export function deliveryId(hook: string, agent: NotifiedAgent): string {
  const digest = createHash('sha256').update(`${hook}\0${agent.id}\0${agent.state}\0${agent.stateSince}`).digest('hex');
  return `msg_${digest.slice(0, 32)}`;
}

export class Notifier {
  readonly backend: 'memory' | 'redis';
  private readonly memory: MemoryQueue;
  private readonly trigger: Trigger;
  private readonly worker: DeliveryWorker;
  private readonly metrics: WebhookMetrics;
  private readonly status = new StatusBook();
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly opts: NotifierOptions) {
    this.backend = opts.queue?.backend ?? 'memory';
    this.memory = new MemoryQueue(opts.maxPending);
    this.metrics = createWebhookMetrics(opts.registry, () => this.depth());
    this.trigger = new Trigger({
      monitor: opts.monitor,
      hooks: () => opts.config().hooks,
      fire: (hook, agent, transition) =>
        void this.enqueue(hook, agent, transition).catch((err: Error) => opts.log.warn(`webhook ${hook.name}: could not queue the delivery for agent ${agent.id}: ${err.message}`)),
      suppressed: (hook) => this.decided(hook.name, 'suppressed'),
    });
    this.worker = new DeliveryWorker({
      queues: opts.queue ? [opts.queue, this.memory] : [this.memory],
      hook: (name) => opts.config().hooks.find((h) => h.name === name),
      policy: () => opts.config().retry,
      metrics: this.metrics,
      status: this.status,
      log: opts.log,
      userAgent: opts.userAgent ?? 'paneward-webhooks',
      tickMs: opts.tickMs,
    });
  }

  /** Listen to the change stream from now on and start delivering (pending deliveries in Redis included). */
  start(source: ChangeSource): void {
    this.unsubscribe = source.subscribe(null, (event) => this.trigger.handle(event));
    this.worker.start();
  }

  async close(): Promise<void> {
    this.unsubscribe?.();
    this.trigger.close();
    await this.worker.stop();
    await this.opts.queue?.close();
  }

  report(hook: string): HookReport {
    return { ...this.status.of(hook), queueDepth: this.worker.depth()[hook] ?? 0 };
  }

  /** Pending deliveries of every configured hook (0 included) and of removed hooks still draining. */
  private depth(): Record<string, number> {
    const configured = Object.fromEntries(this.opts.config().hooks.map((h) => [h.name, 0]));
    return { ...configured, ...this.worker.depth() };
  }

  private async enqueue(hook: Hook, agent: NotifiedAgent, transition: Transition): Promise<void> {
    const now = Date.now();
    const d: Delivery = { id: deliveryId(hook.name, agent), hook: hook.name, agent: agent.id, ...render(hook, agent, transition, new Date(now)), createdAt: now, attempts: 0 };
    const result = await this.enqueueSomewhere(d);
    if (result === 'full') {
      this.decided(hook.name, 'dropped');
      this.opts.log.warn(`webhook ${hook.name}: queue full (${this.opts.maxPending} pending), dropped the delivery for agent ${agent.id}`);
    }
    if (result === 'queued') this.worker.kick();
  }

  private async enqueueSomewhere(d: Delivery): Promise<EnqueueResult> {
    // Taken in memory while Redis was away: Redis does not know it, and it must not go out twice.
    if (this.memory.knows(d.id)) return 'duplicate';
    if (this.opts.queue) {
      try {
        return await this.opts.queue.enqueue(d);
      } catch {
        // Redis is away: keep it in memory rather than lose it; the worker reports the outage.
      }
    }
    return this.memory.enqueue(d);
  }

  private decided(hook: string, result: 'dropped' | 'suppressed'): void {
    this.metrics.count(hook, result);
    this.status.decided(hook, result);
  }
}
