// Shared setup for the tmux tests: a private server per test and a check that no control client outlives it.
import type { TestContext } from 'node:test';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { controlClientPids, startPrivateTmux, type PrivateTmux } from '../helpers/tmux.ts';
import { waitFor } from '../helpers/wait.ts';
import type { TmuxServer } from '../../src/tmux/types.ts';

export interface Harness extends PrivateTmux {
  /** Close `server` when the test ends (even when it fails). */
  track<T extends { close(): Promise<void> }>(server: T): T;
  /** Close everything tracked and fail unless no `tmux -C` process on this socket survives. */
  finish(): Promise<void>;
}

export async function privateTmux(t: TestContext): Promise<Harness> {
  const tmux = await startPrivateTmux();
  const tracked: Array<{ close(): Promise<void> }> = [];
  const closeAll = async () => {
    for (const s of tracked.splice(0)) await s.close();
  };
  t.after(async () => {
    await closeAll();
    await tmux.cleanup();
  });
  return Object.assign(tmux, {
    track<T extends { close(): Promise<void> }>(server: T): T {
      tracked.push(server);
      return server;
    },
    async finish() {
      await closeAll();
      await waitFor('no tmux -C process left (orphaned control clients)', () => controlClientPids(tmux.socket).length === 0);
    },
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Lines of `tmux list-*` output for assertions. */
export async function lines(h: PrivateTmux, ...args: string[]): Promise<string[]> {
  return (await h.tmux(...args)).split('\n').filter((l) => l !== '');
}

/**
 * A `tmux` wrapper that logs every invocation to `<dir>/calls` and refuses control mode (`-C`) while
 * `<dir>/refuse-control` exists, to simulate a server that takes commands but not control clients.
 */
export function flakyTmuxBinary(dir: string): { binary: string; calls: string; refuseFlag: string } {
  const binary = join(dir, 'tmux-wrapper.sh');
  const calls = join(dir, 'calls');
  const refuseFlag = join(dir, 'refuse-control');
  writeFileSync(
    binary,
    `#!/bin/sh\necho "$*" >> '${calls}'\ncase " $* " in *" -C "*) if [ -e '${refuseFlag}' ]; then echo 'refused' >&2; exit 1; fi;; esac\nexec tmux "$@"\n`,
  );
  chmodSync(binary, 0o755);
  return { binary, calls, refuseFlag };
}

export type { TmuxServer };
