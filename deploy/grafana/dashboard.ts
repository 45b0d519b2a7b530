// The paneward Grafana dashboard as data: each panel is a title, a kind, a unit and its PromQL. `npm run
// dashboard` turns it into deploy/grafana/dashboards/paneward.json, the file Grafana provisions; a test fails
// when that file is stale and another asks a real Prometheus every query below.

/** Every query is filtered by the dashboard's `instance` variable. */
const I = 'instance=~"$instance"';
const RATE = '$__rate_interval';
const NEEDS_HUMAN = 'waiting|error|rate_limited|stuck|crashed';

export interface Query {
  expr: string;
  legend?: string;
  /** A table of the current values (one row per series) instead of a time series. */
  instant?: boolean;
}

export interface PanelSpec {
  title: string;
  description: string;
  type: 'timeseries' | 'stat' | 'table' | 'bargauge';
  unit?: string;
  queries: Query[];
  width: number;
  height?: number;
  stacked?: boolean;
  /** Stat panels: red at or above this value. */
  redFrom?: number;
}

export interface RowSpec {
  title: string;
  panels: PanelSpec[];
}

export const ROWS: RowSpec[] = [
  {
    title: 'Agents',
    panels: [
      {
        title: 'Need a human',
        description: `Agents waiting, in error, rate-limited, stuck or crashed`,
        type: 'stat',
        width: 4,
        redFrom: 1,
        queries: [{ expr: `sum(paneward_agents{${I},state=~"${NEEDS_HUMAN}"})` }],
      },
      {
        title: 'Longest wait',
        description: 'How long the agent that has waited longest for a human has been waiting',
        type: 'stat',
        unit: 's',
        width: 4,
        redFrom: 600,
        queries: [{ expr: `max(time() - paneward_agent_state_since_timestamp_seconds{${I},state="waiting"})` }],
      },
      {
        title: 'Agents',
        description: 'Every pane paneward watches',
        type: 'stat',
        width: 4,
        queries: [{ expr: `sum(paneward_agents{${I}})` }],
      },
      {
        title: 'Who needs a human, and for how long',
        description: 'Agents in a state that needs a human, longest first; open the pane with tmux switch-client -t <target>',
        type: 'table',
        unit: 's',
        width: 12,
        height: 8,
        queries: [{ expr: `sort_desc(time() - paneward_agent_state_since_timestamp_seconds{${I}})`, instant: true }],
      },
      {
        title: 'Agents by state',
        description: 'How many agents are in each state over time',
        type: 'timeseries',
        width: 12,
        stacked: true,
        queries: [{ expr: `sum by (state) (paneward_agents{${I}})`, legend: '{{state}}' }],
      },
      {
        title: 'State changes per minute',
        description: 'Published transitions, by the state entered',
        type: 'timeseries',
        width: 6,
        queries: [{ expr: `sum by (to) (rate(paneward_agent_transitions_total{${I}}[${RATE}])) * 60`, legend: '{{to}}' }],
      },
      {
        title: 'Agents by kind',
        description: 'What runs in the panes',
        type: 'bargauge',
        width: 6,
        queries: [{ expr: `sum by (kind) (paneward_agents{${I}})`, legend: '{{kind}}' }],
      },
    ],
  },
  {
    title: 'Poll loop',
    panels: [
      {
        title: 'Cycle time p50 / p99',
        description: 'Duration of one poll cycle; above POLL_INTERVAL_MS ticks are skipped',
        type: 'timeseries',
        unit: 's',
        width: 8,
        queries: [
          { expr: `histogram_quantile(0.5, sum by (le) (rate(paneward_cycle_duration_seconds_bucket{${I}}[${RATE}])))`, legend: 'p50' },
          { expr: `histogram_quantile(0.99, sum by (le) (rate(paneward_cycle_duration_seconds_bucket{${I}}[${RATE}])))`, legend: 'p99' },
        ],
      },
      {
        title: 'Cycle phases (mean per cycle)',
        description: 'Where a cycle spends its time: tmux list, tmux capture, classification (overlaps capture), store writes',
        type: 'timeseries',
        unit: 's',
        width: 8,
        queries: [
          {
            expr: `sum by (phase) (rate(paneward_cycle_phase_duration_seconds_sum{${I}}[${RATE}])) / sum by (phase) (rate(paneward_cycle_phase_duration_seconds_count{${I}}[${RATE}]))`,
            legend: '{{phase}}',
          },
        ],
      },
      {
        title: 'Cycles per second',
        description: 'Cycles by result, and ticks skipped because a cycle was still running',
        type: 'timeseries',
        unit: 'ops',
        width: 8,
        queries: [
          { expr: `sum by (result) (rate(paneward_cycles_total{${I}}[${RATE}]))`, legend: '{{result}}' },
          { expr: `sum(rate(paneward_cycles_skipped_total{${I}}[${RATE}]))`, legend: 'skipped' },
        ],
      },
      {
        title: 'Since the last clean cycle',
        description: 'Grows when cycles fail or stop',
        type: 'stat',
        unit: 's',
        width: 4,
        redFrom: 120,
        queries: [{ expr: `time() - max(paneward_last_cycle_success_timestamp_seconds{${I}})` }],
      },
      {
        title: 'Cache hit ratio',
        description: 'capture: panes not captured again because tmux reported no change; read: API reads served from memory',
        type: 'timeseries',
        unit: 'percentunit',
        width: 10,
        queries: [
          {
            expr: `sum by (layer) (rate(paneward_cache_requests_total{${I},result="hit"}[${RATE}])) / sum by (layer) (rate(paneward_cache_requests_total{${I}}[${RATE}]))`,
            legend: '{{layer}}',
          },
        ],
      },
      {
        title: 'Process memory',
        description: 'Resident memory of the paneward process',
        type: 'timeseries',
        unit: 'bytes',
        width: 10,
        queries: [{ expr: `process_resident_memory_bytes{${I}}`, legend: '{{instance}}' }],
      },
    ],
  },
  {
    title: 'tmux',
    panels: [
      {
        title: 'tmux servers up',
        description: 'Whether each tmux server answered the last query',
        type: 'stat',
        width: 6,
        queries: [{ expr: `paneward_tmux_up{${I}}`, legend: '{{socket}}' }],
      },
      {
        title: 'tmux commands per second',
        description: 'By strategy (pool: control mode; exec: a subprocess each) and result',
        type: 'timeseries',
        unit: 'ops',
        width: 9,
        queries: [{ expr: `sum by (strategy, result) (rate(paneward_tmux_commands_total{${I}}[${RATE}]))`, legend: '{{strategy}} {{result}}' }],
      },
      {
        title: 'tmux request time p99',
        description: 'One request to tmux: a command or a pipelined batch',
        type: 'timeseries',
        unit: 's',
        width: 9,
        queries: [
          {
            expr: `histogram_quantile(0.99, sum by (le, strategy) (rate(paneward_tmux_command_duration_seconds_bucket{${I}}[${RATE}])))`,
            legend: '{{strategy}}',
          },
        ],
      },
      {
        title: 'Pool connections',
        description: 'Control-mode connections per tmux server, idle or borrowed, and borrowers waiting',
        type: 'timeseries',
        width: 12,
        stacked: true,
        queries: [
          { expr: `sum by (socket, state) (paneward_pool_connections{${I}})`, legend: '{{state}} {{socket}}' },
          { expr: `sum by (socket) (paneward_pool_pending_acquires{${I}})`, legend: 'waiting {{socket}}' },
        ],
      },
      {
        title: 'Pool acquire wait p99',
        description: 'Time to borrow a control-mode connection',
        type: 'timeseries',
        unit: 's',
        width: 12,
        queries: [{ expr: `histogram_quantile(0.99, sum by (le) (rate(paneward_pool_acquire_duration_seconds_bucket{${I}}[${RATE}])))`, legend: 'p99' }],
      },
    ],
  },
  {
    title: 'Redis and webhooks',
    panels: [
      {
        title: 'Redis up',
        description: '1: Redis answers; 0: answers are stale, served from memory (absent with the embedded store)',
        type: 'stat',
        width: 4,
        queries: [{ expr: `paneward_redis_up{${I}}`, legend: '{{instance}}' }],
      },
      {
        title: 'Webhook deliveries per second',
        description: 'By hook and result (ok, error, dropped)',
        type: 'timeseries',
        unit: 'ops',
        width: 10,
        queries: [{ expr: `sum by (hook, result) (rate(paneward_webhook_deliveries_total{${I}}[${RATE}]))`, legend: '{{hook}} {{result}}' }],
      },
      {
        title: 'Webhook queue depth',
        description: 'Events waiting to be delivered, per hook',
        type: 'timeseries',
        width: 10,
        queries: [{ expr: `sum by (hook) (paneward_webhook_queue_depth{${I}})`, legend: '{{hook}}' }],
      },
    ],
  },
];
