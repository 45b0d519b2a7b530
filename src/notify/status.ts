// What GET /v1/webhooks reports per hook, kept in memory as deliveries happen.
import type { AttemptResult } from './send.ts';
import type { DeliveryResult } from './metrics.ts';

export interface HookStatus {
  delivered: number;
  failures: number;
  dropped: number;
  suppressed: number;
  lastDelivery: { at: string; ok: boolean; status: number | null; error: string | null } | null;
}

export class StatusBook {
  private readonly hooks = new Map<string, HookStatus>();

  of(hook: string): HookStatus {
    let s = this.hooks.get(hook);
    if (!s) {
      s = { delivered: 0, failures: 0, dropped: 0, suppressed: 0, lastDelivery: null };
      this.hooks.set(hook, s);
    }
    return s;
  }

  attempted(hook: string, r: AttemptResult, at: number): void {
    const s = this.of(hook);
    if (r.ok) s.delivered++;
    else s.failures++;
    s.lastDelivery = { at: new Date(at).toISOString(), ok: r.ok, status: r.status, error: r.error };
  }

  decided(hook: string, result: DeliveryResult): void {
    if (result === 'dropped') this.of(hook).dropped++;
    if (result === 'suppressed') this.of(hook).suppressed++;
  }
}
