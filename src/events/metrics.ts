// The change stream's metrics, on the app's registry.
import { Gauge, Histogram, type Registry } from 'prom-client';

export function eventsClientsGauge(registry: Registry, count: () => number): Gauge {
  return new Gauge({
    name: 'paneward_events_clients',
    help: 'Clients connected to GET /v1/events',
    registers: [registry],
    collect() {
      this.set(count());
    },
  });
}

/**
 * From a change reaching this instance's stream to a subscriber being handed it; for a `/v1/events` client that
 * includes the write to its socket. It grows when the fan-out falls behind (too many clients for the CPU).
 */
export function eventsDeliveryHistogram(registry: Registry): Histogram {
  return new Histogram({
    name: 'paneward_events_delivery_seconds',
    help: 'Time a change waited in the change stream before each subscriber (SSE client, webhooks, log) was handed it',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
}
