// `npm run bench -- tmux --panes N [--json] [--line-chars C] [--connections]`: one "capture every pane" round
// through exec (sequential and 8 concurrent) and the control-mode pool, on a private tmux server built here.
// Panes hold 60 lines like `seq 1 60` by default (the setup); --line-chars 70 gives full text lines.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ControlClient } from '../src/tmux/client.ts';
import { command, flags, positional } from '../src/tmux/command.ts';
import { tmuxChildEnv } from '../src/tmux/env.ts';
import { createTmuxServer } from '../src/tmux/index.ts';
import { captureCommand } from '../src/tmux/queries.ts';
import { argValue, measure, type Percentiles } from './lib/stats.ts';

const run = promisify(execFile);

function log(message: string): void {
  process.stderr.write(`[bench tmux] ${message}\n`);
}

/** A private server with `panes` windows of one pane each, every pane showing 60 lines of text. */
async function buildServer(dir: string, panes: number, lineChars: number): Promise<{ socket: string; tmux: (...a: string[]) => Promise<string> }> {
  const socket = join(dir, 'sock');
  const text = join(dir, 'screen.txt');
  writeFileSync(
    text,
    Array.from({ length: 60 }, (_, i) => (lineChars > 0 ? `${i + 1} ${'agent output '.repeat(10)}`.slice(0, lineChars) : `${i + 1}`)).join('\n'),
  );
  const tmux = async (...args: string[]) => (await run('tmux', ['-S', socket, ...args], { env: tmuxChildEnv() })).stdout;
  // remain-on-exit keeps each pane's screen after `cat` ends, so 1000 panes cost no processes.
  await tmux('-f', '/dev/null', 'new-session', '-d', '-s', 'bench', '-x', '100', '-y', '62', `cat ${text}`, ';', 'set', '-g', 'remain-on-exit', 'on', ';', 'set', '-g', 'default-size', '100x62');
  await tmux('set-option', '-w', '-t', 'bench', 'remain-on-exit', 'on');
  const builder = await ControlClient.connect({ socket, session: '$0', readOnly: false, commandTimeoutMs: 60_000 });
  try {
    const create = command('new-window', flags('d'), positional(`cat ${text}`));
    const replies = await Promise.all(builder.runBatch(Array.from({ length: panes - 1 }, () => create)));
    const failed = replies.filter((r) => !r.ok);
    if (failed.length > 0) throw new Error(`new-window failed: ${failed[0]!.lines.join(' ')}`);
  } finally {
    await builder.close();
  }
  for (let i = 0; i < 200; i++) {
    const states = (await tmux('list-panes', '-a', '-F', '#{pane_dead}')).split('\n').filter(Boolean);
    if (states.length === panes && states.every((s) => s === '1')) return { socket, tmux };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('panes did not finish printing');
}

/** The same batch split over `k` connections at once, to choose the pool size. */
async function splitCapture(socket: string, ids: string[], k: number): Promise<Percentiles> {
  const clients = await Promise.all(Array.from({ length: k }, () => ControlClient.connect({ socket, session: '$0', commandTimeoutMs: 30_000 })));
  try {
    return await measure(30, async () => {
      const per = Math.ceil(ids.length / k);
      await Promise.all(clients.map((c, i) => Promise.all(c.runBatch(ids.slice(i * per, (i + 1) * per).map(captureCommand)))));
    });
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
}

export async function runTmuxBench(argv: string[]): Promise<void> {
  const panes = Math.max(1, Number(argValue(argv, 'panes', '100')));
  const json = argv.includes('--json');
  const lineChars = Math.max(0, Number(argValue(argv, 'line-chars', '0')));
  const dir = mkdtempSync(join(tmpdir(), 'paneward-bench-tmux-'));
  let tmux: ((...a: string[]) => Promise<string>) | null = null;
  try {
    log(`building a private tmux server with ${panes} panes in ${dir}`);
    const built = await buildServer(dir, panes, lineChars);
    tmux = built.tmux;
    const socket = built.socket;
    const sequential = createTmuxServer({ socket, strategy: 'exec', execConcurrency: 1, commandTimeoutMs: 30_000 });
    const concurrent = createTmuxServer({ socket, strategy: 'exec', execConcurrency: 8, commandTimeoutMs: 30_000 });
    const pooled = createTmuxServer({ socket, strategy: 'pool', commandTimeoutMs: 30_000 });
    try {
      const ids = (await pooled.listPanes()).map((p) => p.paneId);
      if (ids.length !== panes) throw new Error(`expected ${panes} panes, tmux lists ${ids.length}`);
      const check = async (server: typeof pooled) => {
        const texts = await server.capturePanes(ids);
        if (texts.size !== panes) throw new Error(`captured ${texts.size} of ${panes} panes`);
      };
      // Exec rounds cost seconds at 1000 panes; fewer of them keep the whole bench within a few minutes.
      const slowRounds = panes >= 500 ? 3 : 10;
      log('pool');
      const pool = await measure(50, () => check(pooled), 3);
      if (pooled.status().effectiveStrategy !== 'pool') throw new Error(`pool fell back to exec: ${pooled.status().reason}`);
      const listPanes = await measure(50, () => pooled.listPanes(), 3);
      log('exec concurrent (8)');
      const execConcurrent = await measure(slowRounds, () => check(concurrent));
      log('exec sequential');
      const execSequential = await measure(slowRounds, () => check(sequential), 0);
      const result: Record<string, unknown> = {
        bench: 'tmux',
        panes,
        line_chars: lineChars,
        exec_sequential: execSequential,
        exec_concurrent: execConcurrent,
        pool,
        pool_list_panes: listPanes,
        speedup_vs_sequential: Math.round((execSequential.p50_ms / pool.p50_ms) * 10) / 10,
      };
      if (argv.includes('--connections')) {
        const split: Record<string, Percentiles> = {};
        for (const k of [1, 2, 4]) split[String(k)] = await splitCapture(socket, ids, k);
        result.pool_split_connections = split;
      }
      if (!json) {
        log(`exec sequential p50 ${execSequential.p50_ms} ms, exec concurrent p50 ${execConcurrent.p50_ms} ms, pool p50 ${pool.p50_ms} ms`);
      }
      process.stdout.write(`${JSON.stringify(result)}\n`);
    } finally {
      await Promise.all([sequential.close(), concurrent.close(), pooled.close()]);
    }
  } finally {
    if (tmux) await tmux('kill-server').catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}
