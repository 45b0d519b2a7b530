// Redis's clock as seen from this process, so that a script can refuse to run once its caller has given up on it.
// ioredis fails a command at its timeout but leaves it sent: a Redis that stalled (stopped, swapping, a long fork)
// runs it when it resumes, seconds after the caller moved on. A store write run then would put an older version
// into Redis and the change stream after the newer ones served meanwhile; a webhook enqueue run then would leave
// a delivery in Redis that the caller has queued in memory instead. Scripts compare their deadline with TIME.
import type { RedisClient } from './redis-connection.ts';

/**
 * Half a sample's round trip is the most its offset can be off by. A sample this quick replaces any other; a slower
 * one, up to MAX_SAMPLE_RTT_MS (an error within MARGIN_MS), replaces only a slower one or none.
 */
const GOOD_SAMPLE_RTT_MS = 100;
const MAX_SAMPLE_RTT_MS = 500;
/** Clocks drift slowly; this is only to follow a Redis that moved to another host (failover). */
const RESAMPLE_MS = 60_000;
/**
 * A script refuses this long before the caller's timeout: refusing a moment early is only an error the caller
 * handles as it handles the timeout, while running a moment late is the stale write this exists to stop.
 */
const MARGIN_MS = 250;

/** Lua returning Redis's TIME, run with one key of the caller's hash tag so it runs where the scripts do. */
export const TIME_LUA = `return redis.call('TIME')`;
/** Lua prelude of a script whose ARGV[n] is a deadline in Redis ms (0: none); raises the error LATE_ERROR. */
export function refuseAfterDeadline(argIndex: number): string {
  return `local deadlineT = redis.call('TIME')
if tonumber(ARGV[${argIndex}]) > 0 and tonumber(deadlineT[1]) * 1000 + math.floor(tonumber(deadlineT[2]) / 1000) > tonumber(ARGV[${argIndex}]) then
  return redis.error_reply('${LATE_ERROR} run after its caller gave up on it')
end`;
}
export const LATE_ERROR = 'PANEWARD_LATE';

/** Our side of the offset: monotonic, so a step of the wall clock (NTP, a resumed VM) does not move deadlines. */
const now = () => performance.timeOrigin + performance.now();

export class RedisClock {
  private offsetMs: number | null = null;
  private sampleRttMs = Infinity;
  private sampling: Promise<void> | null = null;
  private readonly timer: NodeJS.Timeout;

  /** `time` reads Redis's TIME where the scripts run (a Cluster: the master of the caller's slot). */
  constructor(
    private readonly time: () => Promise<[string, string] | string[]>,
    private readonly timeoutMs: number,
  ) {
    this.timer = setInterval(() => void this.sample(), RESAMPLE_MS);
    this.timer.unref();
  }

  /** Forget the offset and read it again: the connection may now reach another Redis (a failover, a restart elsewhere). */
  restart(): void {
    this.offsetMs = null;
    this.sampleRttMs = Infinity;
    void this.sample();
  }

  /**
   * A command failed: if a script refused it as late while its caller still waited, the offset is wrong (Redis's
   * clock stepped, or it is another Redis): read it again rather than refuse everything until the next reading.
   */
  noteFailure(err: unknown): void {
    if (!(err instanceof Error) || !err.message.includes(LATE_ERROR)) return;
    this.restart();
  }

  /** One reading of Redis's clock against ours (one at a time); kept only when the round trip was short. Never rejects. */
  sample(): Promise<void> {
    this.sampling ??= this.read().finally(() => (this.sampling = null));
    return this.sampling;
  }

  private async read(): Promise<void> {
    try {
      const sent = now();
      const [seconds, micros] = await this.time();
      const received = now();
      const rtt = received - sent;
      if (rtt > MAX_SAMPLE_RTT_MS || (rtt > GOOD_SAMPLE_RTT_MS && rtt > this.sampleRttMs)) return;
      this.offsetMs = Number(seconds) * 1000 + Number(micros) / 1000 - (sent + received) / 2;
      this.sampleRttMs = rtt;
    } catch {
      // Redis away: the next write or the next interval tries again.
    }
  }

  /**
   * The Redis time after which a command sent now must not run; 0 (no deadline) while Redis's clock is unknown,
   * which asks for a reading rather than wait for one (a stalled Redis would hold the command twice as long).
   */
  deadline(): number {
    if (this.offsetMs === null) {
      void this.sample();
      return 0;
    }
    return Math.round(now() + this.offsetMs + this.timeoutMs - MARGIN_MS);
  }

  close(): void {
    clearInterval(this.timer);
  }
}

/**
 * The clock of `client`, read with `key` (any key of the caller's hash tag) through a `panewardTime` command, and
 * read again on every ready connection.
 */
export function clockOf(client: RedisClient, key: string, timeoutMs: number): RedisClock {
  client.defineCommand('panewardTime', { numberOfKeys: 1, lua: TIME_LUA });
  const scripted = client as RedisClient & { panewardTime(key: string): Promise<string[]> };
  const clock = new RedisClock(() => scripted.panewardTime(key), timeoutMs);
  client.on('ready', () => clock.restart());
  return clock;
}
