// `npm run bench -- redact [--json]`: the cost of redaction per screen line, on every line of the screen fixtures
// (real agent screens) and the secrets corpus, against the handful of regexes it replaced, in the same run.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { redact } from '../src/detect/redact.ts';

/** The rules before the maintained set, as the baseline. */
const BEFORE: Array<[RegExp, string]> = [
  [/\bBearer\s+[A-Za-z0-9._~+/=-]{6,}/gi, 'Bearer [redacted]'],
  [/\b(sk|pk|rk)-(?:[A-Za-z0-9]+-)*[A-Za-z0-9_-]{8,}/g, '$1-[redacted]'],
  [/\b(gh[pousr]_|github_pat_|glpat-|xox[abpors]-|AIza|ya29\.)[A-Za-z0-9_.-]{8,}/g, '$1[redacted]'],
  [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+/g, '[redacted-jwt]'],
  [/\b(AKIA|ASIA)[A-Z0-9]{12,}/g, '$1[redacted]'],
  [
    /\b([A-Za-z_-]*(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|auth|authorization|credentials?))\b(\s*[=:]\s*)(?!Bearer\b|\[redacted)("[^"]*"|'[^']*'|[^\s"']{6,})/gi,
    '$1$2[redacted]',
  ],
];
const before = (text: string) => BEFORE.reduce((out, [re, to]) => out.replace(re, to), text);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : name.endsWith('.txt') ? [path] : [];
  });
}

function nsPerLine(lines: string[], fn: (line: string) => string, rounds: number): number {
  const started = process.hrtime.bigint();
  for (let r = 0; r < rounds; r++) for (const line of lines) fn(line);
  return Number(process.hrtime.bigint() - started) / (rounds * lines.length);
}

export async function runRedactBench(argv: string[]): Promise<void> {
  const root = new URL('../test/fixtures/', import.meta.url).pathname;
  const lines = [...new Set(files(root).flatMap((f) => readFileSync(f, 'utf8').split('\n')).map((l) => l.replaceAll(/[«»]/g, '')))];
  // Unique lines (each line once, as an evidence line that changed) defeat the memo: lines with a counter appended.
  let n = 0;
  const fresh = (fn: (line: string) => string) => (line: string) => fn(`${line} ${n++}`);
  nsPerLine(lines, redact, 2); // warm-up (loads the rules, JIT)
  nsPerLine(lines, before, 2);
  const result = {
    bench: 'redact',
    lines: lines.length,
    before_ns_per_line: Math.round(nsPerLine(lines, fresh(before), 20)),
    after_uncached_ns_per_line: Math.round(nsPerLine(lines, fresh(redact), 20)),
    after_repeated_ns_per_line: Math.round(nsPerLine(lines, redact, 20)),
  };
  if (argv.includes('--json')) process.stdout.write(`${JSON.stringify(result)}\n`);
  else process.stdout.write(`${Object.entries(result).map(([k, v]) => `${k}: ${v}`).join('\n')}\n`);
}
