// /metrics after real cycles: every documented series is there and promtool finds the exposition clean.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { buildApp } from '../../src/app.ts';
import { configWith } from '../../src/config.ts';
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
  'paneward_redis_up',
  'paneward_last_cycle_success_timestamp_seconds',
  'paneward_detection_rule_hits_total',
  'paneward_agent_state_since_timestamp_seconds',
  'paneward_cycle_phase_duration_seconds',
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
  const agents = [...res.body.matchAll(/^paneward_agents\{[^}]*\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
  assert.equal(agents, 1, 'one agent counted across states and kinds');
  const ruleHits = [...res.body.matchAll(/^paneward_detection_rule_hits_total\{kind="[^"]+",rule="[^"]+"\} (\d+)$/gm)];
  assert.equal(ruleHits.reduce((n, m) => n + Number(m[1]), 0), 3, 'one rule decided the one pane in each of the 3 cycles');

  const lint = spawnSync('promtool', ['check', 'metrics'], { input: res.body, encoding: 'utf8' });
  assert.equal(lint.error, undefined, 'promtool is installed (.ci/run installs prometheus)');
  assert.equal(lint.status, 0, `promtool: ${lint.stdout}${lint.stderr}`);
});
