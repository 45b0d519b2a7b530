// Pending deliveries in process memory: bounded, lost on restart (the embedded store keeps nothing either).
import { randomUUID } from 'node:crypto';
import { FINISHED_MEMORY_MAX, FINISHED_MEMORY_MS, type Claimed, type Delivery, type DeliveryQueue, type EnqueueResult } from './types.ts';

interface Entry {
  delivery: Delivery;
  dueAt: number;
  lease: string | null;
}

export class MemoryQueue implements DeliveryQueue {
  readonly backend = 'memory' as const;
  private readonly pending = new Map<string, Entry>();
  /** Finished ids in finishing order (a Map keeps insertion order), for de-duplication. */
  private readonly finished = new Map<string, number>();

  constructor(private readonly maxPending: number) {}

  /** The delivery is pending here or was finished recently. */
  knows(id: string): boolean {
    return this.pending.has(id) || this.finished.has(id);
  }

  async enqueue(d: Delivery): Promise<EnqueueResult> {
    if (this.knows(d.id)) return 'duplicate';
    if (this.pending.size >= this.maxPending) return 'full';
    this.pending.set(d.id, { delivery: { ...d }, dueAt: d.createdAt, lease: null });
    return 'queued';
  }

  async claim(now: number, limit: number, leaseMs: number): Promise<Claimed[]> {
    const due = [...this.pending.values()].filter((e) => e.dueAt <= now).sort((a, b) => a.dueAt - b.dueAt).slice(0, limit);
    return due.map((e) => {
      e.lease = randomUUID();
      e.dueAt = now + leaseMs;
      return { ...e.delivery, lease: e.lease };
    });
  }

  async finish(c: Claimed, now: number): Promise<void> {
    if (this.pending.get(c.id)?.lease !== c.lease) return;
    this.pending.delete(c.id);
    this.finished.set(c.id, now);
    this.forgetOldFinished(now);
  }

  async retry(c: Claimed, at: number): Promise<void> {
    const e = this.pending.get(c.id);
    if (e?.lease !== c.lease) return;
    e.delivery.attempts = c.attempts + 1;
    e.dueAt = at;
    e.lease = null;
  }

  async depth(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const { delivery } of this.pending.values()) out[delivery.hook] = (out[delivery.hook] ?? 0) + 1;
    return out;
  }

  async close(): Promise<void> {}

  private forgetOldFinished(now: number): void {
    for (const [id, at] of this.finished) {
      if (this.finished.size <= FINISHED_MEMORY_MAX && at > now - FINISHED_MEMORY_MS) break;
      this.finished.delete(id);
    }
  }
}
