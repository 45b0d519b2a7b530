// Kind detection from real process trees in /proc: an agent below a shell is found, whatever tmux reports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDetector, readProcessTree } from '../../src/detect/index.ts';
import { pane } from './helpers.ts';

function start(t: { after(fn: () => void): void }, command: string, args: string[]): ChildProcess {
  const child = spawn(command, args, { stdio: 'ignore', detached: true }); // own process group: kill it whole
  t.after(() => {
    if (child.pid) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }
  });
  return child;
}

async function until<T>(fn: () => T, ok: (v: T) => boolean, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  let v = fn();
  while (!ok(v) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    v = fn();
  }
  return v;
}

test('readProcessTree lists the pane process and its descendants with argv', async (t) => {
  const shell = start(t, 'bash', ['-c', 'exec -a claude sleep 30 & wait']);
  const procs = await until(() => readProcessTree(shell.pid!), (p) => p.some((x) => x.argv[0] === 'claude'));
  assert.equal(procs[0]!.pid, shell.pid);
  const agent = procs.find((p) => p.argv[0] === 'claude');
  assert.ok(agent, `no claude in ${JSON.stringify(procs)}`);
  assert.equal(agent.comm, 'sleep');
  assert.equal(agent.ppid, shell.pid);
  assert.deepEqual(readProcessTree(2 ** 22 + 7), []);
});

test('an agent started by `bash -c` is claude-code although tmux says bash; it crashes when killed', async (t) => {
  const shell = start(t, 'bash', ['-c', 'exec -a claude sleep 30 & wait; sleep 30; true']);
  const detector = createDetector();
  const observe = (now: number) =>
    detector.classify({ id: 'p', pane: pane({ panePid: shell.pid!, currentCommand: 'bash' }), screen: '', screenChangedAt: now, now });
  const first = await until(() => observe(Date.now()), (c) => c.kind === 'claude-code');
  assert.equal(first.kind, 'claude-code');
  assert.match(detector.explain('p')!.kindReason, /matched claude-code/);

  const agent = readProcessTree(shell.pid!).find((p) => p.argv[0] === 'claude')!;
  process.kill(agent.pid, 'SIGKILL');
  const after = await until(() => observe(Date.now()), (c) => c.state === 'crashed');
  assert.deepEqual([after.kind, after.state], ['claude-code', 'crashed']);
});

test('an agent a wrapper starts later in the same process group is found within seconds, the command unchanged', async (t) => {
  // `bash -c` keeps one process group: tmux goes on reporting `bash` while the agent starts below it.
  const shell = start(t, 'bash', ['-c', 'sleep 1; exec -a claude sleep 30 & wait']);
  const detector = createDetector();
  const started = Date.now();
  const observe = () =>
    detector.classify({ id: 'w', pane: pane({ panePid: shell.pid!, currentCommand: 'bash' }), screen: '', screenChangedAt: started, now: Date.now() });
  assert.equal(observe().kind, 'shell');
  const c = await until(observe, (r) => r.kind === 'claude-code', 8000);
  assert.equal(c.kind, 'claude-code');
  // Started after 1 s; listed within LIST_EVERY_MS; if read before its exec, checked again within 1.25 s.
  assert.ok(Date.now() - started < 4500, `found after ${Date.now() - started} ms`);
});

test('a node script installed like the Gemini CLI is gemini-cli, one level below the pane shell', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'paneward-gemini-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const bundle = join(dir, 'node_modules', '@google', 'gemini-cli', 'bundle');
  mkdirSync(bundle, { recursive: true });
  writeFileSync(join(bundle, 'gemini.js'), 'setTimeout(() => {}, 30000);\n');
  const shell = start(t, 'bash', ['-c', `${JSON.stringify(process.execPath)} ${JSON.stringify(join(bundle, 'gemini.js'))} & wait`]);
  const detector = createDetector();
  const c = await until(
    () => detector.classify({ id: 'g', pane: pane({ panePid: shell.pid!, currentCommand: 'node' }), screen: '', screenChangedAt: 0, now: Date.now() }),
    (r) => r.kind === 'gemini-cli',
  );
  assert.equal(c.kind, 'gemini-cli');
  assert.equal(c.state, 'starting'); // nothing drawn yet
});

test('a shell with an ordinary child is a shell; a pane started with a program is a program', async (t) => {
  const shell = start(t, 'bash', ['-c', 'sleep 30 & wait']);
  const detector = createDetector();
  await until(() => readProcessTree(shell.pid!), (p) => p.some((x) => x.comm === 'sleep'));
  const s = detector.classify({ id: 's', pane: pane({ panePid: shell.pid!, currentCommand: 'sleep' }), screen: '$ sleep 30', screenChangedAt: 0, now: 1000 });
  assert.deepEqual([s.kind, s.state], ['shell', 'working']);
  const prog = start(t, 'sleep', ['30']);
  const p = detector.classify({ id: 'q', pane: pane({ panePid: prog.pid!, currentCommand: 'sleep' }), screen: '', screenChangedAt: 0, now: 10_000 });
  assert.deepEqual([p.kind, p.state], ['program', 'idle']);
});
