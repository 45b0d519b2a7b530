// The board in Debian's chromium against the real app watching a real tmux fleet: it lists the fleet with those
// that need a human first, follows a pane that starts printing without a reload, asks for the token once per tab,
// is usable from the keyboard, and logs no error to the console.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { startPrivateTmux, type PrivateTmux } from '../helpers/tmux.ts';
import { addPane, replayCommand } from './fleet.ts';
import { launchChromium, startServer, type BoardServer, type Browser } from './harness.ts';

const TOKEN = 'board-test-token-0123456789';

let tmux: PrivateTmux;
let server: BoardServer;
let browser: Browser;
let goFile: string;

before(async () => {
  tmux = await startPrivateTmux();
  goFile = join(tmux.dir, 'go');
  // A program that prints nothing until the test creates `go`, then a line every 0.2 s.
  const printer = join(tmux.dir, 'printer.sh');
  writeFileSync(printer, `while [ ! -e ${goFile} ]; do sleep 0.2; done\nwhile :; do echo "line $(date +%s%N)"; sleep 0.2; done\n`);
  await addPane(tmux, 'agents', replayCommand(tmux, 'claude-code/waiting-3.txt'));
  await addPane(tmux, 'agents', replayCommand(tmux, 'codex/working-1.txt'));
  await addPane(tmux, 'agents', replayCommand(tmux, 'gemini-cli/rate_limited-1.txt'));
  await addPane(tmux, 'ops', 'bash --norc --noprofile');
  await addPane(tmux, 'jobs', `sh ${printer}`, 'printer');
  server = await startServer({ sockets: [tmux.socket], idleAfterMs: 1500 });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
  await tmux?.cleanup();
});

afterEach(() => {
  const errors = browser.errors.splice(0);
  assert.deepEqual(errors, [], 'the page logged errors');
});

/** The rows on screen, top to bottom, as the words they show. */
async function rows(page: Page): Promise<{ state: string; target: string; kind: string; evidence: string }[]> {
  // No named function inside: tsx would wrap it in a helper that does not exist in the page.
  const cells = await page.$$eval('#rows .row:not([hidden])', (els) =>
    els.map((el) => [(el as HTMLElement).style.transform, ...['.state', '.since', '.target .t', '.kind', '.evidence'].map((sel) => el.querySelector(sel)?.textContent ?? '')]),
  );
  const y = (transform: string) => Number(/translateY\((\d+)px\)/.exec(transform)?.[1] ?? 0);
  return cells
    .sort((a, b) => y(a[0]!) - y(b[0]!))
    .map(([, state, , target, kind, evidence]) => ({ state: state!, target: target!, kind: kind!, evidence: evidence! }));
}

/** Waits until the row of `target` reads `state` (the word on the page, not a colour). */
async function waitForState(page: Page, target: string, state: string, timeout = 30_000): Promise<void> {
  try {
    await page.waitForFunction(
      ([t, s]) =>
        [...document.querySelectorAll('#rows .row:not([hidden])')].some(
          (r) => r.querySelector('.target .t')?.textContent === t && r.querySelector('.state')?.textContent === s,
        ),
      [target, state] as const,
      { timeout, polling: 100 },
    );
  } catch (err) {
    assert.fail(`${target} never read "${state}" on the page; rows: ${JSON.stringify(await rows(page))}\n${String(err)}`);
  }
}

/** The Content-Encoding of each change stream a board page opened. */
const streamEncodings: string[] = [];

async function openBoard(hash = ''): Promise<Page> {
  const page = await browser.page();
  page.on('response', (r) => {
    if (new URL(r.url()).pathname === '/v1/events') streamEncodings.push(r.headers()['content-encoding'] ?? 'identity');
  });
  await page.goto(`${server.url}${hash}`);
  await page.waitForFunction(() => document.querySelectorAll('#rows .row:not([hidden])').length === 5, null, { timeout: 30_000 });
  return page;
}

test('the board lists every pane of a real tmux fleet, those that need a human first, with counts per state', async () => {
  const page = await openBoard();
  await waitForState(page, 'agents:0.0', 'waiting');
  await waitForState(page, 'agents:2.0', 'rate limited');
  const shown = await rows(page);
  assert.deepEqual(
    shown.map((r) => r.target),
    ['agents:0.0', 'agents:2.0', 'agents:1.0', 'jobs:0.0', 'ops:0.0'],
    'waiting and rate-limited first, then tmux order',
  );
  assert.deepEqual(shown[0], { state: 'waiting', target: 'agents:0.0', kind: 'claude-code', evidence: 'Do you want to proceed?' });
  assert.equal(shown[1]!.kind, 'gemini-cli');
  assert.equal(shown[2]!.kind, 'codex');
  assert.equal(shown[4]!.kind, 'shell');
  const chips = await page.$$eval('#counts .chip', (els) => els.map((e) => e.textContent?.trim()));
  assert.ok(chips.includes('5 agents'), `counts: ${chips.join(', ')}`);
  assert.ok(chips.includes('1 waiting'), `counts: ${chips.join(', ')}`);
  assert.ok(chips.includes('1 rate limited'), `counts: ${chips.join(', ')}`);
  assert.equal(await page.title(), '(2) paneward', 'the tab title counts the agents that need a human');
  await page.close();
});

test('a filter by state or kind shows only the matching agents, and the URL keeps it', async () => {
  const page = await openBoard();
  await page.locator('#counts .chip[data-state="waiting"]').click();
  await page.waitForFunction(() => document.querySelectorAll('#rows .row:not([hidden])').length === 1);
  assert.equal((await rows(page))[0]!.target, 'agents:0.0');
  assert.match(page.url(), /#state=waiting$/);
  await page.locator('#filters button[type="reset"]').click();
  await page.selectOption('#filters select[name="kind"]', 'codex');
  await page.waitForFunction(() => document.querySelectorAll('#rows .row:not([hidden])').length === 1);
  assert.equal((await rows(page))[0]!.kind, 'codex');
  await page.close();
});

test('a pane that starts printing turns working on the page without a reload', async () => {
  const page = await openBoard();
  const hasStream = server.app.hasRoute({ method: 'GET', url: '/v1/events' });
  assert.equal(await page.locator('#conn').getAttribute('data-mode'), hasStream ? 'stream' : 'poll', 'rides the stream where there is one');
  await waitForState(page, 'jobs:0.0', 'idle');
  await page.evaluate(() => Object.assign(window, { sameDocument: true }));
  writeFileSync(goFile, '');
  await waitForState(page, 'jobs:0.0', 'working');
  assert.equal(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument), true, 'the page was not reloaded');
  if (hasStream) assert.equal(streamEncodings.at(-1), 'gzip', 'Chromium asked for the stream compressed, and read it as it came');
  await page.close();
});

test('polling /v1/agents?since= (#feed=poll), a new pane shows up, turns working, and goes when it closes', async () => {
  const page = await openBoard('#feed=poll');
  assert.equal(await page.locator('#conn').getAttribute('data-mode'), 'poll');
  const go = join(tmux.dir, 'go-polled');
  const script = join(tmux.dir, 'polled.sh');
  writeFileSync(script, `while [ ! -e ${go} ]; do sleep 0.2; done\nwhile :; do echo "line $(date +%s%N)"; sleep 0.2; done\n`);
  const pane = await addPane(tmux, 'jobs', `sh ${script}`, 'polled');
  await waitForState(page, 'jobs:1.0', 'idle');
  await page.evaluate(() => Object.assign(window, { sameDocument: true }));
  writeFileSync(go, '');
  await waitForState(page, 'jobs:1.0', 'working');
  await tmux.tmux('kill-pane', '-t', pane);
  await page.waitForFunction(() => document.querySelectorAll('#rows .row:not([hidden])').length === 5, null, { timeout: 30_000 });
  assert.equal(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument), true, 'the page was not reloaded');
  await page.close();
});

test('from the keyboard: Tab reaches the list, arrows move, Enter opens the agent, Escape closes it', async () => {
  const page = await openBoard();
  await waitForState(page, 'agents:0.0', 'waiting');
  for (let i = 0; i < 20 && (await page.evaluate(() => document.activeElement?.id)) !== 'rows'; i++) await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'rows', 'Tab reaches the agent list');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await page.locator('#detail').waitFor({ state: 'visible' });
  assert.match((await page.locator('#detail-title').textContent()) ?? '', /^agents:2\.0\s+perl · gemini-cli$/);
  await page.locator('#explain table.rules').first().waitFor();
  const history = await page.locator('#history li').first().textContent();
  assert.match(history ?? '', /new\s*→\s*rate limited/);
  assert.match((await page.locator('#explain').textContent()) ?? '', /gemini\.rate-limit/);
  assert.match(page.url(), /agent=board-/);
  await page.keyboard.press('Escape');
  await page.locator('#detail').waitFor({ state: 'hidden' });
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'rows', 'focus is back on the list');
  await page.close();
});

test('the screen is shown with secrets hidden when the server can hide them, and only on request when not', async () => {
  const page = await openBoard();
  const first = page.locator('#rows .row:not([hidden])').first();
  await first.click();
  await page.locator('#detail').waitFor({ state: 'visible' });
  const spec = (await (await fetch(`${server.url}openapi.json`)).json()) as { paths: Record<string, { get: { parameters?: { name: string }[] } }> };
  const canRedact = (spec.paths['/v1/agents/{id}/screen']!.get.parameters ?? []).some((p) => p.name === 'redact');
  if (canRedact) {
    await page.waitForFunction(() => (document.getElementById('screen')?.textContent ?? '').includes('Do you want to proceed?'));
  } else {
    await page.locator('#screen-note').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#screen').textContent(), '', 'no raw screen while "hide secrets" is ticked');
    await page.locator('#redact').uncheck();
    await page.waitForFunction(() => (document.getElementById('screen')?.textContent ?? '').includes('Do you want to proceed?'));
  }
  await page.close();
});

test('with API_TOKEN the page asks for the token once per tab, and again when it is refused', async () => {
  const guarded = await startServer({ sockets: [tmux.socket], apiToken: TOKEN, monitorId: 'guarded' });
  try {
    const page = await browser.page();
    await page.goto(guarded.url);
    const dialog = page.locator('#token-dialog');
    await dialog.waitFor({ state: 'visible' });
    await page.locator('#token-input').fill('not-the-token-at-all');
    await page.keyboard.press('Enter');
    await page.locator('#token-error').waitFor({ state: 'visible' });
    assert.match((await page.locator('#token-error').textContent()) ?? '', /refused/);
    await page.locator('#token-input').fill(TOKEN);
    await page.locator('#token-dialog button[type="submit"]').click();
    await page.waitForFunction(() => document.querySelectorAll('#rows .row:not([hidden])').length === 5, null, { timeout: 30_000 });
    await page.reload();
    await page.waitForFunction(() => document.querySelectorAll('#rows .row:not([hidden])').length === 5, null, { timeout: 30_000 });
    assert.equal(await dialog.isVisible(), false, 'a reload of the tab does not ask again');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('paneward.token')), TOKEN);
    const other = await browser.page();
    await other.goto(guarded.url);
    await other.locator('#token-dialog').waitFor({ state: 'visible' });
    await other.close();
    await page.close();
  } finally {
    await guarded.close();
    // The unauthenticated calls answered 401 as they should; the browser reports each as a failed resource.
    const unexpected = browser.errors.filter((e) => !/status of 401/.test(e));
    browser.errors.splice(0, browser.errors.length, ...unexpected);
  }
});
