// SSE frames of the change stream, built once per event (better-sse's EventBuffer) and shared by every client:
// at a thousand clients, framing and encoding each event per client was most of the cost of the fan-out. What is
// shared is a Payload: the frame's bytes, and the same bytes compressed for clients that accept gzip.
import { EventBuffer } from 'better-sse';
import { constants, deflateRawSync } from 'node:zlib';
import type { ChangeEvent } from './schemas.ts';

/** How a client's stream is written: as is, or as one gzip body (Content-Encoding: gzip). */
export type StreamEncoding = 'gzip' | 'identity';

/**
 * Level 1 with a 4 KB window: a cycle's batch of agent records shrinks about sixteenfold either way, and the
 * cheap setting costs a third of the default's CPU (docs/performance.md).
 */
const DEFLATE = { level: 1, windowBits: 12, memLevel: 7, finishFlush: constants.Z_SYNC_FLUSH };

/**
 * Bytes of the stream, shared by every client that is sent them. Compressed (once, when a gzip client first
 * asks) as a self-contained piece of deflate data: a fresh dictionary, no final block, ended by a sync flush on a
 * byte boundary. Such pieces can follow one another in any order after a gzip header, so a client's stream is
 * the pieces it was sent, compressed once for all of them rather than once per client.
 */
export class Payload {
  private deflated: Buffer | null = null;

  constructor(readonly bytes: Buffer) {}

  as(encoding: StreamEncoding): Buffer {
    if (encoding === 'identity') return this.bytes;
    this.deflated ??= deflateRawSync(this.bytes, DEFLATE);
    return this.deflated;
  }
}

/**
 * A gzip header (RFC 1952: deflate, no name, no time, unknown system). The pieces follow; the stream never ends
 * by itself, and a client that is cut or shut down reconnects, so no trailer is ever written.
 */
export const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);

const frames = new WeakMap<ChangeEvent, Payload>();
/** The JSON is built by us (once per event); the buffer must not serialize it again. */
const asIs = (data: unknown) => String(data);

/** One event as its SSE frame. Stale events (Redis away) carry no id: Last-Event-ID stays at the last shared seq. */
export function frameOf(e: ChangeEvent): Payload {
  let f = frames.get(e);
  if (!f) {
    const buffer = new EventBuffer({ serializer: asIs });
    if (!e.stale) buffer.id(String(e.seq));
    if (e.type === 'agent') buffer.event('agent').data(JSON.stringify(e.agent));
    else buffer.event('removed').data(JSON.stringify({ id: e.id }));
    f = new Payload(Buffer.from(buffer.dispatch().read()));
    frames.set(e, f);
  }
  return f;
}

export function snapshotFrame(data: string, seq: number): Payload {
  return new Payload(Buffer.from(new EventBuffer({ serializer: asIs }).id(String(seq)).event('snapshot').data(data).dispatch().read()));
}

const retryFrames = new Map<number, Payload>();

/** The lines a stream opens with: how long EventSource waits before it reconnects. One payload per value, shared. */
export function retryFrame(ms: number): Payload {
  let frame = retryFrames.get(ms);
  if (!frame) retryFrames.set(ms, (frame = new Payload(Buffer.from(new EventBuffer({ serializer: asIs }).retry(ms).dispatch().read()))));
  return frame;
}

/** A comment that keeps idle connections (and the proxies on their way) open. */
export const HEARTBEAT = new Payload(Buffer.from(new EventBuffer().comment('heartbeat').dispatch().read()));

/** Events as one client is sent them, and their frames as one payload. */
export interface Batch {
  events: readonly ChangeEvent[];
  payload: Payload;
}

export function batchOf(events: readonly ChangeEvent[]): Batch {
  const payload = events.length === 1 ? frameOf(events[0]!) : new Payload(Buffer.concat(events.map((e) => frameOf(e).bytes)));
  return { events, payload };
}

const runBatches = new WeakMap<readonly ChangeEvent[], Map<string, Batch>>();

/**
 * The batch of a run of events (one the hub hands every subscriber at the same point) for clients whose filter
 * is `filterKey`: the first of them filters and frames it, the others reuse it, and it goes with the run.
 */
export function batchOfRun(run: readonly ChangeEvent[], filterKey: string, passes: (e: ChangeEvent) => boolean): Batch {
  let byFilter = runBatches.get(run);
  if (!byFilter) runBatches.set(run, (byFilter = new Map()));
  let batch = byFilter.get(filterKey);
  if (!batch) byFilter.set(filterKey, (batch = batchOf(run.filter(passes))));
  return batch;
}
