// /metrics after real cycles: every documented series is there and promtool finds the exposition clean; a scrape
// reads memory only, and paneward_redis_up exists only where there is a Redis.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { buildApp } from '../../src/app.ts';
import { configWith } from '../../src/config.ts';
import type { AppStore } from '../../src/plugins/store.ts';
import { createMemoryStore } from '../../src/store/index.ts';
import type { StoreHealth } from '../../src/store/types.ts';
import { startPrivateRedis } from '../helpers/redis.ts';
import { startPrivateTmux } from '../helpers/tmux.ts';

const DOCUMENTED = [
  'paneward_cycle_duration_seconds',
  'paneward_cycles_total',
  'paneward_cycles_skipped_total',
  'paneward_pool_connections',
  'paneward_pool_pending_acquires',
  'paneward_pool_acquire_duration_seconds',
  'paneward_pool_connections_created_total',
  'paneward_pool_connections_destroyed_total',
  'paneward_cache_requests_total',
  'paneward_cache_hit_ratio',
  'paneward_capture_prefetches_total',
  'paneward_agents',
  'paneward_agent_transitions_total',
  'paneward_tmux_commands_total',
  'paneward_tmux_command_duration_seconds',
  'paneward_tmux_up',
  'paneward_last_cycle_success_timestamp_seconds',
  'paneward_detection_rule_hits_total',
  'paneward_cycle_phase_duration_seconds',
  'paneward_cycle_phase_errors_total',
  'paneward_agent_state_since_timestamp_seconds',
  'process_cpu_seconds_total',
];

test('metrics expose every documented series and pass promtool check metrics', async (t) => {
  const tmux = await startPrivateTmux();
  t.after(() => tmux.cleanup());
  await tmux.newSession('m', 'sleep 600');
  const app = await buildApp(configWith({ sockets: [tmux.socket], monitorId: 'metrics' }), { startLoop: false, logger: false });
  t.after(() => app.close());
  await app.ready();
  for (let i = 0; i < 3; i++) await app.inject({ method: 'POST', url: '/v1/monitor/cycle' });

  const res = await app.inject({ url: '/metrics' });
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /text\/plain/);
  for (const name of DOCUMENTED) assert.match(res.body, new RegExp(`^# TYPE ${name} `, 'm'), `${name} is exposed`);
  assert.match(res.body, /^paneward_cycles_total\{result="ok"\} 3$/m);
  assert.match(res.body, /^paneward_tmux_up\{socket="[^"]+"\} 1$/m);
  // Idle, or borrowed by the refresh of quiet panes that runs after each cycle.
  const connections = [...res.body.matchAll(/^paneward_pool_connections\{socket="[^"]+",state="(?:idle|borrowed)"\} (\d+)$/gm)];
  assert.ok(connections.reduce((n, m) => n + Number(m[1]), 0) >= 1, 'the pool holds a connection');
  assert.match(res.body, /^paneward_cache_requests_total\{layer="capture",result="(hit|miss)"\} [1-9]/m);
  assert.match(res.body, /^paneward_cycle_phase_duration_seconds_count\{phase="list"\} 3$/m, "each of the three cycles timed its list phase");
  assert.match(res.body, /^paneward_cycle_phase_errors_total\{phase="capture"\} 0$/m);
  assert.doesNotMatch(res.body, /^(# TYPE )?paneward_redis_up\b/m, 'no Redis configured: no paneward_redis_up at all');
  const agents = [...res.body.matchAll(/^paneward_agents\{[^}]*\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
  assert.equal(agents, 1, 'one agent counted across states and kinds');
  const ruleHits = [...res.body.matchAll(/^paneward_detection_rule_hits_total\{kind="[^"]+",rule="[^"]+"\} (\d+)$/gm)];
  assert.equal(ruleHits.reduce((n, m) => n + Number(m[1]), 0), 3, 'one rule decided the one pane in each of the 3 cycles');

  const lint = spawnSync('promtool', ['check', 'metrics'], { input: res.body, encoding: 'utf8' });
  assert.equal(lint.error, undefined, 'promtool is installed (.ci/run installs prometheus)');
  assert.equal(lint.status, 0, `promtool: ${lint.stdout}${lint.stderr}`);
});

test('with Redis, paneward_redis_up is 1', async (t) => {
  const redis = await startPrivateRedis();
  t.after(() => redis.cleanup());
  const app = await buildApp(configWith({ sockets: [], monitorId: 'metrics', redis: redis.url }), { startLoop: false, logger: false });
  t.after(() => app.close());
  await app.ready();
  await app.store.write([]);
  const res = await app.inject({ url: '/metrics' });
  assert.match(res.body, /^# HELP paneward_redis_up /m);
  assert.match(res.body, /^paneward_redis_up 1$/m);
});

test('a scrape reads the store\'s known health and never asks for a probe (health())', async (t) => {
  const memory = createMemoryStore();
  let known: StoreHealth = { backend: 'redis', up: true, reason: null };
  let healthCalls = 0;
  // A Redis-backed store as far as metrics can tell, whose health() (which may start a probe) is counted.
  const store = new Proxy(memory, {
    get(target, prop) {
      if (prop === 'health') return () => (healthCalls++, known);
      if (prop === 'knownHealth') return () => known;
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as unknown as AppStore;
  const app = await buildApp(configWith({ sockets: [], monitorId: 'metrics' }), { store, startLoop: false, logger: false });
  t.after(() => app.close());
  await app.ready();

  assert.match((await app.inject({ url: '/metrics' })).body, /^paneward_redis_up 1$/m);
  known = { backend: 'redis', up: false, reason: 'redis unavailable: test' };
  assert.match((await app.inject({ url: '/metrics' })).body, /^paneward_redis_up 0$/m);
  assert.equal(healthCalls, 0, 'a scrape called health(), which can start a Redis probe');
});
