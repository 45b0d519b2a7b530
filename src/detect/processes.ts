// A pane's process tree from /proc: the pane's own process and every descendant, breadth first.
import { readFileSync, readdirSync } from 'node:fs';
import type { ProcessInfo } from './types.ts';

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function info(pid: number): ProcessInfo | null {
  const stat = read(`/proc/${pid}/stat`);
  if (stat === null) return null;
  // comm sits in parentheses and may itself hold spaces or parentheses: the fields resume after the last ')'.
  const close = stat.lastIndexOf(')');
  const fields = stat.slice(close + 2).split(' ');
  const comm = stat.slice(stat.indexOf('(') + 1, close);
  const argv = (read(`/proc/${pid}/cmdline`) ?? '').split('\0');
  if (argv.at(-1) === '') argv.pop();
  return { pid, ppid: Number(fields[1]), comm, argv };
}

/** Children via /proc/<pid>/task/<tid>/children; null when the kernel lacks CONFIG_PROC_CHILDREN. */
function childrenFromTasks(pid: number): number[] | null {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const tid of tasks) {
    const text = read(`/proc/${pid}/task/${tid}/children`);
    if (text === null) return null;
    for (const c of text.trim().split(/\s+/)) if (c) out.push(Number(c));
  }
  return out;
}

// Without the children files, one scan of /proc/*/stat serves every pane of a poll cycle.
let parentScan: { at: number; children: Map<number, number[]> } | null = null;
const SCAN_TTL_MS = 250;

function childrenFromScan(pid: number): number[] {
  const now = Date.now();
  if (!parentScan || now - parentScan.at > SCAN_TTL_MS) {
    const children = new Map<number, number[]>();
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      const stat = read(`/proc/${name}/stat`);
      if (stat === null) continue;
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(name));
      children.set(ppid, list);
    }
    parentScan = { at: now, children };
  }
  return parentScan.children.get(pid) ?? [];
}

/** The pane process and its descendants in breadth-first order; [] when the pane process is gone. */
export function readProcessTree(panePid: number): ProcessInfo[] {
  const root = info(panePid);
  if (!root) return [];
  const out: ProcessInfo[] = [root];
  const seen = new Set([panePid]);
  for (let i = 0; i < out.length && out.length < 512; i++) {
    const parent = out[i]!;
    for (const kid of childrenFromTasks(parent.pid) ?? childrenFromScan(parent.pid)) {
      if (seen.has(kid)) continue;
      seen.add(kid);
      const p = info(kid);
      if (p) out.push(p);
    }
  }
  return out;
}
