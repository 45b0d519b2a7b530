// Runs the compiled `paneward` command (bin/paneward.js → dist/) the way an agent or a user does.
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';

export const BIN = resolve(import.meta.dirname, '../../bin/paneward.js');
const MAIN = resolve(import.meta.dirname, '../../dist/src/cli/main.js');

/** Fails clearly when dist/ is missing or older than the CLI sources (npm install builds it; so does npm run build). */
export function assertBuilt(): void {
  const src = ['main.ts', 'commands/hook.ts', 'commands/hooks.ts', 'hook-settings.ts'].map((f) => resolve(import.meta.dirname, '../../src/cli', f));
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\``);
  const built = statSync(MAIN).mtimeMs;
  if (src.some((f) => statSync(f).mtimeMs > built + 1000)) throw new Error('dist/ is older than src/cli: run `npm run build`');
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs bin/paneward.js; `stdin` is written then closed, or left open when `holdStdin`. */
export function paneward(args: string[], opts: { env?: NodeJS.ProcessEnv; stdin?: string; holdStdin?: boolean } = {}): Promise<Run> {
  return new Promise((done, fail) => {
    const started = performance.now();
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr, ms: performance.now() - started }));
    if (opts.stdin !== undefined) child.stdin.write(opts.stdin);
    if (!opts.holdStdin) child.stdin.end();
    else setTimeout(() => child.stdin.end(), 5000).unref();
  });
}
