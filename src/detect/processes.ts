// A pane's process tree from /proc: the pane's own process and every descendant, breadth first.
// readProcessTree reads one tree now; ProcessTable keeps the trees of every pane current for the poll loop.
import { readFileSync, readdirSync } from 'node:fs';
import type { ProcessInfo } from './types.ts';

const MAX_TREE = 512;

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

interface Stat {
  ppid: number;
  comm: string;
  starttime: number; // clock ticks after boot: with the pid, it names one process for good
}

function readStat(proc: string, pid: number): Stat | null {
  const stat = read(`${proc}/${pid}/stat`);
  if (stat === null) return null;
  // comm sits in parentheses and may itself hold spaces or parentheses: the fields resume after the last ')'.
  const close = stat.lastIndexOf(')');
  const fields = stat.slice(close + 2).split(' '); // fields[0] is field 3, state
  return { ppid: Number(fields[1]), comm: stat.slice(stat.indexOf('(') + 1, close), starttime: Number(fields[19]) };
}

function readArgv(proc: string, pid: number): string[] {
  const argv = (read(`${proc}/${pid}/cmdline`) ?? '').split('\0');
  if (argv.at(-1) === '') argv.pop();
  return argv;
}

function info(pid: number): ProcessInfo | null {
  const stat = readStat('/proc', pid);
  return stat && { pid, ppid: stat.ppid, comm: stat.comm, argv: readArgv('/proc', pid) };
}

/** Children via /proc/<pid>/task/<tid>/children; null when the kernel lacks CONFIG_PROC_CHILDREN. */
function childrenFromTasks(proc: string, pid: number): number[] | null {
  let tasks: string[];
  try {
    tasks = readdirSync(`${proc}/${pid}/task`);
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const tid of tasks) {
    const text = read(`${proc}/${pid}/task/${tid}/children`);
    if (text === null) return null;
    for (const c of text.trim().split(/\s+/)) if (c) out.push(Number(c));
  }
  return out;
}

// Without the children files, one scan of /proc/*/stat serves every pane of a poll cycle.
let parentScan: { proc: string; at: number; children: Map<number, number[]> } | null = null;
const SCAN_TTL_MS = 250;

function childrenFromScan(proc: string, pid: number): number[] {
  const now = Date.now();
  if (!parentScan || parentScan.proc !== proc || now - parentScan.at > SCAN_TTL_MS) {
    const children = new Map<number, number[]>();
    for (const name of readdirSync(proc)) {
      if (!/^\d+$/.test(name)) continue;
      const stat = readStat(proc, Number(name));
      if (stat === null) continue;
      const list = children.get(stat.ppid) ?? [];
      list.push(Number(name));
      children.set(stat.ppid, list);
    }
    parentScan = { proc, at: now, children };
  }
  return parentScan.children.get(pid) ?? [];
}

/** The pane process and its descendants in breadth-first order; [] when the pane process is gone. */
export function readProcessTree(panePid: number): ProcessInfo[] {
  const root = info(panePid);
  if (!root) return [];
  const out: ProcessInfo[] = [root];
  const seen = new Set([panePid]);
  for (let i = 0; i < out.length && out.length < MAX_TREE; i++) {
    const parent = out[i]!;
    for (const kid of childrenFromTasks('/proc', parent.pid) ?? childrenFromScan('/proc', parent.pid)) {
      if (seen.has(kid)) continue;
      seen.add(kid);
      const p = info(kid);
      if (p) out.push(p);
    }
  }
  return out;
}

/** How often the table lists /proc for processes that started or ended: the delay before a tree shows them. */
export const LIST_EVERY_MS = 1000;
/**
 * A process in a tree is read again (stat; cmdline when its comm changed) after about its own age, within these
 * bounds: a young one may be about to exec (a wrapper becoming the agent), an old one seldom does.
 */
const RECHECK_MIN_MS = 1000;
const RECHECK_MAX_MS = 30_000;
/** A cmdline read this soon after the process started is read again at its next check: exec may follow fork. */
const YOUNG_MS = 5000;
/** /proc/<pid>/stat counts starttime in USER_HZ, which is 100 on every architecture Node runs on. */
const USER_HZ = 100;

interface Entry {
  info: ProcessInfo;
  starttime: number;
  kids: number[]; // as last read or seen born; a kid counts only while its own ppid still says so
  argvReadAtAge: number; // ms
  checkAt: number; // table clock
}

const NO_TREE: ProcessInfo[] = [];

export interface ProcessTableOptions {
  /** Where procfs is mounted (tests point this at a directory of their own). */
  proc?: string;
  /** Milliseconds, monotonic. */
  clock?: () => number;
}

/**
 * The process trees of many panes from one view of /proc. Re-reading every pane's tree (stat, cmdline, and a
 * children file per thread of every process: ~15 reads for a node agent) every few seconds was the largest cost
 * of a 1000-pane cycle. Here a tree is read in full only when the pane is new or its pid or foreground command
 * changed; otherwise it is kept current by listing /proc once per LIST_EVERY_MS (a new pid whose parent is in a
 * tree joins it, a vanished pid leaves) and by re-reading each member's stat now and then (an exec changes its
 * comm; a reused pid has another starttime). An unchanged tree comes back as the same array, without a read.
 */
export class ProcessTable {
  private readonly proc: string;
  private readonly clock: () => number;
  /** Every process that is or was in a tree, until its pid leaves /proc. */
  private readonly entries = new Map<number, Entry>();
  /** Trees by root pid; stale ones are rebuilt (from entries, without reads) when next asked for. */
  private readonly views = new Map<number, { tree: ProcessInfo[]; stale: boolean }>();
  private listed: Set<number> | null = null;
  private listedAt = 0;
  /** The system's uptime at a moment of the table's clock, to tell a process's age from its starttime. */
  private uptime = { ms: Number.POSITIVE_INFINITY, at: 0 };

  constructor(opts: ProcessTableOptions = {}) {
    this.proc = opts.proc ?? '/proc';
    this.clock = opts.clock ?? (() => performance.now());
  }

  /** The tree below panePid; `fresh` reads it from /proc now (a new pane, or its pid or command changed). */
  tree(panePid: number, fresh: boolean): ProcessInfo[] {
    const now = this.clock();
    if (!this.listed || now - this.listedAt >= LIST_EVERY_MS) this.list(now);
    if (fresh) this.walk(panePid, now);
    return this.view(panePid, now);
  }

  /**
   * Does now what tree() calls would do on their way: the listing of /proc when due (or half due: a caller that
   * refreshes once per LIST_EVERY_MS then lists here every time, never in a tree() call just after), the re-reads
   * of every process in a tree whose check is due, and the rebuilding of trees that changed. Trees asked for
   * afterwards (until the next listing or check is due) come back without reads.
   */
  refresh(): void {
    const now = this.clock();
    if (!this.listed || now - this.listedAt >= LIST_EVERY_MS / 2) this.list(now);
    for (const root of [...this.views.keys()]) this.view(root, now);
  }

  /** The pane is gone: its tree is no longer asked for. */
  forget(panePid: number): void {
    this.views.delete(panePid);
  }

  private view(root: number, now: number): ProcessInfo[] {
    const v = this.views.get(root);
    if (v && !v.stale) {
      for (const p of v.tree) {
        const e = this.entries.get(p.pid);
        if (e && e.checkAt <= now) this.reread(p.pid, now, false);
      }
      if (!v.stale) return v.tree;
    }
    const tree = this.build(root);
    if (tree.length === 0) {
      this.views.delete(root);
      return NO_TREE;
    }
    if (v && v.tree.length === tree.length && v.tree.every((p, i) => p === tree[i])) {
      v.stale = false;
      return v.tree;
    }
    this.views.set(root, { tree, stale: false });
    return tree;
  }

  private build(root: number): ProcessInfo[] {
    const top = this.entries.get(root);
    if (!top) return NO_TREE;
    const out = [top.info];
    const seen = new Set([root]);
    for (let i = 0; i < out.length && out.length < MAX_TREE; i++) {
      const parent = out[i]!;
      for (const kid of this.entries.get(parent.pid)!.kids) {
        const k = this.entries.get(kid);
        if (!k || k.info.ppid !== parent.pid || seen.has(kid)) continue;
        seen.add(kid);
        out.push(k.info);
      }
    }
    return out;
  }

  /** Full read of a tree, as readProcessTree does, into the entries. */
  private walk(root: number, now: number): void {
    const queue = [root];
    const seen = new Set(queue);
    for (let i = 0; i < queue.length && queue.length < MAX_TREE; i++) {
      const pid = queue[i]!;
      const e = this.reread(pid, now, true);
      if (!e) continue;
      const kids = childrenFromTasks(this.proc, pid) ?? childrenFromScan(this.proc, pid);
      if (kids.length !== e.kids.length || kids.some((k, j) => k !== e.kids[j])) {
        e.kids = kids;
        this.touch(pid);
      }
      for (const kid of kids) {
        if (seen.has(kid)) continue;
        seen.add(kid);
        queue.push(kid);
      }
    }
  }

  /** One listing of /proc: pids gone leave their trees, new pids whose parent is in a tree join it. */
  private list(now: number): void {
    let names: string[];
    try {
      names = readdirSync(this.proc);
    } catch {
      names = [];
    }
    const before = this.listed;
    const listed = new Set<number>();
    const born: number[] = [];
    for (const name of names) {
      const c = name.charCodeAt(0);
      if (c < 48 || c > 57) continue; // not a pid
      const pid = Number(name);
      listed.add(pid);
      if (before && !before.has(pid) && !this.entries.has(pid)) born.push(pid);
    }
    this.listed = listed;
    this.listedAt = now;
    // Read with every listing rather than counted on: the table's clock stands still while the system sleeps.
    const uptimeS = Number.parseFloat(read(`${this.proc}/uptime`) ?? '');
    // Unknown, every process counts as old: a young one is then checked no sooner than an old one.
    this.uptime = { ms: Number.isFinite(uptimeS) ? uptimeS * 1000 : Number.POSITIVE_INFINITY, at: now };
    for (const pid of this.entries.keys()) if (!listed.has(pid)) this.drop(pid);
    // Only the parent tells whether a new process matters, so each is stat'ed once; a parent and child born in
    // the same interval join in order.
    let waiting = born.flatMap((pid) => {
      const stat = readStat(this.proc, pid);
      return stat ? [{ pid, stat }] : [];
    });
    for (let joined = true; joined; ) {
      joined = false;
      const rest: typeof waiting = [];
      for (const { pid, stat } of waiting) {
        if (!this.entries.has(stat.ppid)) {
          rest.push({ pid, stat });
          continue;
        }
        this.entries.set(pid, this.entry(pid, stat, readArgv(this.proc, pid), now));
        this.adopt(stat.ppid, pid);
        joined = true;
      }
      waiting = rest;
    }
  }

  /**
   * Reads a process's stat again (and its cmdline with `withArgv`, when its comm changed, or when the last one
   * was read while it was young) and updates its entry; null when the process is gone.
   */
  private reread(pid: number, now: number, withArgv: boolean): Entry | null {
    const stat = readStat(this.proc, pid);
    const e = this.entries.get(pid);
    if (!stat) {
      this.drop(pid);
      return null;
    }
    if (!e || e.starttime !== stat.starttime) {
      // New to us, or the pid now names another process: nothing of the old entry applies.
      if (e) this.drop(pid);
      const fresh = this.entry(pid, stat, readArgv(this.proc, pid), now);
      this.entries.set(pid, fresh);
      this.adopt(stat.ppid, pid);
      return fresh;
    }
    const old = e.info;
    let argv = old.argv;
    if (withArgv || stat.comm !== old.comm || e.argvReadAtAge < YOUNG_MS) {
      argv = readArgv(this.proc, pid);
      e.argvReadAtAge = this.ageOf(stat.starttime, now);
    }
    const sameArgv = argv.length === old.argv.length && argv.every((a, i) => a === old.argv[i]);
    if (stat.comm !== old.comm || stat.ppid !== old.ppid || !sameArgv) {
      this.touch(pid); // the trees holding it under its old parent
      e.info = { pid, ppid: stat.ppid, comm: stat.comm, argv };
      this.adopt(stat.ppid, pid); // and under its new one
    }
    e.checkAt = this.nextCheck(stat.starttime, now);
    return e;
  }

  private entry(pid: number, stat: Stat, argv: string[], now: number): Entry {
    return {
      info: { pid, ppid: stat.ppid, comm: stat.comm, argv },
      starttime: stat.starttime,
      kids: [],
      argvReadAtAge: this.ageOf(stat.starttime, now),
      checkAt: this.nextCheck(stat.starttime, now),
    };
  }

  /** Lists pid among its parent's kids (when the parent is known) and marks the trees that now hold it. */
  private adopt(ppid: number, pid: number): void {
    const kids = this.entries.get(ppid)?.kids;
    if (kids && !kids.includes(pid)) kids.push(pid);
    this.touch(pid);
  }

  private drop(pid: number): void {
    if (!this.entries.has(pid)) return;
    this.touch(pid);
    this.entries.delete(pid);
    this.views.delete(pid);
  }

  /** Marks for rebuilding the trees that may hold pid: its own and its ancestors'. */
  private touch(pid: number): void {
    let p: number | undefined = pid;
    for (let n = 0; p !== undefined && n < MAX_TREE; n++) {
      const v = this.views.get(p);
      if (v) v.stale = true;
      p = this.entries.get(p)?.info.ppid;
    }
  }

  /** Spread over ±25% so that processes first read together are not re-read together. */
  private nextCheck(starttime: number, now: number): number {
    const wait = Math.min(RECHECK_MAX_MS, Math.max(RECHECK_MIN_MS, this.ageOf(starttime, now)));
    return now + wait * (0.75 + Math.random() / 2);
  }

  /** How long the process has run (ms). */
  private ageOf(starttime: number, now: number): number {
    const age = this.uptime.ms + (now - this.uptime.at) - (starttime * 1000) / USER_HZ;
    return Number.isNaN(age) ? Number.POSITIVE_INFINITY : age;
  }
}
