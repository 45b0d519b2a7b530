// One `tmux -C` control-mode connection: pipelined commands matched FIFO to reply blocks.
// Any fault (timeout, desync, %exit, EOF, write error) kills the child and fails everything pending.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { TrustedFormat, command, flags, messageFormat, toControlLine, type TmuxCommand, type Verb } from './command.ts';
import { tmuxChildEnv } from './env.ts';
import { TmuxError, unreachableCode, unreachableReason } from './errors.ts';
import { ControlParser, type Notification, type ParserEvent } from './parser.ts';

export interface ControlClientOptions {
  socket: string;
  /** Session id (`$N`) to attach to; attaching is the only way to stay connected without creating a session. */
  session: string;
  commandTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Attach read-only (default). Tests turn it off to prove command quoting on a client that could do harm. */
  readOnly?: boolean;
  tmuxBinary?: string;
  onNotification?: (n: Notification) => void;
  /** Each command sent, once settled: answered (ok: tmux did not refuse it) or lost with the connection. */
  onCommandDone?: (ok: boolean) => void;
}

export interface CommandResult {
  ok: boolean; // false when tmux answered %error (e.g. the pane is gone); the connection stays usable
  lines: string[];
}

interface Pending {
  cmd: TmuxCommand;
  resolve(r: CommandResult): void;
  reject(e: Error): void;
  timeoutMs: number;
  sentAt: number;
}

export class ControlClient {
  readonly createdAt = Date.now();
  uses = 0;
  lastUsedAt = Date.now();
  /** Groups whose replies pane text made ambiguous, asked again command by command. */
  ambiguousGroups = 0;
  private deadReason: string | null = null;
  private readonly pending: Pending[] = [];
  private readonly parser = new ControlParser();
  private readonly timeoutMs: number;
  private timer: NodeJS.Timeout | null = null;
  private lastProgressAt = Date.now();
  private stderrTail = '';
  private readonly deathListeners: Array<(reason: string) => void> = [];
  private attached = false;
  private onAttach: ((err: Error | null) => void) | null = null;
  private readonly exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly opts: ControlClientOptions,
  ) {
    this.timeoutMs = opts.commandTimeoutMs ?? 5000;
    this.exited = new Promise((resolve) => child.once('close', () => resolve()));
    // Always read stdout: a control client that stops reading can stall the whole tmux server.
    child.stdout.on('data', (chunk: Buffer) => this.onData(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-1000);
    });
    child.stdin.on('error', (err) => this.die(`write failed: ${err.message}`));
    child.on('error', (err) => this.die(`spawn failed: ${err.message}`));
    child.once('close', (code, signal) => this.die(`tmux -C exited (${signal ?? `code ${code}`})${this.stderrSuffix()}`));
  }

  /** Spawns `tmux -C attach` and resolves once the attach reply arrived (tmux < 3.4 must not get input earlier). */
  static connect(opts: ControlClientOptions): Promise<ControlClient> {
    const clientFlags = ['ignore-size', 'no-output', ...(opts.readOnly === false ? [] : ['read-only'])].join(',');
    // `-N`: attach-session would otherwise start a server (loading the user's config) if none is running.
    const argv = ['-S', opts.socket, '-N', '-C', 'attach-session', '-t', opts.session, '-f', clientFlags];
    const child = spawn(opts.tmuxBinary ?? 'tmux', argv, { env: tmuxChildEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    const client = new ControlClient(child, opts);
    const connectTimeoutMs = opts.connectTimeoutMs ?? opts.commandTimeoutMs ?? 5000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => client.die(`attach timed out after ${connectTimeoutMs} ms`, 'timeout'), connectTimeoutMs);
      client.onAttach = (err) => {
        clearTimeout(timer);
        client.onAttach = null;
        if (err) {
          // Settle only once the child is gone, so a failed connect never leaves a process behind.
          void client.kill(err.message).then(() => reject(err));
        } else resolve(client);
      };
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.deadReason === null;
  }

  get deathReason(): string | null {
    return this.deadReason;
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  onDeath(listener: (reason: string) => void): void {
    if (this.deadReason !== null) listener(this.deadReason);
    else this.deathListeners.push(listener);
  }

  run(cmd: TmuxCommand, opts: { timeoutMs?: number } = {}): Promise<CommandResult> {
    return this.runBatch([cmd], opts)[0]!;
  }

  /** Pipelines all commands in one write; each promise settles with its own reply block. */
  runBatch(cmds: readonly TmuxCommand[], opts: { timeoutMs?: number } = {}): Array<Promise<CommandResult>> {
    if (this.deadReason !== null) {
      const err = this.deadError();
      return cmds.map(() => {
        this.opts.onCommandDone?.(false);
        return Promise.reject(err);
      });
    }
    const now = Date.now();
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    const entries: Pending[] = [];
    const promises = cmds.map(
      (cmd) => new Promise<CommandResult>((resolve, reject) => entries.push({ cmd, resolve, reject, timeoutMs, sentAt: now })),
    );
    this.uses++;
    this.lastUsedAt = now;
    // Queries may be asked again if their group turns out ambiguous; a command with effects must run once, so it is
    // sealed on its own from the start (a group of one is never ambiguous).
    this.send(entries, !cmds.every((cmd) => QUERY_VERBS.has(cmd.verb)));
    return promises;
  }

  /**
   * Writes the commands followed by a seal (`display-message -p <nonce>`): once per batch, or after each command
   * when `sealEach`. The parser cuts the replies apart only when the nonce arrives (see parser.ts), so pane text,
   * which cannot know the nonce, can never end a reply early.
   */
  private send(entries: Pending[], sealEach: boolean): void {
    if (this.pending.length === 0) this.lastProgressAt = Date.now();
    let text = '';
    const seal = () => {
      const nonce = randomBytes(8).toString('hex');
      text += `${toControlLine(sealCommand(nonce))}\n`;
      return nonce;
    };
    for (const entry of entries) {
      text += `${toControlLine(entry.cmd)}\n`;
      if (sealEach) this.parser.expectGroup(1, seal());
    }
    if (!sealEach) this.parser.expectGroup(entries.length, seal());
    this.pending.push(...entries);
    this.child.stdin.write(text);
    this.armTimer();
  }

  /** Graceful close: EOF on stdin makes tmux detach the client; SIGKILL if it does not exit promptly. */
  async close(): Promise<void> {
    if (this.deadReason === null) {
      this.failPending(new TmuxError('connection_lost', 'control client closed', this.opts.socket));
      this.child.stdin.end();
      const quit = await Promise.race([this.exited.then(() => true), sleep(1000).then(() => false)]);
      if (!quit) this.child.kill('SIGKILL');
    }
    this.die('closed');
    await this.exited;
  }

  /** Kill the child now (used on faults); resolves when it is gone. */
  async kill(reason: string): Promise<void> {
    this.die(reason);
    await this.exited;
  }

  private stderrSuffix(): string {
    const tail = this.stderrTail.trim();
    return tail ? `: ${tail}` : '';
  }

  private deadError(code: 'timeout' | 'connection_lost' = 'connection_lost'): TmuxError {
    return new TmuxError(code, `tmux control client on ${this.opts.socket} is dead: ${this.deadReason}`, this.opts.socket);
  }

  private die(reason: string, code: 'timeout' | 'connection_lost' = 'connection_lost'): void {
    if (this.deadReason !== null) return;
    this.deadReason = reason;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    const err = this.deadError(code);
    this.failPending(err);
    if (this.onAttach) {
      const unreachable = /spawn failed: .*ENOENT/.test(reason) ? 'no_tmux' : unreachableCode(this.stderrTail);
      this.onAttach(unreachable ? new TmuxError(unreachable, unreachableReason(unreachable, this.opts.socket, this.opts.tmuxBinary), this.opts.socket) : err);
    }
    for (const listener of this.deathListeners.splice(0)) listener(reason);
  }

  private failPending(err: Error): void {
    for (const p of this.pending.splice(0)) {
      this.opts.onCommandDone?.(false);
      p.reject(err);
    }
  }

  private armTimer(): void {
    if (this.timer || this.pending.length === 0 || this.deadReason !== null) return;
    const head = this.pending[0]!;
    // A command's clock starts when it reaches the head of the queue (or when sent, if later).
    const due = Math.max(head.sentAt, this.lastProgressAt) + head.timeoutMs - Date.now();
    this.timer = setTimeout(() => {
      this.timer = null;
      const first = this.pending[0];
      if (!first) return;
      if (Date.now() - Math.max(first.sentAt, this.lastProgressAt) >= first.timeoutMs) {
        this.die(`no reply within ${first.timeoutMs} ms`, 'timeout');
      } else this.armTimer();
    }, Math.max(1, due));
    this.timer.unref();
  }

  private onData(chunk: Buffer): void {
    let events: ParserEvent[];
    try {
      events = this.parser.feed(chunk);
    } catch (err) {
      this.die(`parser failed: ${(err as Error).message}`);
      return;
    }
    if (this.parser.collecting) this.lastProgressAt = Date.now(); // a reply is arriving
    for (const event of events) {
      if (this.deadReason !== null) return;
      this.onEvent(event);
    }
  }

  private onEvent(event: ParserEvent): void {
    if (event.type === 'desync') {
      this.die(`protocol desync (${event.reason}): ${JSON.stringify(event.line.slice(0, 80))}`);
      return;
    }
    if (event.type === 'ambiguous') {
      // Pane text forged lines that look like our guards: ask the group's commands again, each sealed alone.
      this.ambiguousGroups++;
      this.send(this.pending.splice(0, event.replies), true);
      return;
    }
    if (event.type === 'notification') {
      if (event.name === 'exit') {
        this.die(`tmux sent %exit${event.args ? ` (${event.args})` : ''}`);
        return;
      }
      this.opts.onNotification?.(event);
      return;
    }
    if (event.flags !== 1) {
      // Flag-0 blocks come from the attach command itself and from hooks; the first one ends the attach.
      if (!this.attached) {
        this.attached = true;
        if (!event.ok) {
          const message = event.lines.join(' ') || 'attach failed';
          const code = /no sessions|can't find session/.test(message) ? 'no_sessions' : 'connection_lost';
          this.onAttach?.(new TmuxError(code, `attach to ${this.opts.session} on ${this.opts.socket}: ${message}`, this.opts.socket));
        } else this.onAttach?.(null);
      }
      return;
    }
    const head = this.pending.shift();
    if (!head) {
      this.die(`reply #${event.number} with no command waiting`);
      return;
    }
    this.lastProgressAt = Date.now();
    this.opts.onCommandDone?.(event.ok);
    head.resolve({ ok: event.ok, lines: event.lines });
  }
}

/** Commands without effects: asking one again changes nothing. */
const QUERY_VERBS: ReadonlySet<Verb> = new Set<Verb>(['list-panes', 'list-sessions', 'list-windows', 'capture-pane', 'display-message']);

function sealCommand(nonce: string): TmuxCommand {
  return command('display-message', flags('p'), messageFormat(TrustedFormat.separator(nonce)));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
