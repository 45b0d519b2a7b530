// The board while its parts fail: with Redis away the rows the monitor serves from memory say "stale" (the word,
// not only a colour) and a banner explains it, gone when Redis is back; a tmux server that stops answering is named.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startPrivateRedis, type PrivateRedis } from '../helpers/redis.ts';
import { startPrivateTmux, type PrivateTmux } from '../helpers/tmux.ts';
import { addPane, replayCommand } from './fleet.ts';
import { launchChromium, startServer, type BoardServer, type Browser } from './harness.ts';

let tmux: PrivateTmux;
let redis: PrivateRedis;
let server: BoardServer;
let browser: Browser;

before(async () => {
  tmux = await startPrivateTmux();
  redis = await startPrivateRedis();
  await addPane(tmux, 'agents', replayCommand(tmux, 'claude-code/waiting-3.txt'));
  await addPane(tmux, 'agents', 'bash --norc --noprofile');
  server = await startServer({ sockets: [tmux.socket], redis: redis.url });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
  await redis?.cleanup();
  await tmux?.cleanup();
});

/** Loads the board (`hash` picks the feed), stops Redis, waits for the stale marks, starts it, waits for them to go. */
async function redisAwayAndBack(hash: string): Promise<void> {
  const page = await browser.page();
  await page.goto(`${server.url}${hash}`);
  const stateWords = () => page.$$eval('#rows .row:not([hidden]) .state', (els) => els.map((e) => e.textContent).sort());
  await page.waitForFunction(() => document.querySelectorAll('#rows .row:not([hidden])').length === 2, null, { timeout: 30_000 });
  assert.equal(await page.locator('#stale').isVisible(), false);

  await redis.stop();
  await page.locator('#stale').waitFor({ state: 'visible', timeout: 30_000 });
  await page.waitForFunction(
    () => [...document.querySelectorAll('#rows .row:not([hidden]) .state')].every((e) => e.textContent?.endsWith(' · stale')),
    null,
    { timeout: 30_000 },
  );
  assert.deepEqual(await stateWords(), ['idle · stale', 'waiting · stale']);

  await redis.start();
  await page.locator('#stale').waitFor({ state: 'hidden', timeout: 30_000 });
  assert.deepEqual(await stateWords(), ['idle', 'waiting']);
  // Chrome reports each failed resource on the console; while Redis is away the API still answers 200.
  assert.deepEqual(browser.errors, []);
  await page.close();
}

test('while Redis is away every row says stale and a banner says why; when it is back the marks go', () => redisAwayAndBack(''));

test('the same when the board polls /v1/agents?since= instead of following the stream', () => redisAwayAndBack('#feed=poll'));

test('a tmux server that stops answering is named on the board', async () => {
  const page = await browser.page();
  await page.goto(server.url);
  await page.waitForFunction(() => document.querySelectorAll('#rows .row:not([hidden])').length === 2, null, { timeout: 30_000 });
  assert.equal(await page.locator('#tmux-down').isVisible(), false);
  await tmux.kill();
  await page.locator('#tmux-down').waitFor({ state: 'visible', timeout: 30_000 });
  assert.match((await page.locator('#tmux-down').textContent()) ?? '', new RegExp(`tmux server ${tmux.socket} does not answer`));
  assert.deepEqual(browser.errors, []);
  await page.close();
});
