// The hook load of the hooks bench, run as its own process (agents are other processes): posts hooks to
// /v1/hooks/generic at a steady rate, spread over the given panes, and prints one JSON line of what it achieved.
// argv: <url> <tmux var> <rate per second> <seconds> <pane ids, comma-separated>
import { Agent, request } from 'node:http';
import { percentile } from './stats.ts';

const [url, tmuxVar, rateArg, secondsArg, panesArg] = process.argv.slice(2);
const rate = Number(rateArg);
const seconds = Number(secondsArg);
const panes = (panesArg ?? '').split(',').filter(Boolean);
const agent = new Agent({ keepAlive: true, maxSockets: 64 });
const target = new URL('/v1/hooks/generic', url);
const STATES = ['working', 'waiting', 'idle'];
const TICK_MS = 10;

let sent = 0;
let ok = 0;
let failed = 0;
const latencies: number[] = [];

function post(pane: string, state: string): void {
  const body = JSON.stringify({ state, message: `bench ${sent}` });
  const started = performance.now();
  sent++;
  const req = request(
    target,
    { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-tmux-pane': pane, 'x-tmux': tmuxVar } },
    (res) => {
      res.resume();
      res.on('end', () => {
        latencies.push(performance.now() - started);
        if (res.statusCode === 202) ok++;
        else failed++;
      });
    },
  );
  req.on('error', () => failed++);
  req.end(body);
}

const cpuAtStart = process.cpuUsage();
const started = performance.now();
let due = 0;
let next = 0;
const timer = setInterval(() => {
  const elapsed = (performance.now() - started) / 1000;
  if (elapsed >= seconds) {
    clearInterval(timer);
    setTimeout(finish, 1000);
    return;
  }
  // As many as the rate asks for by now: a late tick catches up, so the rate holds on average.
  due = Math.floor(elapsed * rate);
  while (sent < due) {
    const i = next++;
    post(panes[i % panes.length]!, STATES[Math.floor(i / panes.length) % STATES.length]!);
  }
}, TICK_MS);

function finish(): void {
  const cpu = process.cpuUsage(cpuAtStart);
  latencies.sort((a, b) => a - b);
  const round2 = (v: number) => Math.round(v * 100) / 100;
  process.stdout.write(
    `${JSON.stringify({ sent, ok, failed, per_second: Math.round(ok / seconds), response_p50_ms: round2(percentile(latencies, 50)), response_p99_ms: round2(percentile(latencies, 99)), over_900_ms: latencies.filter((l) => l > 900).length, max_ms: round2(latencies.at(-1) ?? 0), cpu_ms_per_hook: round2((cpu.user + cpu.system) / 1000 / Math.max(1, sent)) })}\n`,
  );
  agent.destroy();
}
