// SSE frames of the change stream, built once per event (better-sse's EventBuffer) and shared by every client:
// at a thousand clients, framing and encoding each event per client was most of the cost of the fan-out.
import { EventBuffer } from 'better-sse';
import type { ChangeEvent } from './schemas.ts';

interface Frame {
  serial: number;
  bytes: Buffer;
}

const frames = new WeakMap<ChangeEvent, Frame>();
let serials = 0;
/** The JSON is built by us (once per event); the buffer must not serialize it again. */
const asIs = (data: unknown) => String(data);

/** One event as its SSE frame. Stale events (Redis away) carry no id: Last-Event-ID stays at the last shared seq. */
export function frameOf(e: ChangeEvent): Frame {
  let f = frames.get(e);
  if (!f) {
    const buffer = new EventBuffer({ serializer: asIs });
    if (!e.stale) buffer.id(String(e.seq));
    if (e.type === 'agent') buffer.event('agent').data(JSON.stringify(e.agent));
    else buffer.event('removed').data(JSON.stringify({ id: e.id }));
    f = { serial: ++serials, bytes: Buffer.from(buffer.dispatch().read()) };
    frames.set(e, f);
  }
  return f;
}

export function snapshotFrame(data: string, seq: number): Buffer {
  return Buffer.from(new EventBuffer({ serializer: asIs }).id(String(seq)).event('snapshot').data(data).dispatch().read());
}

/**
 * The frames of `events` as one buffer. Clients with the same filter get the same events in a tick, so the first
 * of them builds the buffer and the others reuse it until the tick ends.
 */
const batches = new Map<string, Buffer>();
let clearing = false;

export function batchOf(filterKey: string, events: ChangeEvent[]): Buffer {
  if (events.length === 1) return frameOf(events[0]!).bytes;
  const first = frameOf(events[0]!);
  const last = frameOf(events[events.length - 1]!);
  const key = `${filterKey}\0${first.serial}\0${last.serial}\0${events.length}`;
  let batch = batches.get(key);
  if (!batch) {
    batch = Buffer.concat(events.map((e) => frameOf(e).bytes));
    batches.set(key, batch);
    if (!clearing) {
      clearing = true;
      setImmediate(() => {
        batches.clear();
        clearing = false;
      });
    }
  }
  return batch;
}
