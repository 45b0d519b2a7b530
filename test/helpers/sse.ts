// A test client of GET /v1/events over a real socket: parses the text/event-stream the server writes (gunzipped,
// as it comes, when the client asked for gzip) and keeps every event (and comment) it read, so tests can wait for
// one and compare.
import { request, type IncomingMessage } from 'node:http';
import { constants, createGunzip } from 'node:zlib';

export interface SseEvent {
  event: string;
  id: string | undefined;
  data: string;
  retry: number | undefined;
}

export interface SseConnection {
  status: number;
  headers: IncomingMessage['headers'];
  events: SseEvent[];
  comments: string[];
  /** Resolves when the server ends the stream (or the socket closes). */
  ended: Promise<void>;
  /** The `id:` of the last event that carried one (what EventSource sends back as Last-Event-ID). */
  lastEventId(): string | undefined;
  /** Waits until an event satisfies `pred`; rejects after `timeoutMs`. */
  waitFor(pred: (e: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>;
  close(): void;
}

export async function openSse(baseUrl: string, path: string, headers: Record<string, string> = {}): Promise<SseConnection> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, baseUrl), { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      const events: SseEvent[] = [];
      const comments: string[] = [];
      const waiters = new Set<() => void>();
      let buffer = '';
      let lastId: string | undefined;
      // A stream that is cut has no gzip trailer: the decoder's complaint is only the end of the stream.
      const body = res.headers['content-encoding'] === 'gzip' ? res.pipe(createGunzip({ flush: constants.Z_SYNC_FLUSH })) : res;
      body.setEncoding('utf8');
      body.on('data', (chunk: string) => {
        buffer += chunk;
        let at: number;
        while ((at = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, at);
          buffer = buffer.slice(at + 2);
          const parsed = parseBlock(block, comments);
          if (parsed) {
            if (parsed.id !== undefined) lastId = parsed.id;
            events.push(parsed);
          }
        }
        for (const w of waiters) w();
      });
      const ended = new Promise<void>((done) => {
        res.on('end', done);
        res.on('close', done);
        res.on('error', () => done());
        body.on('error', () => done());
      });
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        events,
        comments,
        ended,
        lastEventId: () => lastId,
        waitFor(pred, timeoutMs = 10_000) {
          return new Promise((ok, fail) => {
            const check = () => {
              const hit = events.find(pred);
              if (hit) {
                waiters.delete(check);
                clearTimeout(timer);
                ok(hit);
              }
            };
            const timer = setTimeout(() => {
              waiters.delete(check);
              fail(new Error(`no matching event within ${timeoutMs} ms; got ${events.map((e) => e.event + ':' + e.id).join(', ')}`));
            }, timeoutMs);
            waiters.add(check);
            check();
          });
        },
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
    req.end();
  });
}

function parseBlock(block: string, comments: string[]): SseEvent | null {
  const e: SseEvent = { event: 'message', id: undefined, data: '', retry: undefined };
  const data: string[] = [];
  let any = false;
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) {
      comments.push(line.slice(1).trim());
      continue;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    any = true;
    if (field === 'event') e.event = value;
    else if (field === 'id') e.id = value;
    else if (field === 'data') data.push(value);
    else if (field === 'retry') e.retry = Number(value);
  }
  if (!any) return null;
  e.data = data.join('\n');
  return e;
}

/** Folds agent/removed events onto a map id → agent record (a snapshot replaces everything). */
export function fold(events: SseEvent[], into = new Map<string, any>()): Map<string, any> {
  for (const e of events) {
    if (e.event === 'snapshot') {
      into.clear();
      for (const a of JSON.parse(e.data).agents) into.set(a.id, a);
    } else if (e.event === 'agent') {
      const a = JSON.parse(e.data);
      into.set(a.id, a);
    } else if (e.event === 'removed') into.delete(JSON.parse(e.data).id);
  }
  return into;
}
