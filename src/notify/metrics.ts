// The webhook metrics, registered on the app's registry by the notifier that produces them. The queue depth
// gauge reads the depth the worker last fetched, so a scrape never waits on Redis.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** ok: delivered; failed: an attempt failed and will be retried; expired: retried for the whole window in vain;
 *  rejected: the receiver answered 410 Gone; dropped: queue full or hook removed; suppressed: in cooldown. */
export type DeliveryResult = 'ok' | 'failed' | 'expired' | 'rejected' | 'dropped' | 'suppressed';

export type WebhookMetrics = ReturnType<typeof createWebhookMetrics>;

export function createWebhookMetrics(registry: Registry, depth: () => Record<string, number>) {
  const registers = [registry];
  const deliveries = new Counter({
    name: 'paneward_webhook_deliveries_total',
    help: 'Webhook delivery attempts and decisions by hook and result: ok, failed (will be retried), expired (given up after the retry window), rejected (410 Gone), dropped (queue full or hook removed), suppressed (cooldown)',
    labelNames: ['hook', 'result'] as const,
    registers,
  });
  const duration = new Histogram({
    name: 'paneward_webhook_delivery_duration_seconds',
    help: 'Time of one webhook delivery attempt, from sending to the answer (or the failure)',
    labelNames: ['hook'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  new Gauge({
    name: 'paneward_webhook_queue_depth',
    help: 'Webhook deliveries pending (due or waiting for a retry), by hook',
    labelNames: ['hook'] as const,
    registers,
    collect() {
      this.reset();
      for (const [hook, n] of Object.entries(depth())) this.set({ hook }, n);
    },
  });
  return {
    count(hook: string, result: DeliveryResult): void {
      deliveries.inc({ hook, result });
    },
    attempted(hook: string, seconds: number): void {
      duration.observe({ hook }, seconds);
    },
  };
}
