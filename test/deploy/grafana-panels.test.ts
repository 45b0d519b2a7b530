// Every query of the Grafana dashboard, asked of a real Prometheus that scrapes a real paneward (a private tmux
// fleet, a private Redis): each parses, and each returns series carrying the labels its legend names.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { ROWS, type Query } from '../../deploy/grafana/dashboard.ts';
import { renderDashboard } from '../../deploy/grafana/render.ts';
import { buildApp } from '../../src/app.ts';
import { configWith } from '../../src/config.ts';
import { SCRAPE_SECONDS, startPrivatePrometheus, type PrivatePrometheus } from '../helpers/prometheus.ts';
import { startPrivateRedis, type PrivateRedis } from '../helpers/redis.ts';
import { startPrivateTmux, type PrivateTmux } from '../helpers/tmux.ts';

/**
 * The webhooks' metrics exist once paneward has webhooks (config `webhooksFile`, the webhooks work): then the test
 * configures one hook to a local receiver and holds the webhook panels to returning series like every other;
 * deliveries need the change stream (`app.events`, the stream work) too. Without them in this tree, those panels
 * are asked only to parse.
 */
const WEBHOOK_METRICS = ['paneward_webhook_deliveries_total', 'paneward_webhook_queue_depth'];
const HAS_WEBHOOKS = 'webhooksFile' in configWith();
let delivering = false;

/** Whether a query must return series here: all must, but those on webhook metrics paneward cannot produce yet. */
function expectsSeries(expr: string): boolean {
  if (!WEBHOOK_METRICS.some((m) => expr.includes(m))) return true;
  return HAS_WEBHOOKS && (delivering || !expr.includes('paneward_webhook_deliveries_total'));
}
const RATE_WINDOW = '5s';

let redis: PrivateRedis;
let tmux: PrivateTmux;
let app: FastifyInstance;
let prometheus: PrivatePrometheus;
let exposition: string;
let receiver: Server | null = null;
let hooksDir: string | null = null;

const ask = (path: string, params: Record<string, string>) => prometheus.ask(path, params);

/** What Grafana substitutes before sending a query: all instances, a rate window of a few scrapes. */
function asGrafanaSends(expr: string): string {
  return expr.replaceAll('$instance', '.+').replaceAll('$__rate_interval', RATE_WINDOW);
}

async function queryPanel(q: Query, instant: boolean) {
  const query = asGrafanaSends(q.expr);
  if (instant) return ask('/api/v1/query', { query });
  const end = Date.now() / 1000;
  return ask('/api/v1/query_range', { query, start: String(end - 10), end: String(end), step: String(SCRAPE_SECONDS) });
}

async function waitFor(what: string, check: () => Promise<boolean>, deadlineMs = 60_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    if (await check().catch(() => false)) return;
    await sleep(250);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A receiver that takes every delivery, and a webhooks file sending every transition to it. */
async function webhooksFile(): Promise<string> {
  receiver = createServer((req, res) => req.resume().on('end', () => res.writeHead(204).end()));
  await new Promise<void>((resolve) => receiver!.listen(0, '127.0.0.1', resolve));
  const { port } = receiver.address() as AddressInfo;
  hooksDir = mkdtempSync(join(tmpdir(), 'paneward-hooks-'));
  const path = join(hooksDir, 'webhooks.json');
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  writeFileSync(path, JSON.stringify({ hooks: [{ name: 'receiver', format: 'json', url: `http://127.0.0.1:${port}/hook`, secret }] }));
  return path;
}

before(async () => {
  redis = await startPrivateRedis();
  tmux = await startPrivateTmux();
  // A program asking a yes/no question is `waiting` (profiles/program.json); a shell script would be a `shell`.
  await tmux.newSession('ask', `${process.execPath} -e "process.stdout.write('Overwrite the config? [y/N] '); setInterval(() => {}, 1e6)"`);
  await tmux.newSession('busy', `sh -c 'while :; do date +%s.%N; sleep 0.2; done'`);
  await tmux.newSession('shell', 'bash --norc --noprofile');
  const config = configWith({ sockets: [tmux.socket], redis: redis.url, pollIntervalMs: 250, monitorId: 'dash' });
  app = await buildApp(HAS_WEBHOOKS ? ({ ...config, webhooksFile: await webhooksFile() } as typeof config) : config, { logger: false });
  delivering = HAS_WEBHOOKS && app.hasDecorator('events');
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  prometheus = await startPrivatePrometheus(new URL(address).host);
  // Enough scrapes for every rate window, and the waiting pane confirmed and scraped.
  await waitFor('a waiting agent in Prometheus and a full rate window', async () => {
    const waiting = await ask('/api/v1/query', { query: 'paneward_agent_state_since_timestamp_seconds{state="waiting"}' });
    const scrapes = await ask('/api/v1/query', { query: `count_over_time(up{job="paneward"}[${RATE_WINDOW}]) >= 4` });
    const delivered = delivering ? await ask('/api/v1/query', { query: `count_over_time(paneward_webhook_deliveries_total[${RATE_WINDOW}]) >= 2` }) : null;
    return waiting.body.data.result.length === 1 && scrapes.body.data.result.length === 1 && delivered?.body.data.result.length !== 0;
  });
  exposition = (await app.inject({ url: '/metrics' })).body;
});

after(async () => {
  await prometheus?.stop();
  await app?.close();
  await tmux?.cleanup();
  await redis?.cleanup();
  receiver?.close();
  if (hooksDir) rmSync(hooksDir, { recursive: true, force: true });
});

const panels = ROWS.flatMap((row) => row.panels);

for (const panel of panels) {
  test(`panel "${panel.title}": every query parses and returns series in Prometheus`, async () => {
    for (const q of panel.queries) {
      const { http, body } = await queryPanel(q, q.instant === true || panel.type === 'table');
      assert.equal(http, 200, `${q.expr}: ${body.error}`);
      assert.equal(body.status, 'success');
      if (!expectsSeries(q.expr)) continue;
      assert.ok(body.data.result.length > 0, `no series for ${asGrafanaSends(q.expr)}`);
      for (const label of (q.legend ?? '').matchAll(/\{\{(\w+)\}\}/g)) {
        for (const series of body.data.result) assert.ok(label[1]! in series.metric, `legend label ${label[1]} missing in ${JSON.stringify(series.metric)}`);
      }
    }
  });
}

test('the "who needs a human" table lists the waiting pane with its target and kind', async () => {
  const table = panels.find((p) => p.type === 'table')!;
  const { body } = await queryPanel(table.queries[0]!, true);
  assert.deepEqual(
    body.data.result.map((r) => [r.metric.target, r.metric.kind, r.metric.state]),
    [['ask:0.0', 'program', 'waiting']],
  );
});

test('Prometheus loads deploy/prometheus/alerts.yml and evaluates every rule without error', async () => {
  await waitFor('every rule group evaluated', async () => {
    const { body } = await ask('/api/v1/rules', {});
    const rules = (body.data as unknown as { groups: Array<{ rules: Array<{ lastEvaluation: string }> }> }).groups.flatMap((g) => g.rules);
    return rules.length > 0 && rules.every((r) => !r.lastEvaluation.startsWith('0001'));
  });
  const { body } = await ask('/api/v1/rules', {});
  const rules = (body.data as unknown as { groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }> }).groups.flatMap((g) => g.rules);
  assert.ok(rules.length >= 10);
  for (const r of rules) assert.equal(r.health, 'ok', `${r.name}: ${r.lastError}`);
});

test('every paneward metric the alerts and the dashboard read is one paneward exports', () => {
  const texts = [readFileSync(new URL('../../deploy/prometheus/alerts.yml', import.meta.url), 'utf8'), JSON.stringify(renderDashboard())];
  const used = new Set(texts.flatMap((t) => [...t.matchAll(/\bpaneward_[a-z_]+/g)].map((m) => m[0])));
  for (const name of used) {
    if (!HAS_WEBHOOKS && WEBHOOK_METRICS.includes(name)) continue;
    const family = name.replace(/_(bucket|sum|count)$/, '');
    assert.match(exposition, new RegExp(`^# TYPE ${family} `, 'm'), `${name} is read by a rule or panel but not exported`);
  }
});
