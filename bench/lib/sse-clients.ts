// Child process of the events bench: N SSE clients of GET /v1/events on loopback. Records when each event id
// arrives at each client (wall clock, ms), and on request turns that into latencies from the store writes.
// A thousand real clients each have a machine of their own; here they share one process and the server's two
// cores, so each is as lean as a client can be: a raw socket reading into one buffer all of them share, a
// hand-written GET, and a byte search for the first and last `id:` line of each read (no HTTP parser, no decoding,
// no allocation per read), so that what is measured is the server. One client in VERIFY_EVERY also counts every
// id line of each read, which the report checks against the seqs published: counting them all costs a client
// two thirds of its time (about 20 µs a read of 57 KB), which at a thousand clients would hold the server's
// second core. Clients that ask for gzip, as browsers do, need an HTTP parser and a gunzip each: those are Node's,
// and the time of arrival is when an event comes out of the decoder.
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { constants, createGunzip } from 'node:zlib';

const port = Number(process.argv[2]);
const count = Number(process.argv[3]);
const gzip = process.argv[4] === 'gzip';
const now = () => performance.timeOrigin + performance.now();
/** An event's id line as the server frames it (a frame starts on a fresh line: the previous frame's end, or a chunk header's CRLF). */
const ID = Buffer.from('\nid:');
const NL = 0x0a;
const SNAPSHOT = Buffer.from('event:snapshot');
/** Longer than any id line: what is kept of a read when an id line may go on in the next one. */
const CARRY = 32;
/** Every read of every client lands here and is scanned before the next: nothing is kept of it but a few bytes. */
const READ_BUFFER = Buffer.alloc(256 * 1024);
/** Of the clients, one in this many counts every id it reads, to check that no event was lost (reads_with_gaps). */
const VERIFY_EVERY = 10;
const GET = Buffer.from(`GET /v1/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: text/event-stream\r\n\r\n`);
/**
 * One read of one client: the ids it held (first and last) and, for a verifying client, how many (NaN for the
 * others). Events come in seq order, so the ids in a read are those between first and last; the report checks the
 * count against the seqs the server published.
 */
interface Read {
  first: number;
  last: number;
  ids: number;
  /** The client's last id before this read (NaN for its first): nothing published may lie between. */
  after: number;
  at: number;
}
const reads: Read[] = [];
let connected = 0;
let snapshots = 0;
let closed = 0;
/** Clients that closed before their snapshot came. */
let failed = 0;
/** Clients connected when measuring started: each should get every event from then on. */
let alive = 0;
/** CPU this process used since measuring started, to tell its cost from the server's. */
let cpuAtStart = process.cpuUsage();

function idAt(bytes: Buffer, start: number, end: number): number {
  return Number(bytes.toString('latin1', start + ID.length, end));
}

/** What one client knows of its stream between reads. */
interface ClientScan {
  /** The end of the previous read when an id line may have begun there. */
  carry: Buffer | null;
  /** The last id read (NaN before the first). */
  lastId: number;
  /** Counts every id line of each read (VERIFY_EVERY). */
  verify: boolean;
}

/**
 * Notes the id lines of one read. Only the few bytes where two reads meet are joined, never the whole read.
 */
function scan(chunk: Buffer, client: ClientScan, at: number): void {
  const { carry, verify } = client;
  const read: Read = { first: NaN, last: NaN, ids: 0, after: client.lastId, at };
  let from = 0;
  if (carry) {
    const seam = Buffer.concat([carry, chunk.subarray(0, CARRY)]);
    const i = seam.indexOf(ID);
    if (i >= 0 && i < carry.length) {
      const end = seam.indexOf(NL, i + ID.length);
      if (end < 0) {
        client.carry = seam;
        return;
      }
      read.first = read.last = idAt(seam, i, end);
      read.ids = 1;
      from = end - carry.length;
    }
  }
  let firstStart = -1;
  let lastStart = -1;
  let beforeLast = -1;
  if (verify) {
    for (let i = chunk.indexOf(ID, from); i >= 0; i = chunk.indexOf(ID, i + ID.length)) {
      if (firstStart < 0) firstStart = i;
      beforeLast = lastStart;
      lastStart = i;
      read.ids++;
    }
  } else {
    firstStart = chunk.indexOf(ID, from);
    lastStart = firstStart < 0 ? -1 : chunk.lastIndexOf(ID);
    beforeLast = lastStart > firstStart ? chunk.lastIndexOf(ID, lastStart - 1) : -1;
    read.ids = NaN;
  }
  let next = tailOf(carry, chunk);
  if (lastStart >= 0) {
    let lastEnd = chunk.indexOf(NL, lastStart + ID.length);
    if (lastEnd < 0) {
      // The last id line goes on in the next read: it is counted there.
      next = Buffer.from(chunk.subarray(lastStart));
      read.ids--;
      lastStart = beforeLast;
      lastEnd = lastStart >= 0 ? chunk.indexOf(NL, lastStart + ID.length) : -1;
    }
    if (lastStart >= 0) {
      if (Number.isNaN(read.first)) read.first = idAt(chunk, firstStart, chunk.indexOf(NL, firstStart + ID.length));
      read.last = idAt(chunk, lastStart, lastEnd);
    }
  }
  client.carry = next;
  if (Number.isNaN(read.last)) return;
  reads.push(read);
  client.lastId = read.last;
}

/**
 * A copy of the last bytes read in which an id line may have begun (all of the id marker but its last byte):
 * from the previous carry too when this read is shorter than that.
 */
function tailOf(carry: Buffer | null, chunk: Buffer): Buffer {
  const keep = ID.length - 1;
  if (chunk.length >= keep || !carry) return Buffer.from(chunk.subarray(Math.max(0, chunk.length - keep)));
  return Buffer.concat([carry, chunk]).subarray(-keep);
}

/** What a client does with each read of its stream: waits for the snapshot, then notes the id lines. */
function reader(onSnapshot: () => void, verify: boolean): (chunk: Buffer) => void {
  let sawSnapshot = false;
  const client: ClientScan = { carry: null, lastId: NaN, verify };
  return (chunk) => {
    const at = now();
    if (!sawSnapshot) {
      // Until the snapshot starts, reads are few and small: joining them is how a name cut in two is still found.
      const head: Buffer = client.carry ? Buffer.concat([client.carry, chunk]) : chunk;
      client.carry = Buffer.from(head.subarray(Math.max(0, head.length - SNAPSHOT.length)));
      if (!head.includes(SNAPSHOT)) return;
      sawSnapshot = true;
      onSnapshot();
      client.carry = null;
    }
    scan(chunk, client, at);
  };
}

function open(index: number): void {
  let sawSnapshot = false;
  const read = reader(() => {
    sawSnapshot = true;
    snapshots++;
  }, index % VERIFY_EVERY === 0);
  const onClose = () => {
    closed++;
    if (!sawSnapshot) failed++;
  };
  if (gzip) return openGzip(read, onClose);
  const onread = {
    buffer: READ_BUFFER,
    callback: (n: number) => {
      read(READ_BUFFER.subarray(0, n));
      return true;
    },
  };
  const socket: Socket = connect({ host: '127.0.0.1', port, onread }, () => {
    connected++;
    socket.write(GET);
  });
  socket.on('close', onClose);
  socket.on('error', () => undefined);
}

function openGzip(read: (chunk: Buffer) => void, onClose: () => void): void {
  const headers = { accept: 'text/event-stream', 'accept-encoding': 'gzip' };
  const socket = connect({ host: '127.0.0.1', port }, () => connected++);
  const req = request({ path: '/v1/events', headers, createConnection: () => socket }, (res) => {
    // A server that does not compress is a client that never gets its snapshot: counted as failed, not read.
    if (res.headers['content-encoding'] !== 'gzip') return void res.destroy();
    const body = res.pipe(createGunzip({ flush: constants.Z_SYNC_FLUSH }));
    body.on('data', read);
    body.on('error', () => undefined);
  });
  req.on('close', onClose);
  req.on('error', () => undefined);
  req.end();
}

async function openAll(): Promise<void> {
  for (let i = 0; i < count; i++) {
    open(i);
    // Staggered, like clients arriving: each fresh client costs the server one snapshot.
    if (i % 25 === 24) await new Promise((r) => setTimeout(r, 50));
  }
  while (snapshots + failed < count) await new Promise((r) => setTimeout(r, 50));
  process.send!({ type: 'ready', connected, snapshots, closed, failed });
}

/** How many of the sorted `seqs` lie in [first, last]. */
function countBetween(seqs: number[], first: number, last: number): number {
  const lowerBound = (v: number) => {
    let lo = 0;
    let hi = seqs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (seqs[mid]! < v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return lowerBound(last + 1) - lowerBound(first);
}

interface ReportRequest {
  type: 'report';
  /** seq → when its store write returned, for the writes being timed. */
  writes: Array<[number, number]>;
  /** Every seq the server published, sorted: what a read between two ids must have held. */
  published: number[];
}

function report(msg: ReportRequest): void {
  // Before the report's own work (it walks every delivery), which is not a client's cost.
  const cpu = process.cpuUsage(cpuAtStart);
  const wroteAt = new Map(msg.writes);
  const latencies: number[] = [];
  let gaps = 0;
  let verified = 0;
  for (const read of reads) {
    if (!Number.isNaN(read.ids)) {
      verified++;
      const skipped = Number.isNaN(read.after) ? 0 : countBetween(msg.published, read.after + 1, read.first - 1);
      if (countBetween(msg.published, read.first, read.last) !== read.ids || skipped > 0) gaps++;
    }
    for (let seq = read.first; seq <= read.last; seq++) {
      const at = wroteAt.get(seq);
      if (at !== undefined) latencies.push(read.at - at);
    }
  }
  latencies.sort((a, b) => a - b);
  process.send!({
    type: 'report',
    cpuMs: (cpu.user + cpu.system) / 1000,
    latencies: [latencies[Math.floor(latencies.length * 0.5)], latencies[Math.min(latencies.length - 1, Math.ceil(latencies.length * 0.99) - 1)], latencies.at(-1)],
    received: latencies.length,
    expected: msg.writes.length * alive,
    gaps,
    verified,
    closed,
  });
}

process.on('message', (msg: { type: 'start' } | ReportRequest) => {
  if (msg.type === 'start') {
    reads.length = 0;
    alive = snapshots - (closed - failed);
    closed = 0;
    cpuAtStart = process.cpuUsage();
  }
  if (msg.type === 'report') report(msg);
});

void openAll();
