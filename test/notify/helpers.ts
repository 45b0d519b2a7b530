// Test parts for webhooks: a real HTTP receiver on a free port that can fail or go away, an in-memory change
// stream, agent records, and hook files.
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { ChangeSource, NotifiedAgent, NotifyEvent } from '../../src/notify/source.ts';
import { waitFor as sharedWaitFor } from '../helpers/wait.ts';

export const SECRET = `whsec_${Buffer.from('paneward-test-signing-secret-32b').toString('base64')}`;

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/**
 * A webhook receiver: records every request that reached it; `status(n)` decides the answer to the n-th
 * (0-based); 0 means no answer at all (the request hangs until the connection closes).
 */
export class Receiver {
  readonly requests: Received[] = [];
  status: (n: number) => number = () => 200;
  /** Called with each request as it arrives. */
  onRequest: ((r: Received) => void) | null = null;
  private server: Server | null = null;
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const n = this.requests.length;
        const received = { path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
        this.requests.push(received);
        this.onRequest?.(received);
        const status = this.status(n);
        if (status !== 0) res.writeHead(status).end();
      });
    });
    server.listen(this.port, '127.0.0.1');
    await once(server, 'listening');
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Gone: the port refuses connections until start() listens on it again. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

export async function startReceiver(t: TestContext): Promise<Receiver> {
  const r = new Receiver();
  await r.start();
  t.after(() => r.stop());
  return r;
}

/** An in-memory change stream: what a test emits reaches every subscriber. */
export class Emitter implements ChangeSource {
  private readonly listeners = new Set<(e: NotifyEvent) => void>();
  private seq = 0;

  subscribe(_since: number | null, listener: (e: NotifyEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get subscribers(): number {
    return this.listeners.size;
  }

  /** The agent moved from `from` to its state now (stateSince: now unless given). */
  transition(agent: NotifiedAgent, from: NotifiedAgent['state'] | null): void {
    this.emit({ type: 'agent', seq: ++this.seq, agent, from });
  }

  removed(id: string): void {
    this.emit({ type: 'removed', seq: ++this.seq, id });
  }

  private emit(e: NotifyEvent): void {
    for (const l of this.listeners) l(e);
  }
}

export function agent(overrides: Partial<NotifiedAgent> = {}): NotifiedAgent {
  const now = new Date().toISOString();
  return {
    id: 'mon-a-1a2b3c4d-p1',
    monitor: 'mon-a',
    socket: '/tmp/tmux-1000/default',
    target: 'work:2.0',
    session: 'work',
    windowIndex: 2,
    windowName: 'claude',
    paneIndex: 0,
    paneId: '%1',
    pid: 4242,
    command: 'claude',
    kind: 'claude-code',
    state: 'waiting',
    stateSince: now,
    version: 3,
    observedAt: now,
    changedAt: now,
    detail: { rule: 'claude-code.permission', evidence: 'Do you want to proceed?', confidence: 0.95 },
    stale: false,
    ...overrides,
  };
}

/** A temporary directory with the hook file in it; removed after the test. */
export function hooksFile(t: TestContext, content: unknown, name = 'webhooks.json'): string {
  const dir = mkdtempSync(join(tmpdir(), 'paneward-hooks-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

/** The shared waitFor with a longer default: deliveries go through retries with backoff. */
export const waitFor = (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> =>
  sharedWaitFor(what, check, timeoutMs);
