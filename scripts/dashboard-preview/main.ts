// `npm run dashboard:preview`: a picture of the dashboard's panels with real data, for the README, made without
// Grafana (which cannot run here): a private tmux fleet doing a little of everything, a real paneward and Redis,
// a real Prometheus scraping them; every panel's query asked of that Prometheus; the answers drawn as SVG
// (draw.ts) and photographed by Debian's headless Chromium. The picture says at its top that it is not Grafana.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { renderDashboard } from '../../deploy/grafana/render.ts';
import { buildApp } from '../../src/app.ts';
import { configWith } from '../../src/config.ts';
import { startPrivatePrometheus, type PrivatePrometheus } from '../../test/helpers/prometheus.ts';
import { startPrivateRedis } from '../../test/helpers/redis.ts';
import { startPrivateTmux, type PrivateTmux } from '../../test/helpers/tmux.ts';
import { drawPage, type PanelData, type Series } from './draw.ts';

const SECONDS = Number(process.env.PREVIEW_SECONDS ?? 150);
const STEP_SECONDS = 2;
const OUT = new URL('../../docs/images/dashboard-panels.png', import.meta.url).pathname;
const node = process.execPath;

/** Panes that go through the states a dashboard should show: waiting, working then idle, crashing, asking late. */
async function startFleet(tmux: PrivateTmux): Promise<void> {
  await tmux.newSession('review', `${node} -e "process.stdout.write('Apply the migration to the staging database? [y/N] '); setInterval(() => {}, 1e6)"`);
  await tmux.newSession('build', `sh -c 'while :; do date +%s.%N; sleep 0.2; done'`);
  await tmux.newSession('tests', `sh -c 'i=0; while [ $i -lt 150 ]; do echo "test $i ok"; i=$((i+1)); sleep 0.3; done; sleep 3600'`);
  await tmux.newSession('deploy', `${node} -e "setTimeout(() => process.stdout.write('Deploy to production? (y/n) '), ${Math.round(SECONDS * 0.4)}000); setInterval(() => {}, 1e6)"`);
  await tmux.tmux('set-option', '-g', 'remain-on-exit', 'on'); // the crashed pane stays, as a crashed agent
  await tmux.newSession('lint', `sh -c 'echo linting; sleep ${Math.round(SECONDS * 0.6)}; echo "error: 3 problems"; exit 3'`);
  await tmux.newSession('shell', 'bash --norc --noprofile');
}

const GRAFANA_VARIABLES = (expr: string) => expr.replaceAll('$instance', '.+').replaceAll('$__rate_interval', '10s');

function legendOf(format: string | undefined, metric: Record<string, string>): string {
  if (!format || format === '__auto') return Object.entries(metric).filter(([k]) => k !== '__name__').map(([k, v]) => `${k}=${v}`).join(', ') || 'value';
  return format.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, label: string) => metric[label] ?? '');
}

interface Target {
  expr: string;
  legendFormat?: string;
  instant?: boolean;
}

interface GrafanaPanel {
  type: string;
  title: string;
  gridPos: PanelData['gridPos'];
  targets?: Target[];
  fieldConfig?: { defaults: { unit?: string; custom?: { stacking?: { mode: string } }; thresholds?: { steps: Array<{ color: string; value: number | null }> } } };
}

async function seriesOf(prometheus: PrivatePrometheus, target: Target, start: number, end: number): Promise<Series[]> {
  const query = GRAFANA_VARIABLES(target.expr);
  const { body } = await prometheus.ask('/api/v1/query_range', { query, start: String(start), end: String(end), step: String(STEP_SECONDS) });
  return body.data.result.map((r) => ({ label: legendOf(target.legendFormat, r.metric), points: (r.values ?? []).map(([t, v]) => [t, Number(v)] as [number, number]) }));
}

async function tableRows(prometheus: PrivatePrometheus, target: Target, end: number): Promise<Array<Record<string, string>>> {
  const { body } = await prometheus.ask('/api/v1/query', { query: GRAFANA_VARIABLES(target.expr), time: String(end) });
  return body.data.result.map((r) => ({ target: r.metric.target ?? '', kind: r.metric.kind ?? '', state: r.metric.state ?? '', for: `${Math.round(Number(r.value![1]))} s`, id: r.metric.id ?? '' }));
}

async function panelData(prometheus: PrivatePrometheus, panel: GrafanaPanel, start: number, end: number): Promise<PanelData> {
  const defaults = panel.fieldConfig?.defaults;
  const red = defaults?.thresholds?.steps.find((s) => s.color === 'red')?.value ?? null;
  const data: PanelData = { type: panel.type, title: panel.title, gridPos: panel.gridPos, unit: defaults?.unit ?? 'short', stacked: defaults?.custom?.stacking?.mode === 'normal', redFrom: red, series: [] };
  for (const target of panel.targets ?? []) {
    if (panel.type === 'table') data.rows = await tableRows(prometheus, target, end);
    else data.series.push(...(await seriesOf(prometheus, target, start, end)));
  }
  return data;
}

function screenshot(html: string, height: number): void {
  const dir = mkdtempSync(join(tmpdir(), 'paneward-preview-'));
  try {
    const page = join(dir, 'dashboard.html');
    writeFileSync(page, html);
    mkdirSync(new URL('.', `file://${OUT}`).pathname, { recursive: true });
    const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--disable-background-networking', `--user-data-dir=${join(dir, 'profile')}`];
    execFileSync('chromium', [...flags, `--window-size=1416,${height}`, `--screenshot=${OUT}`, `file://${page}`], { stdio: 'ignore' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const [redis, tmux] = [await startPrivateRedis(), await startPrivateTmux()];
  const app = await buildApp(configWith({ sockets: [tmux.socket], redis: redis.url, pollIntervalMs: 250, monitorId: 'preview' }), { logger: false });
  let prometheus: PrivatePrometheus | null = null;
  try {
    await startFleet(tmux);
    prometheus = await startPrivatePrometheus(new URL(await app.listen({ host: '127.0.0.1', port: 0 })).host);
    const start = Date.now() / 1000;
    process.stdout.write(`fleet running for ${SECONDS} s…\n`);
    await sleep(SECONDS * 1000);
    const end = Date.now() / 1000;
    const asked = prometheus;
    const panels = (renderDashboard().panels as GrafanaPanel[]).map((p) => (p.type === 'row' ? Promise.resolve({ ...p, unit: '', stacked: false, redFrom: null, series: [] }) : panelData(asked, p, start, end)));
    const banner = `Not a Grafana screenshot (Grafana cannot run here). The panels of deploy/grafana/dashboards/paneward.json, each query answered by a real Prometheus scraping a real paneward watching a ${SECONDS}-second private tmux fleet, drawn by scripts/dashboard-preview (npm run dashboard:preview).`;
    const { html, height } = drawPage(await Promise.all(panels), banner);
    screenshot(html, height);
    process.stdout.write(`wrote ${OUT}\n`);
  } finally {
    await prometheus?.stop();
    await app.close();
    await tmux.cleanup();
    await redis.cleanup();
  }
}

await main();
