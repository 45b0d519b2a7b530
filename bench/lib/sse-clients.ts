// Child process of the events bench: N SSE clients of GET /v1/events on loopback. Records when each event id
// arrives at each client (wall clock, ms), and on request turns that into latencies from the store writes.
import { request } from 'node:http';

const [port, count] = process.argv.slice(2).map(Number) as [number, number];
const now = () => performance.timeOrigin + performance.now();
const ID = Buffer.from('\nid:');
const NL = 0x0a;
const SNAPSHOT = Buffer.from('event:snapshot');
/** seq → arrival times (one per client that got it). */
const arrivals = new Map<number, number[]>();
let connected = 0;
let snapshots = 0;
let closed = 0;
/** Clients that closed before their snapshot came. */
let failed = 0;
/** Clients connected when measuring started: each should get every event from then on. */
let alive = 0;

function open(): void {
  const req = request({ host: '127.0.0.1', port, path: '/v1/events', agent: false, headers: { accept: 'text/event-stream' } }, (res) => {
    connected++;
    // Bytes, not text: a thousand clients read the same events, and decoding them all would measure this process.
    let tail: Buffer = Buffer.alloc(0);
    let sawSnapshot = false;
    res.on('data', (chunk: Buffer) => {
      const at = now();
      const bytes = tail.length > 0 ? Buffer.concat([tail, chunk]) : chunk;
      if (!sawSnapshot && bytes.includes(SNAPSHOT)) {
        sawSnapshot = true;
        snapshots++;
      }
      let i = bytes.indexOf(ID);
      while (i >= 0) {
        const end = bytes.indexOf(NL, i + ID.length);
        if (end < 0) break;
        const seq = Number(bytes.toString('latin1', i + ID.length, end).trim());
        let list = arrivals.get(seq);
        if (!list) arrivals.set(seq, (list = []));
        list.push(at);
        i = bytes.indexOf(ID, end);
      }
      tail = bytes.subarray(Math.max(0, bytes.length - 32));
    });
    res.on('close', () => {
      closed++;
      if (!sawSnapshot) failed++;
    });
  });
  req.on('error', () => {
    closed++;
    failed++;
  });
  req.end();
}

async function openAll(): Promise<void> {
  for (let i = 0; i < count; i++) {
    open();
    // Staggered, like clients arriving: each fresh client costs the server one snapshot.
    if (i % 25 === 24) await new Promise((r) => setTimeout(r, 50));
  }
  while (snapshots + failed < count) await new Promise((r) => setTimeout(r, 50));
  process.send!({ type: 'ready', connected, snapshots, closed, failed });
}

process.on('message', (msg: { type: 'start' } | { type: 'report'; writes: Array<[number, number]> }) => {
  if (msg.type === 'start') {
    arrivals.clear();
    alive = snapshots - (closed - failed);
    closed = 0;
  }
  if (msg.type === 'report') {
    const latencies: number[] = [];
    let expected = 0;
    for (const [seq, wroteAt] of msg.writes) {
      expected += alive;
      for (const at of arrivals.get(seq) ?? []) latencies.push(at - wroteAt);
    }
    latencies.sort((a, b) => a - b);
    process.send!({ type: 'report', latencies: [latencies[Math.floor(latencies.length * 0.5)], latencies[Math.min(latencies.length - 1, Math.ceil(latencies.length * 0.99) - 1)], latencies.at(-1)], received: latencies.length, expected, closed });
  }
});

void openAll();
