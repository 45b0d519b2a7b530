// The process table against a /proc of the test's own making and a clock it turns: trees follow processes
// that start, exec, end or have their pid reused, between full reads and without reading /proc for every ask.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { LIST_EVERY_MS, ProcessTable } from '../../src/detect/processes.ts';

const UPTIME_S = 1000;

/** A fake procfs: stat, cmdline and the children file of each process; `uptime` says the system booted 1000 s ago. */
function fakeProc(t: { after(fn: () => void): void }, opts: { childrenFiles?: boolean } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'paneward-proc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'uptime'), `${UPTIME_S}.00 1900.00\n`);
  const parents = new Map<number, number>();
  const writeChildren = (pid: number) => {
    if (opts.childrenFiles === false) return;
    const kids = [...parents].filter(([, ppid]) => ppid === pid).map(([kid]) => kid);
    writeFileSync(join(dir, String(pid), 'task', String(pid), 'children'), kids.map((k) => `${k} `).join(''));
  };
  return {
    dir,
    /** Starts (or, for a pid in use, replaces) a process; `startedS` is seconds after boot. */
    start(pid: number, ppid: number, argv: string[], startedS: number, comm = basename(argv[0]!).slice(0, 15)): void {
      mkdirSync(join(dir, String(pid), 'task', String(pid)), { recursive: true });
      // Fields from 3 on: state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime
      // cutime cstime priority nice num_threads itrealvalue starttime vsize rss
      const rest = `S ${ppid} ${pid} ${pid} 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 ${startedS * 100} 0 0`;
      writeFileSync(join(dir, String(pid), 'stat'), `${pid} (${comm}) ${rest}\n`);
      writeFileSync(join(dir, String(pid), 'cmdline'), `${argv.join('\0')}\0`);
      parents.set(pid, ppid);
      writeChildren(pid);
      if (parents.has(ppid)) writeChildren(ppid);
    },
    exit(pid: number): void {
      rmSync(join(dir, String(pid)), { recursive: true, force: true });
      const ppid = parents.get(pid);
      parents.delete(pid);
      if (ppid !== undefined && parents.has(ppid)) writeChildren(ppid);
    },
  };
}

function clocked(proc: string) {
  const clock = { now: 0 };
  return { clock, table: new ProcessTable({ proc, clock: () => clock.now }) };
}

const argvs = (tree: Array<{ argv: string[] }>) => tree.map((p) => p.argv.join(' '));

test('a process started below a pane without its command changing joins the tree at the next listing of /proc', (t) => {
  const proc = fakeProc(t);
  proc.start(100, 1, ['-bash'], 500, 'bash');
  const { clock, table } = clocked(proc.dir);
  const first = table.tree(100, true);
  assert.deepEqual(argvs(first), ['-bash']);

  proc.start(101, 100, ['node', '/opt/claude-code/cli.js'], UPTIME_S);
  clock.now += LIST_EVERY_MS / 2;
  assert.equal(table.tree(100, false), first, 'not listed yet: the same array');
  clock.now += LIST_EVERY_MS / 2;
  assert.deepEqual(argvs(table.tree(100, false)), ['-bash', 'node /opt/claude-code/cli.js']);

  // A grandchild born in the same interval as its parent joins too.
  proc.start(102, 100, ['sh', '-c', 'wrap'], UPTIME_S + 1);
  proc.start(103, 102, ['codex'], UPTIME_S + 1);
  clock.now += LIST_EVERY_MS;
  assert.deepEqual(argvs(table.tree(100, false)), ['-bash', 'node /opt/claude-code/cli.js', 'sh -c wrap', 'codex']);
});

test('refresh() lists /proc once half the interval has passed, so trees asked right after it read nothing', (t) => {
  const proc = fakeProc(t);
  proc.start(100, 1, ['-bash'], 500, 'bash');
  const { clock, table } = clocked(proc.dir);
  table.tree(100, true);
  proc.start(101, 100, ['codex'], UPTIME_S);
  clock.now += LIST_EVERY_MS / 2;
  table.refresh();
  assert.deepEqual(argvs(table.tree(100, false)), ['-bash', 'codex'], 'listed by refresh(), half an interval on');
  proc.start(102, 100, ['sleep', '9'], UPTIME_S + 1);
  clock.now += LIST_EVERY_MS - 1;
  assert.deepEqual(argvs(table.tree(100, false)), ['-bash', 'codex'], 'tree() alone waits the whole interval');
  clock.now += 1;
  assert.deepEqual(argvs(table.tree(100, false)), ['-bash', 'codex', 'sleep 9']);
});

/** A shell pane whose tree was read, then a child forked that has not exec'd yet; the clock is at the next listing. */
function forkedChild(t: { after(fn: () => void): void }) {
  const proc = fakeProc(t);
  proc.start(100, 1, ['-bash'], 500, 'bash');
  const { clock, table } = clocked(proc.dir);
  table.tree(100, true);
  proc.start(101, 100, ['bash', '-c', 'exec claude'], UPTIME_S);
  clock.now += LIST_EVERY_MS;
  return { proc, clock, table };
}

test('a young process that execs after it was first read is seen as the new program at its next check', (t) => {
  const { proc, clock, table } = forkedChild(t);
  assert.deepEqual(argvs(table.tree(100, false)), ['-bash', 'bash -c exec claude']);

  proc.start(101, 100, ['claude'], UPTIME_S); // exec: same pid and starttime, new comm and cmdline
  clock.now += 1300; // a process a second old is checked again within 1.25 s
  assert.deepEqual(argvs(table.tree(100, false)), ['-bash', 'claude']);

  // An interpreter exec'ing the same interpreter keeps its comm: a young process's cmdline is read again anyway.
  proc.start(102, 100, ['node', '/opt/launcher.js'], UPTIME_S + 2);
  clock.now += LIST_EVERY_MS;
  assert.deepEqual(argvs(table.tree(100, false)), ['-bash', 'claude', 'node /opt/launcher.js']);
  proc.start(102, 100, ['node', '/opt/claude-code/cli.js'], UPTIME_S + 2);
  clock.now += 2600;
  assert.deepEqual(argvs(table.tree(100, false)), ['-bash', 'claude', 'node /opt/claude-code/cli.js']);
});

test('a pid reused by another process is not taken for the process the tree had under that pid', (t) => {
  const proc = fakeProc(t);
  proc.start(100, 1, ['-bash'], 500, 'bash');
  proc.start(101, 100, ['claude'], 900);
  const { clock, table } = clocked(proc.dir);
  assert.deepEqual(argvs(table.tree(100, true)), ['-bash', 'claude']);

  // Between two listings claude ends and its pid goes to a new process: only the starttime tells them apart.
  proc.exit(101);
  proc.start(101, 100, ['sleep', '5'], 950, 'claude');
  clock.now += 40_000; // past the next check of any member
  assert.deepEqual(argvs(table.tree(100, false)), ['-bash', 'sleep 5']);

  // Reused again, by a process elsewhere in the system: it is not below the pane.
  proc.exit(101);
  proc.start(101, 1, ['cron'], 990);
  clock.now += 40_000;
  assert.deepEqual(argvs(table.tree(100, false)), ['-bash']);
});

test('a process that ends leaves the tree at the next listing; a pane process that ends leaves no tree', (t) => {
  const proc = fakeProc(t);
  proc.start(100, 1, ['-bash'], 500, 'bash');
  proc.start(101, 100, ['claude'], 900);
  const { clock, table } = clocked(proc.dir);
  table.tree(100, true);
  proc.exit(101);
  clock.now += LIST_EVERY_MS;
  assert.deepEqual(argvs(table.tree(100, false)), ['-bash']);
  proc.exit(100);
  clock.now += LIST_EVERY_MS;
  assert.deepEqual(table.tree(100, false), []);
});

test('between listings and checks an unchanged tree is answered without reading /proc', (t) => {
  const proc = fakeProc(t);
  proc.start(100, 1, ['-bash'], 500, 'bash');
  proc.start(101, 100, ['claude'], 500);
  const { clock, table } = clocked(proc.dir);
  const first = table.tree(100, true);
  // Unreadable from here on: any read would make the processes look gone.
  for (const pid of [100, 101]) {
    rmSync(join(proc.dir, String(pid), 'stat'));
    rmSync(join(proc.dir, String(pid), 'cmdline'));
  }
  for (let i = 0; i < 5; i++) {
    clock.now += 100;
    assert.equal(table.tree(100, false), first);
  }
  // A fresh read (the command changed) does read, and finds them gone.
  assert.deepEqual(table.tree(100, true), []);
});

test('without children files (no CONFIG_PROC_CHILDREN) a full read finds children by their parent in stat', (t) => {
  const proc = fakeProc(t, { childrenFiles: false });
  proc.start(100, 1, ['-bash'], 500, 'bash');
  proc.start(101, 100, ['node', '/usr/lib/node_modules/@google/gemini-cli/bundle/gemini.js'], 600);
  proc.start(102, 1, ['unrelated'], 600);
  const { table } = clocked(proc.dir);
  assert.deepEqual(argvs(table.tree(100, true)), ['-bash', 'node /usr/lib/node_modules/@google/gemini-cli/bundle/gemini.js']);
});

test('refresh() does ahead of time what tree() would: the listing and due checks, so the trees then need no reads', (t) => {
  const { proc, clock, table } = forkedChild(t);
  table.refresh(); // the listing finds the child
  proc.start(101, 100, ['claude'], UPTIME_S); // it exec'd; its next check is due within a few seconds
  clock.now += 5 * LIST_EVERY_MS;
  table.refresh(); // the due check reads the exec, and the listing is due again
  // With /proc gone, only what refresh() read can answer: a tree() that read would now find nothing.
  rmSync(proc.dir, { recursive: true, force: true });
  assert.deepEqual(argvs(table.tree(100, false)), ['-bash', 'claude']);
});
