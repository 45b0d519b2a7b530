// The tmux servers' metrics: commands and connections counted as they happen (through the TmuxObserver the servers
// are built with), pools and reachability read at scrape time from what the servers already hold.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Strategy, TmuxObserver, TmuxServer } from '../tmux/types.ts';

/** Registers the tmux metrics; `servers` is read at scrape time, so it may be filled after this returns. */
export function registerTmuxMetrics(registry: Registry, servers: () => readonly TmuxServer[]): TmuxObserver {
  const registers = [registry];
  const acquireDuration = new Histogram({
    name: 'paneward_pool_acquire_duration_seconds',
    help: 'Time spent waiting to borrow a control-mode connection from a pool',
    buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers,
  });
  const connectionsCreated = new Counter({
    name: 'paneward_pool_connections_created_total',
    help: 'Control-mode connections opened',
    registers,
  });
  const connectionsDestroyed = new Counter({
    name: 'paneward_pool_connections_destroyed_total',
    help: 'Control-mode connections closed, by reason',
    labelNames: ['reason'] as const,
    registers,
  });
  const commands = new Counter({
    name: 'paneward_tmux_commands_total',
    help: 'tmux commands run, by strategy and result (error: tmux refused it, e.g. a pane gone, or it was lost with its connection)',
    labelNames: ['strategy', 'result'] as const,
    registers,
  });
  const commandDuration = new Histogram({
    name: 'paneward_tmux_command_duration_seconds',
    help: "Time a request to tmux took (one command, or a pipelined batch such as a cycle's captures); a list returns at its own reply, before the captures sent along with it",
    labelNames: ['strategy'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
    registers,
  });
  registerTmuxGauges(registry, servers);
  return {
    onRequest(strategy: Strategy, _ok: boolean, seconds: number) {
      commandDuration.observe({ strategy }, seconds);
    },
    onCommandDone(strategy: Strategy, ok: boolean) {
      commands.inc({ strategy, result: ok ? 'ok' : 'error' });
    },
    onAcquire(_socket: string, seconds: number) {
      acquireDuration.observe(seconds);
    },
    onConnectionCreated() {
      connectionsCreated.inc();
    },
    onConnectionDestroyed(_socket: string, reason: string) {
      connectionsDestroyed.inc({ reason });
    },
  };
}

function registerTmuxGauges(registry: Registry, servers: () => readonly TmuxServer[]): void {
  const registers = [registry];
  new Gauge({
    name: 'paneward_pool_connections',
    help: 'Control-mode connections per tmux server, by state',
    labelNames: ['socket', 'state'] as const,
    registers,
    collect() {
      this.reset();
      for (const server of servers()) {
        const stats = server.poolStats();
        if (!stats) continue;
        this.set({ socket: server.socket, state: 'idle' }, stats.idle);
        this.set({ socket: server.socket, state: 'borrowed' }, stats.borrowed);
      }
    },
  });
  new Gauge({
    name: 'paneward_pool_pending_acquires',
    help: 'Borrowers waiting for a control-mode connection',
    labelNames: ['socket'] as const,
    registers,
    collect() {
      this.reset();
      for (const server of servers()) {
        const stats = server.poolStats();
        if (stats) this.set({ socket: server.socket }, stats.pending);
      }
    },
  });
  new Gauge({
    name: 'paneward_tmux_up',
    help: 'Whether the tmux server answered the last query (1) or not (0)',
    labelNames: ['socket'] as const,
    registers,
    collect() {
      this.reset();
      for (const server of servers()) this.set({ socket: server.socket }, server.status().up ? 1 : 0);
    },
  });
}
