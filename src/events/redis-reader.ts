// The fleet-wide change stream: every monitor's write script appends its changes to one Redis Stream at entry id
// `<seq>-0`, in the same atomic run as the seq INCR; this reader follows it with blocking XREAD on a connection of
// its own and publishes each entry into the hub, so a client of any paneward sees every monitor's changes.
import { setTimeout as sleep } from 'node:timers/promises';
import { Cluster } from 'ioredis';
import type { AgentState } from '../agents/model.ts';
import { toRecord, type RecordBody } from '../store/records.ts';
import { createRedisClient, type RedisClient, type RedisTarget } from '../store/redis-connection.ts';
import { RAISE_SEQ_LUA } from '../store/redis-scripts.ts';
import type { ChangeHub } from './hub.ts';
import type { ChangeEvent } from './schemas.ts';

/** Entries per XREAD; a full batch means the reader is behind and checks whether the stream was trimmed past it. */
const READ_BATCH = 1000;
/** How long one XREAD blocks in Redis before it is sent again (and close() is noticed at the latest). */
const BLOCK_MS = 5000;
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 2000;

export interface RedisReaderOptions {
  target: RedisTarget;
  /** Key prefix of the store (with its {hash tag}); the stream is `<prefix>events`, the seq `<prefix>seq`. */
  keyPrefix: string;
  hub: ChangeHub;
  /** Every seq read: the resilient store raises a Redis that lost its data to at least this before writing. */
  noteSeq?: (seq: number) => void;
  onError?: (err: Error) => void;
}

export class RedisChangeReader {
  private readonly conn: RedisClient;
  /** Seq of the last entry read; the next XREAD asks for entries after `<position>-0`. */
  private position = 0;
  /** Redis's run_id when the position was taken: a new one means Redis restarted and may have lost entries. */
  private runId: string | null = null;
  private epochChecked = false;
  private closed = false;
  private readonly running: Promise<void>;

  constructor(private readonly opts: RedisReaderOptions) {
    // A dedicated connection: XREAD BLOCK holds it. Its command timeout is longer than a blocking read, so a Redis
    // that stops answering is noticed here too.
    this.conn = createRedisClient(opts.target, {
      connectionName: 'paneward:events',
      connectTimeoutMs: 2000,
      commandTimeoutMs: BLOCK_MS + 5000,
      retryDelayMs: (times) => Math.min(50 * 2 ** Math.min(times, 10), RETRY_MAX_MS),
    });
    this.conn.on('error', (err: Error) => opts.onError?.(err));
    this.conn.on('ready', () => (this.epochChecked = false));
    this.running = this.run();
  }

  private key(name: string): string {
    return this.opts.keyPrefix + name;
  }

  private async run(): Promise<void> {
    await this.conn.connect().catch(() => undefined);
    let delay = RETRY_MIN_MS;
    while (!this.closed) {
      try {
        if (!this.epochChecked) await this.checkEpoch();
        await this.readBatch();
        delay = RETRY_MIN_MS;
      } catch (err) {
        if (this.closed) break;
        this.opts.onError?.(err as Error);
        await sleep(delay);
        delay = Math.min(delay * 2, RETRY_MAX_MS);
      }
    }
  }

  /**
   * After each (re)connect: the first time, start at the current seq. If Redis restarted since (new run_id), its
   * stream may lack entries this reader never saw: raise the seq to what was read (so new writes land above it),
   * and tell subscribers to take a fresh snapshot.
   */
  private async checkEpoch(): Promise<void> {
    const runId = await this.serverRunId();
    if (this.runId === null) {
      this.position = Number((await this.conn.get(this.key('seq'))) ?? 0);
      this.opts.hub.reset(this.position);
    } else if (runId !== this.runId) {
      this.position = Number(await this.conn.eval(RAISE_SEQ_LUA, 1, this.key('seq'), this.position));
      this.opts.hub.reset(this.position);
    }
    this.runId = runId;
    this.epochChecked = true;
    this.opts.noteSeq?.(this.position);
  }

  /**
   * The run_id of the server holding the stream. A Cluster has one per node, and INFO goes to any of them: there
   * a seq below the position read is the sign instead (the slot's master restarted or a replica took over).
   */
  private async serverRunId(): Promise<string> {
    if (this.conn instanceof Cluster) {
      const seq = Number((await this.conn.get(this.key('seq'))) ?? 0);
      return seq < this.position ? `behind-${seq}` : (this.runId ?? 'cluster');
    }
    return /run_id:(\w+)/.exec(await this.conn.info('server'))?.[1] ?? '';
  }

  private async readBatch(): Promise<void> {
    const reply = (await this.conn.xread('COUNT', READ_BATCH, 'BLOCK', BLOCK_MS, 'STREAMS', this.key('events'), `${this.position}-0`)) as
      | Array<[string, Array<[string, string[]]>]>
      | null;
    const entries = reply?.[0]?.[1] ?? [];
    if (entries.length === READ_BATCH && (await this.trimmedPast())) return;
    for (const [id, fields] of entries) {
      const seq = Number.parseInt(id, 10);
      if (seq <= this.position) continue;
      this.position = seq;
      const event = parseEntry(seq, fields);
      if (event) this.opts.hub.publish(event);
    }
    if (entries.length > 0) this.opts.noteSeq?.(this.position);
  }

  /** Whether the stream dropped entries this reader has not read yet; if so the hub resets to the current seq. */
  private async trimmedPast(): Promise<boolean> {
    const info = (await this.conn.call('XINFO', 'STREAM', this.key('events'))) as unknown[];
    const at = info.indexOf('max-deleted-entry-id');
    const maxDeleted = at >= 0 ? Number.parseInt(String(info[at + 1]), 10) : 0;
    if (maxDeleted <= this.position) return false;
    this.position = Number((await this.conn.get(this.key('seq'))) ?? 0);
    this.opts.hub.reset(this.position);
    return true;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Ends the blocking XREAD at once; nothing of ours is pending on this connection but the read.
    this.conn.disconnect(false);
    await this.running;
  }
}

function parseEntry(seq: number, fields: string[]): ChangeEvent | null {
  const f = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i]!, fields[i + 1]!);
  const id = f.get('id');
  if (id === undefined) return null;
  if (f.get('t') === 'r') return { type: 'removed', seq, id };
  const body = JSON.parse(f.get('body')!) as RecordBody;
  const agent = toRecord(body, { version: Number(f.get('v')), stateSince: Number(f.get('since')), changedAt: Number(f.get('chg')), observedAt: Number(f.get('obs')) });
  const from = f.get('from') ?? '';
  return { type: 'agent', seq, agent, from: from === '' ? null : (from as AgentState) };
}
