// A throwaway redis-server on a free port for one test file; never the machine's own Redis on 6379.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before } from 'node:test';
import { Redis } from 'ioredis';

export interface PrivateRedis {
  port: number;
  url: string;
  /** Stop the server (SIGKILL) to simulate Redis going away; start() brings it back on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** SIGSTOP / SIGCONT: a Redis that keeps its connections but answers nothing (stopped, swapping). */
  pause(): void;
  resume(): void;
  cleanup(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | null = null;

  async function start() {
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'],
      { stdio: 'ignore' },
    );
    const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined);
    for (let i = 0; i < 100; i++) {
      try {
        await probe.connect();
        await probe.ping();
        probe.disconnect();
        return;
      } catch {
        await sleep(50);
      }
    }
    probe.disconnect();
    throw new Error(`redis-server did not start on port ${port}`);
  }

  async function stop() {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGKILL');
    });
  }

  const signal = (sig: NodeJS.Signals) => {
    if (!child || child.exitCode !== null) throw new Error('redis-server is not running');
    child.kill(sig);
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    start,
    stop,
    pause: () => signal('SIGSTOP'),
    resume: () => signal('SIGCONT'),
    // A stopped process dies of SIGKILL too; SIGCONT first all the same, so nothing is left stopped if it lives on.
    cleanup: async () => {
      if (child && child.exitCode === null) child.kill('SIGCONT');
      await stop();
    },
  };
}

export interface FileRedis {
  /** The private server (valid once the file's `before` hook ran). */
  readonly server: PrivateRedis;
  /** A client for assertions; it reconnects by itself when a test stops and restarts the server. */
  readonly raw: Redis;
}

/**
 * One private Redis for a whole test file: started in a `before` hook with a client for assertions, both gone in an
 * `after` hook. Call at the top level of the file.
 */
export function usePrivateRedis(): FileRedis {
  let server: PrivateRedis | null = null;
  let raw: Redis | null = null;
  before(async () => {
    server = await startPrivateRedis();
    raw = new Redis(server.url, { retryStrategy: () => 100, maxRetriesPerRequest: 1 });
    raw.on('error', () => undefined);
  });
  after(async () => {
    raw?.disconnect();
    await server?.cleanup();
  });
  const ready = <T>(v: T | null): T => {
    if (v === null) throw new Error('usePrivateRedis: used before its before() hook ran');
    return v;
  };
  return {
    get server() {
      return ready(server);
    },
    get raw() {
      return ready(raw);
    },
  };
}
