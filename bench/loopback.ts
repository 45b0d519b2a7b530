// npm run bench -- loopback [--clients N] [--rounds K] [--json]
// The floor under any fan-out on this machine: N connections on loopback, their readers in another process (as
// the events bench's clients are), and one write of the same buffer to each, K rounds per size. Twice: on plain
// TCP sockets, on HTTP responses written as the change stream writes them (chunked, Node's default; cork, write,
// uncork), and on the same responses delimited by the end of the connection instead (no chunk framing). No
// SSE, no paneward: what the kernel, Node's sockets and Node's HTTP cost per client, for one event (600 B), a
// cycle's batch gzipped (3.3 KB) and the same batch as is (57 KB).
import { fork } from 'node:child_process';
import { createServer as createHttpServer, type ServerResponse } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { percentile } from './lib/stats.ts';

const SIZES = [600, 3300, 57_000];
const round1 = (v: number) => Math.round(v * 10) / 10;
type Transport = 'socket' | 'http' | 'http-close';

/** The reader side, in the child: N connections that read and drop what comes (after a GET, over HTTP). */
function readers(port: number, count: number, transport: Transport): void {
  const get = Buffer.from(`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`);
  for (let i = 0; i < count; i++) {
    const socket = connect({ host: '127.0.0.1', port }).on('data', () => undefined);
    socket.on('error', (err) => {
      process.stderr.write(`loopback reader: ${err.message}\n`);
      process.exit(1);
    });
    if (transport !== 'socket') socket.write(get);
  }
  setInterval(() => undefined, 1000);
}

/** One write to `to` as the transport does it. */
type Writer = (bytes: Buffer) => void;

/** A server of `transport` on a free port; resolves once `clients` connections (or responses) are open. */
async function listen(transport: Transport, clients: number): Promise<{ server: Server; sockets: Socket[]; port: number; writers: Promise<Writer[]> }> {
  const writers: Writer[] = [];
  let ready: (w: Writer[]) => void = () => undefined;
  const all = new Promise<Writer[]>((r) => (ready = r));
  const add = (w: Writer) => {
    writers.push(w);
    if (writers.length === clients) ready(writers);
  };
  const server: Server =
    transport === 'socket'
      ? createServer((s: Socket) => {
          s.setNoDelay(true);
          add((bytes) => s.write(bytes));
        })
      : createHttpServer((_req, res: ServerResponse) => {
          if (transport === 'http-close') res.removeHeader('transfer-encoding');
          res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...(transport === 'http-close' ? { connection: 'close' } : {}) });
          res.flushHeaders();
          add((bytes) => {
            res.socket?.cork();
            res.write(bytes);
            res.socket?.uncork();
          });
        });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const sockets: Socket[] = [];
  server.on('connection', (s: Socket) => sockets.push(s));
  return { server, sockets, port: (server.address() as { port: number }).port, writers: all };
}

async function measure(transport: Transport, clients: number, rounds: number) {
  const { server, sockets, port, writers } = await listen(transport, clients);
  const child = fork(new URL(import.meta.url), ['--readers', String(port), String(clients), transport], { execArgv: ['--import', 'tsx'] });
  try {
    const childDied = new Promise<never>((_, reject) => child.on('exit', (code) => reject(new Error(`the readers exited (${code}) before ${clients} connections opened`))));
    const to = await Promise.race([writers, childDied]);
    const result: Record<string, { fan_out_ms_p50: number; us_per_write_p50: number; us_per_write_p99: number }> = {};
    for (const size of SIZES) {
      const bytes = Buffer.alloc(size, 'x');
      const fanOuts: number[] = [];
      for (let r = 0; r < rounds; r++) {
        const started = performance.now();
        for (const write of to) write(bytes);
        fanOuts.push(performance.now() - started);
        await sleep(200); // the readers drain; each round starts on empty sockets, like a cycle's batch
      }
      fanOuts.sort((a, b) => a - b);
      const perWrite = (ms: number) => round1((ms * 1000) / clients);
      result[`${size}_bytes`] = { fan_out_ms_p50: round1(percentile(fanOuts, 50)), us_per_write_p50: perWrite(percentile(fanOuts, 50)), us_per_write_p99: perWrite(percentile(fanOuts, 99)) };
    }
    return result;
  } finally {
    child.kill();
    for (const s of sockets) s.destroy();
    server.close();
  }
}

export async function runLoopbackBench(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { clients: { type: 'string', default: '1000' }, rounds: { type: 'string', default: '20' }, json: { type: 'boolean', default: false } } });
  const clients = Number(values.clients);
  const rounds = Number(values.rounds);
  const line = {
    bench: 'loopback',
    clients,
    rounds,
    socket: await measure('socket', clients, rounds),
    http: await measure('http', clients, rounds),
    http_close: await measure('http-close', clients, rounds),
  };
  if (!values.json) process.stderr.write(`${JSON.stringify(line, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

if (process.argv[2] === '--readers') readers(Number(process.argv[3]), Number(process.argv[4]), process.argv[5] as Transport);
