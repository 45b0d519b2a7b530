// A throwaway Redis Cluster (3 masters, 3 replicas) and a Sentinel set-up on free ports for one test file; never the
// machine's own Redis on 6379. Each node runs in its own temporary directory so its nodes.conf is its own.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { freePort } from './redis.ts';

interface Node {
  port: number;
  child: ChildProcess | null;
}

export interface PrivateCluster {
  /** host:port of every node, as REDIS_CLUSTER_NODES takes them. */
  nodes: string[];
  /** Kill (SIGKILL) the master that owns `key`'s slot and wait until a replica has taken its place. */
  failoverOwnerOf(key: string): Promise<{ killed: number; promoted: number }>;
  cleanup(): Promise<void>;
}

export interface PrivateSentinel {
  /** host:port of the sentinel, as REDIS_SENTINELS takes them. */
  sentinels: string[];
  name: string;
  masterPort(): Promise<number>;
  /** Kill (SIGKILL) the current master and wait until the sentinel names the replica as the new one. */
  killMaster(): Promise<number>;
  cleanup(): Promise<void>;
}

// No delay before a replica's first sync: a replica that never synced cannot be promoted.
const BASE_ARGS = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no', '--repl-diskless-sync-delay', '0'];

function startNode(port: number, dir: string, extra: string[]): ChildProcess {
  return spawn('redis-server', ['--port', String(port), '--dir', dir, ...BASE_ARGS, ...extra], { stdio: 'ignore' });
}

async function untilAnswers(port: number): Promise<void> {
  const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined);
  try {
    for (let i = 0; i < 200; i++) {
      try {
        await probe.connect();
        await probe.ping();
        return;
      } catch {
        await sleep(50);
      }
    }
    throw new Error(`redis-server did not start on port ${port}`);
  } finally {
    probe.disconnect();
  }
}

async function until<T>(what: string, check: () => Promise<T | null>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => null);
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

async function command(port: number, ...args: string[]): Promise<unknown> {
  const client = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await client.call(args[0]!, ...args.slice(1));
  } finally {
    client.disconnect();
  }
}

function killNode(node: Node): Promise<void> {
  const c = node.child;
  node.child = null;
  if (!c || c.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    c.once('exit', () => resolve());
    c.kill('SIGKILL');
  });
}

export async function startPrivateCluster(): Promise<PrivateCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'paneward-cluster-'));
  const nodes: Node[] = [];
  for (let i = 0; i < 6; i++) nodes.push({ port: await freePort(), child: null });
  const cleanup = async () => {
    await Promise.all(nodes.map(killNode));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const node of nodes) {
      const nodeDir = mkdtempSync(join(dir, `${node.port}-`));
      // A short node timeout so a failover in a test takes seconds, not the default 15.
      node.child = startNode(node.port, nodeDir, ['--cluster-enabled', 'yes', '--cluster-node-timeout', '1500']);
    }
    await Promise.all(nodes.map((n) => untilAnswers(n.port)));
    const created = spawnSync(
      'redis-cli',
      ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '1', '--cluster-yes'],
      { encoding: 'utf8', timeout: 30_000 },
    );
    if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
    await until('cluster_state:ok on every node', async () => {
      for (const n of nodes) {
        const info = String(await command(n.port, 'CLUSTER', 'INFO'));
        if (!info.includes('cluster_state:ok')) return null;
        const replication = String(await command(n.port, 'INFO', 'replication'));
        if (replication.includes('role:slave') && !replication.includes('master_link_status:up')) return null;
      }
      return true;
    });
  } catch (err) {
    await cleanup();
    throw err;
  }

  const live = () => nodes.filter((n) => n.child !== null);
  async function ownerOf(key: string): Promise<number> {
    const slot = Number(await command(live()[0]!.port, 'CLUSTER', 'KEYSLOT', key));
    const ranges = (await command(live()[0]!.port, 'CLUSTER', 'SLOTS')) as Array<[number, number, [string, number]]>;
    const range = ranges.find(([from, to]) => slot >= from && slot <= to);
    if (!range) throw new Error(`no node owns slot ${slot}`);
    return Number(range[2][1]);
  }

  return {
    nodes: nodes.map((n) => `127.0.0.1:${n.port}`),
    async failoverOwnerOf(key) {
      const killed = await ownerOf(key);
      await killNode(nodes.find((n) => n.port === killed)!);
      const promoted = await until(`a replica to take over slot of ${key}`, async () => {
        const owner = await ownerOf(key);
        if (owner === killed) return null;
        const info = String(await command(owner, 'CLUSTER', 'INFO'));
        return info.includes('cluster_state:ok') ? owner : null;
      });
      return { killed, promoted };
    },
    cleanup,
  };
}

export async function startPrivateSentinel(name = 'paneward-test'): Promise<PrivateSentinel> {
  const dir = mkdtempSync(join(tmpdir(), 'paneward-sentinel-'));
  const master: Node = { port: await freePort(), child: null };
  const replica: Node = { port: await freePort(), child: null };
  const sentinel: Node = { port: await freePort(), child: null };
  const cleanup = async () => {
    await Promise.all([master, replica, sentinel].map(killNode));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    master.child = startNode(master.port, mkdtempSync(join(dir, 'm-')), []);
    replica.child = startNode(replica.port, mkdtempSync(join(dir, 'r-')), ['--replicaof', '127.0.0.1', String(master.port)]);
    await Promise.all([untilAnswers(master.port), untilAnswers(replica.port)]);
    await until('the replica to sync', async () => {
      const info = String(await command(replica.port, 'INFO', 'replication'));
      return info.includes('master_link_status:up') ? true : null;
    });
    // A sentinel takes its configuration from a file it can rewrite; the options go on its command line.
    const conf = join(mkdtempSync(join(dir, 's-')), 'sentinel.conf');
    spawnSync('touch', [conf]);
    sentinel.child = spawn(
      'redis-server',
      [
        conf,
        '--sentinel',
        '--port', String(sentinel.port),
        '--bind', '127.0.0.1',
        '--protected-mode', 'no',
        '--sentinel', 'monitor', name, '127.0.0.1', String(master.port), '1',
        '--sentinel', 'down-after-milliseconds', name, '1000',
        '--sentinel', 'failover-timeout', name, '5000',
      ],
      { stdio: 'ignore' },
    );
    await untilAnswers(sentinel.port);
  } catch (err) {
    await cleanup();
    throw err;
  }
  const masterPort = async () => {
    const [, port] = (await command(sentinel.port, 'SENTINEL', 'get-master-addr-by-name', name)) as [string, string];
    return Number(port);
  };
  return {
    sentinels: [`127.0.0.1:${sentinel.port}`],
    name,
    masterPort,
    async killMaster() {
      const current = await masterPort();
      await killNode(current === master.port ? master : replica);
      return until('the sentinel to promote the replica', async () => {
        const now = await masterPort();
        return now !== current ? now : null;
      });
    },
    cleanup,
  };
}
