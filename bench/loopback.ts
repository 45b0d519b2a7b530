// npm run bench -- loopback [--clients N] [--rounds K] [--json]
// The floor under any fan-out on this machine: N plain TCP sockets on loopback, their readers in another process
// (as the events bench's clients are), and one write of the same buffer to each, K rounds per size. No HTTP, no
// SSE, no paneward: what the kernel and Node's socket writes alone cost per client, for one event (600 B), a
// cycle's batch gzipped (3.3 KB) and the same batch as is (57 KB).
import { fork } from 'node:child_process';
import { connect, createServer, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { percentile } from './lib/stats.ts';

const SIZES = [600, 3300, 57_000];
const round1 = (v: number) => Math.round(v * 10) / 10;

/** The reader side, in the child: N sockets that read and drop what comes. */
function readers(port: number, count: number): void {
  for (let i = 0; i < count; i++) connect({ host: '127.0.0.1', port }).on('data', () => undefined);
  setInterval(() => undefined, 1000);
}

export async function runLoopbackBench(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { clients: { type: 'string', default: '1000' }, rounds: { type: 'string', default: '20' }, json: { type: 'boolean', default: false } } });
  const clients = Number(values.clients);
  const rounds = Number(values.rounds);
  const sockets: Socket[] = [];
  let connected = () => undefined as void;
  const allConnected = new Promise<void>((r) => (connected = r));
  const server = createServer((s) => {
    s.setNoDelay(true);
    sockets.push(s);
    if (sockets.length === clients) connected();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const child = fork(new URL(import.meta.url), ['--readers', String(port), String(clients)], { execArgv: ['--import', 'tsx'] });
  try {
    await allConnected;
    const result: Record<string, { fan_out_ms_p50: number; us_per_write_p50: number; us_per_write_p99: number }> = {};
    for (const size of SIZES) {
      const bytes = Buffer.alloc(size, 'x');
      const fanOuts: number[] = [];
      for (let r = 0; r < rounds; r++) {
        const started = performance.now();
        for (const s of sockets) s.write(bytes);
        fanOuts.push(performance.now() - started);
        await sleep(200); // the readers drain; each round starts on empty sockets, like a cycle's batch
      }
      fanOuts.sort((a, b) => a - b);
      const perWrite = (ms: number) => round1((ms * 1000) / clients);
      result[`${size}_bytes`] = { fan_out_ms_p50: round1(percentile(fanOuts, 50)), us_per_write_p50: perWrite(percentile(fanOuts, 50)), us_per_write_p99: perWrite(percentile(fanOuts, 99)) };
    }
    const line = { bench: 'loopback', clients, rounds, ...result };
    if (!values.json) process.stderr.write(`${JSON.stringify(line, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(line)}\n`);
  } finally {
    child.kill();
    for (const s of sockets) s.destroy();
    server.close();
  }
}

if (process.argv[2] === '--readers') readers(Number(process.argv[3]), Number(process.argv[4]));
