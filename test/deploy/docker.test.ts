// docker-compose.yml is valid for Debian's docker-compose and wires Prometheus rules and Grafana provisioning;
// the image runs a supported Node LTS and its HEALTHCHECK follows PORT.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse } from 'yaml';
import { buildApp } from '../../src/app.ts';
import { configWith } from '../../src/config.ts';
import { freePort } from '../helpers/redis.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const TOKEN = 'compose-test-token-0123456789';

function composeConfig(env: Record<string, string>) {
  const run = spawnSync('docker-compose', ['-f', 'docker-compose.yml', 'config'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
  });
  assert.equal(run.error, undefined, 'docker-compose is installed (.ci/run installs it)');
  return run;
}

interface Service {
  image?: string;
  volumes?: Array<string | { source: string; target: string; read_only?: boolean }>;
  environment?: Record<string, string>;
}

/** Mounts as [host path relative to the repo, container path]. */
function mounts(service: Service): Array<[string, string]> {
  return (service.volumes ?? []).map((v) => {
    if (typeof v === 'string') {
      const [source, target] = v.split(':') as [string, string];
      return [source.replace(ROOT, './').replace(/^\.\//, ''), target];
    }
    return [v.source.replace(ROOT, '').replace(/^\.\//, ''), v.target];
  });
}

test('docker-compose.yml passes docker-compose config and runs redis, paneward, prometheus and grafana', () => {
  const run = composeConfig({ API_TOKEN: TOKEN });
  assert.equal(run.status, 0, run.stderr);
  const services = parse(run.stdout).services as Record<string, Service>;
  assert.deepEqual(Object.keys(services).sort(), ['grafana', 'paneward', 'prometheus', 'redis']);
});

test('compose refuses to start paneward on 0.0.0.0 without API_TOKEN, naming the variable', () => {
  const run = composeConfig({});
  assert.notEqual(run.status, 0);
  assert.match(run.stderr, /API_TOKEN/);
});

test('Prometheus gets the directory with its config and the alert rules the config loads', () => {
  const services = parse(composeConfig({ API_TOKEN: TOKEN }).stdout).services as Record<string, Service>;
  const [source, target] = mounts(services.prometheus!).find(([, t]) => t === '/etc/prometheus') ?? [];
  assert.equal(target, '/etc/prometheus');
  assert.ok(existsSync(`${ROOT}${source}/prometheus.yml`) && existsSync(`${ROOT}${source}/alerts.yml`), `${source} holds prometheus.yml and alerts.yml`);
  assert.match(readFileSync(`${ROOT}${source}/prometheus.yml`, 'utf8'), /rule_files:\n\s+- alerts\.yml/);
});

test('Grafana gets the provisioning (data source, dashboard provider) and the dashboard at the path the provider reads', () => {
  const services = parse(composeConfig({ API_TOKEN: TOKEN }).stdout).services as Record<string, Service>;
  const grafana = services.grafana!;
  const byTarget = new Map(mounts(grafana).map(([s, t]) => [t, s]));
  const provisioning = byTarget.get('/etc/grafana/provisioning')!;
  const datasource = parse(readFileSync(`${ROOT}${provisioning}/datasources/prometheus.yml`, 'utf8'));
  assert.equal(datasource.datasources[0].url, 'http://prometheus:9090');
  const provider = parse(readFileSync(`${ROOT}${provisioning}/dashboards/paneward.yml`, 'utf8'));
  const dashboardsDir = provider.providers[0].options.path as string;
  const mounted = byTarget.get(dashboardsDir);
  assert.ok(mounted, `${dashboardsDir} is mounted`);
  assert.ok(existsSync(`${ROOT}${mounted}/paneward.json`), 'the dashboard is in the mounted directory');
  assert.equal(grafana.environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH, `${dashboardsDir}/paneward.json`);
});

const dockerfile = readFileSync(`${ROOT}Dockerfile`, 'utf8');

test('the image is built on Node 22 or 24, LTS lines supported past 2026 (Node 20 is past its end of life)', () => {
  const image = /^ARG NODE_IMAGE=node:(\d+)-/m.exec(dockerfile);
  assert.ok(image, 'NODE_IMAGE names a node image');
  assert.ok(['22', '24'].includes(image[1]!), `node ${image[1]}`);
  for (const from of dockerfile.matchAll(/^FROM (\S+)/gm)) assert.equal(from[1], '${NODE_IMAGE}');
});

test('the runtime stage carries no compiler, dev dependencies or package manager', () => {
  const runtime = dockerfile.slice(dockerfile.indexOf('AS runtime'));
  assert.doesNotMatch(runtime, /COPY (src|routes|tsconfig)/);
  assert.doesNotMatch(runtime, /npm (ci|install)/);
  assert.match(runtime, /COPY --from=deps \/app\/node_modules/);
  assert.match(dockerfile, /AS deps\n[\s\S]*npm ci --omit=dev/);
  assert.match(runtime, /rm -rf [^\n]*node_modules\/npm/);
});

test('the HEALTHCHECK asks /livez on the PORT the server listens on', async (t) => {
  const command = JSON.parse(/^HEALTHCHECK .*? CMD (\[.*\])$/m.exec(dockerfile)![1]!) as string[];
  const app = await buildApp(configWith({}), { servers: [], startLoop: false, logger: false });
  t.after(() => app.close());
  const port = Number(new URL(await app.listen({ host: '127.0.0.1', port: 0 })).port);
  // Asynchronously: the server answering the check lives in this process.
  const check = (env: Record<string, string>) =>
    new Promise<number | null>((resolve) => {
      const child = execFile(command[0] === 'node' ? process.execPath : command[0]!, command.slice(1), { env, timeout: 10_000 });
      child.on('exit', (code) => resolve(code));
    });
  assert.equal(await check({ PORT: String(port) }), 0, 'healthy on the PORT given');
  assert.equal(await check({ PORT: String(await freePort()) }), 1, 'unhealthy when nothing answers on PORT');
});
