// The change stream's metrics, on the app's registry.
import { Gauge, type Registry } from 'prom-client';

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
