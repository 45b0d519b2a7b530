// A throwaway Prometheus (Debian's `prometheus` binary) on a free port with a temporary store, scraping one
// target every second and loading deploy/prometheus/alerts.yml; never a Prometheus of the machine.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './redis.ts';

export const SCRAPE_SECONDS = 1;
const RULES = new URL('../../deploy/prometheus/alerts.yml', import.meta.url).pathname;

export interface PromAnswer {
  status: string;
  error?: string;
  data: { resultType: string; result: Array<{ metric: Record<string, string>; value?: [number, string]; values?: Array<[number, string]> }> };
}

export interface PrivatePrometheus {
  url: string;
  /** GET an HTTP API path (e.g. /api/v1/query) with query parameters. */
  ask(path: string, params: Record<string, string>): Promise<{ http: number; body: PromAnswer }>;
  stop(): Promise<void>;
}

function writeConfig(dir: string, target: string): string {
  const path = join(dir, 'prometheus.yml');
  const lines = [
    'global:',
    `  scrape_interval: ${SCRAPE_SECONDS}s`,
    `  evaluation_interval: ${SCRAPE_SECONDS}s`,
    'rule_files:',
    `  - ${JSON.stringify(RULES)}`,
    'scrape_configs:',
    '  - job_name: paneward',
    '    static_configs:',
    `      - targets: [${JSON.stringify(target)}]`,
    '',
  ];
  writeFileSync(path, lines.join('\n'));
  return path;
}

export async function startPrivatePrometheus(target: string): Promise<PrivatePrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'paneward-prom-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    'prometheus',
    [`--config.file=${writeConfig(dir, target)}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr!.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(10_000).then(() => child.kill('SIGKILL'))]);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const ask = async (path: string, params: Record<string, string>) => {
    const res = await fetch(`${url}${path}?${new URLSearchParams(params)}`);
    return { http: res.status, body: (await res.json()) as PromAnswer };
  };
  for (let i = 0; i < 240; i++) {
    if (await fetch(`${url}/-/ready`).then((r) => r.ok, () => false)) return { url, ask, stop };
    if (child.exitCode !== null) break;
    await sleep(250);
  }
  await stop();
  throw new Error(`prometheus did not start: ${log}`);
}
