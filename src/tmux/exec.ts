// Exec strategy: one `tmux -S <socket> …` subprocess per command, no shell, bounded concurrency, timeout.
import { execFile } from 'node:child_process';
import { toArgv, type TmuxCommand } from './command.ts';
import { tmuxChildEnv } from './env.ts';
import { TmuxError, isNoServerMessage } from './errors.ts';

export interface ExecOptions {
  concurrency?: number; // simultaneous tmux subprocesses (default chosen by measurement: docs/performance.md)
  timeoutMs?: number;
  tmuxBinary?: string;
  /** Each command run, once it finished: ok when tmux exited 0. */
  onCommandDone?: (ok: boolean) => void;
}

export class ExecRunner {
  private readonly concurrency: number;
  private readonly timeoutMs: number;
  private readonly binary: string;
  private readonly onCommandDone: (ok: boolean) => void;
  private readonly env = tmuxChildEnv();
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    readonly socket: string,
    opts: ExecOptions = {},
  ) {
    this.concurrency = Math.max(1, opts.concurrency ?? 8);
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.binary = opts.tmuxBinary ?? 'tmux';
    this.onCommandDone = opts.onCommandDone ?? (() => undefined);
  }

  /** Runs one command; resolves stdout, rejects with a TmuxError (no_server, timeout, command_failed). */
  async run(cmd: TmuxCommand, opts: { signal?: AbortSignal } = {}): Promise<string> {
    await this.slot();
    try {
      // A queued command of a batch that already hit "no server" is skipped, not spawned.
      if (opts.signal?.aborted) throw opts.signal.reason as Error;
      const spawned = this.spawn(toArgv(cmd));
      spawned.then(
        () => this.onCommandDone(true),
        () => this.onCommandDone(false),
      );
      return await spawned;
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }

  private slot(): Promise<void> {
    if (this.running < this.concurrency) {
      this.running++;
      return Promise.resolve();
    }
    // The finishing command hands its slot over directly, so `running` stays counted.
    return new Promise((resolve) => this.waiting.push(() => resolve()));
  }

  private spawn(argv: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        this.binary,
        ['-S', this.socket, ...argv],
        { env: this.env, timeout: this.timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
        (err, stdout, stderr) => {
          if (!err) return resolve(stdout);
          const e = err as NodeJS.ErrnoException & { killed?: boolean; signal?: string | null };
          if (e.killed || e.signal === 'SIGKILL') {
            return reject(new TmuxError('timeout', `tmux ${argv[0]} timed out after ${this.timeoutMs} ms`, this.socket));
          }
          if (e.code === 'ENOENT') return reject(new TmuxError('no_server', `tmux binary not found (${this.binary})`, this.socket));
          const msg = stderr.trim() || e.message;
          if (isNoServerMessage(msg)) return reject(new TmuxError('no_server', `no server running on ${this.socket}`, this.socket));
          reject(new TmuxError('command_failed', `tmux ${argv[0]}: ${msg}`, this.socket));
        },
      );
    });
  }
}
