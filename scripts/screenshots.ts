// npm run screenshots: the README's pictures of the board (docs/board.png, docs/board-detail.png,
// docs/board-dark.png), taken in Debian's chromium of the real app watching a real tmux fleet on a private socket.
// The agent panes replay screens captured from the real CLIs (test/fixtures/screens); the shells and the test
// runner are real. Panes start over half a minute so the times in state differ.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { addPane, replayCommand } from '../test/board/fleet.ts';
import { launchChromium, startServer } from '../test/board/harness.ts';
import { startPrivateTmux, type PrivateTmux } from '../test/helpers/tmux.ts';

const DOCS = resolve(import.meta.dirname, '../docs');

/** [session, window name, fixture or shell command], in the order they start. */
const FLEET: [string, string, string][] = [
  ['api', 'auth-refactor', 'claude-code/working-1.txt'],
  ['api', 'rate-limits', 'claude-code/waiting-3.txt'],
  ['api', 'migrations', 'claude-code/idle-2.txt'],
  ['web', 'checkout', 'codex/working-2.txt'],
  ['web', 'i18n', 'codex/rate_limited-1.txt'],
  ['docs', 'tutorial', 'gemini-cli/working-3.txt'],
  ['ops', 'shell', 'bash --norc --noprofile'],
  ['web', 'flaky-tests', 'codex/waiting-1.txt'],
  ['api', 'search', 'claude-code/working-4.txt'],
  ['docs', 'reference', 'gemini-cli/idle-3.txt'],
  ['infra', 'terraform', 'aider/waiting-2.txt'],
  ['api', 'billing', 'claude-code/error-1.txt'],
  ['web', 'dark-mode', 'codex/idle-2.txt'],
  ['infra', 'ci', 'aider/working-1.txt'],
  ['ops', 'tests', 'TESTS'],
  ['docs', 'changelog', 'gemini-cli/unsubmitted-1.txt'],
  ['api', 'webhooks', 'claude-code/working-6.txt'],
  ['infra', 'dns', 'claude-code/crashed-1.txt'],
  ['web', 'a11y', 'codex/working-1.txt'],
  ['api', 'cache', 'claude-code/unsubmitted-1.txt'],
  ['docs', 'api-guide', 'gemini-cli/rate_limited-2.txt'],
  ['ops', 'logs', 'bash --norc --noprofile'],
];

/** A test runner that prints a line every 0.3 s, forever. */
function testRunner(tmux: PrivateTmux): string {
  const path = join(tmux.dir, 'tests.sh');
  writeFileSync(path, 'i=0\nwhile :; do i=$((i+1)); echo "ok $i - handles case $i"; sleep 0.3; done\n');
  return `sh ${path}`;
}

async function startFleet(tmux: PrivateTmux): Promise<void> {
  const spacing = 30_000 / FLEET.length;
  for (const [session, name, what] of FLEET) {
    const command = what === 'TESTS' ? testRunner(tmux) : what.endsWith('.txt') ? replayCommand(tmux, what) : what;
    await addPane(tmux, session, command, name);
    await sleep(spacing);
  }
}

async function main(): Promise<void> {
  mkdirSync(DOCS, { recursive: true });
  const tmux = await startPrivateTmux();
  const server = await startServer({ sockets: [tmux.socket], pollIntervalMs: 500, monitorId: 'devbox' });
  const browser = await launchChromium();
  try {
    await startFleet(tmux);
    await sleep(4000);
    for (const scheme of ['light', 'dark'] as const) {
      const page = await browser.page({ colorScheme: scheme, width: 1360, height: 760 });
      await page.goto(server.url);
      await page.waitForFunction((n) => document.querySelectorAll('#rows .row:not([hidden])').length === n, FLEET.length);
      await sleep(1200);
      await page.screenshot({ path: join(DOCS, scheme === 'light' ? 'board.png' : 'board-dark.png') });
      if (scheme === 'light') await detailShot(page);
      await page.close();
    }
    if (browser.errors.length) throw new Error(`the page logged errors: ${browser.errors.join('; ')}`);
    process.stdout.write(`wrote docs/board.png, docs/board-detail.png, docs/board-dark.png\n`);
  } finally {
    await browser.close();
    await server.close();
    await tmux.cleanup();
  }
}

/** The permission prompt of the `rate-limits` agent, opened from the list. */
async function detailShot(page: import('playwright-core').Page): Promise<void> {
  await page.setViewportSize({ width: 1360, height: 1180 }); // room for the screen, the history and the trace
  await page.locator('#rows .row:not([hidden])', { hasText: 'api:1.0' }).click();
  await page.locator('#explain table.rules').first().waitFor();
  if (await page.locator('#screen-note').isVisible()) await page.locator('#redact').uncheck();
  await page.waitForFunction(() => (document.getElementById('screen')?.textContent ?? '').length > 0);
  await sleep(500);
  await page.screenshot({ path: join(DOCS, 'board-detail.png') });
}

await main();
