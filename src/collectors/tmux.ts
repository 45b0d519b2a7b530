// The tmux servers' metrics: commands and connections counted as they happen (through the TmuxObserver the servers
// are built with), pools and reachability read at scrape time from what the servers already hold.
import type { Registry } from 'prom-client';
import { metricsOn } from '../metrics.ts';
import type { Strategy, TmuxObserver, TmuxServer } from '../tmux/types.ts';

const ACQUIRE_BUCKETS = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5];
const COMMAND_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5];

/** Registers the tmux metrics; `servers` is read at scrape time, so it may be filled after this returns. */
export function registerTmuxMetrics(registry: Registry, servers: () => readonly TmuxServer[]): TmuxObserver {
  const m = metricsOn(registry);
  const acquireDuration = m.histogram('paneward_pool_acquire_duration_seconds', 'Time spent waiting to borrow a control-mode connection from a pool', ACQUIRE_BUCKETS);
  const connectionsCreated = m.counter('paneward_pool_connections_created_total', 'Control-mode connections opened');
  const connectionsDestroyed = m.counter('paneward_pool_connections_destroyed_total', 'Control-mode connections closed, by reason', ['reason']);
  const commands = m.counter(
    'paneward_tmux_commands_total',
    'tmux commands run, by strategy and result (error: tmux refused it, e.g. a pane gone, or it was lost with its connection)',
    ['strategy', 'result'],
  );
  const commandDuration = m.histogram(
    'paneward_tmux_command_duration_seconds',
    "Time a request to tmux took (one command, or a pipelined batch such as a cycle's captures); a list returns at its own reply, before the captures sent along with it",
    COMMAND_BUCKETS,
    ['strategy'],
  );
  registerTmuxGauges(registry, servers);
  return {
    onRequest: (strategy: Strategy, _ok: boolean, seconds: number) => commandDuration.observe({ strategy }, seconds),
    onCommandDone: (strategy: Strategy, ok: boolean) => commands.inc({ strategy, result: ok ? 'ok' : 'error' }),
    onAcquire: (_socket: string, seconds: number) => acquireDuration.observe(seconds),
    onConnectionCreated: () => connectionsCreated.inc(),
    onConnectionDestroyed: (_socket: string, reason: string) => connectionsDestroyed.inc({ reason }),
  };
}

function registerTmuxGauges(registry: Registry, servers: () => readonly TmuxServer[]): void {
  const m = metricsOn(registry);
  m.gauge('paneward_pool_connections', 'Control-mode connections per tmux server, by state', ['socket', 'state'], function () {
    this.reset();
    for (const server of servers()) {
      const stats = server.poolStats();
      if (!stats) continue;
      this.set({ socket: server.socket, state: 'idle' }, stats.idle);
      this.set({ socket: server.socket, state: 'borrowed' }, stats.borrowed);
    }
  });
  m.gauge('paneward_pool_pending_acquires', 'Borrowers waiting for a control-mode connection', ['socket'], function () {
    this.reset();
    for (const server of servers()) {
      const stats = server.poolStats();
      if (stats) this.set({ socket: server.socket }, stats.pending);
    }
  });
  m.gauge('paneward_tmux_up', 'Whether the tmux server answered the last query (1) or not (0)', ['socket'], function () {
    this.reset();
    for (const server of servers()) this.set({ socket: server.socket }, server.status().up ? 1 : 0);
  });
}
