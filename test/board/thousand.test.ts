// The board at a thousand agents (a real tmux fleet): every one counted and reachable, while the page keeps only
// the rows on screen in the DOM. How fast it paints is measured by `npm run bench -- board`, not here.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { buildFleet } from '../../bench/cycle.ts';
import { startPrivateTmux, type PrivateTmux } from '../helpers/tmux.ts';
import { launchChromium, startServer, type BoardServer, type Browser } from './harness.ts';

const AGENTS = 1000;

let tmux: PrivateTmux;
let server: BoardServer;
let browser: Browser;

before(async () => {
  tmux = await startPrivateTmux();
  await buildFleet(tmux, AGENTS);
  server = await startServer({ sockets: [tmux.socket], pollIntervalMs: 1000 });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
  await tmux?.cleanup();
});

test('a thousand agents are all counted and reachable from the keyboard, with only the rows on screen in the DOM', async () => {
  const page = await browser.page();
  await page.goto(server.url);
  await page.waitForFunction((n) => document.querySelector('#counts .all .n')?.textContent === String(n), AGENTS, { timeout: 60_000 });
  const rowsInDom = await page.locator('#rows .row').count();
  assert.ok(rowsInDom > 10 && rowsInDom < 100, `${rowsInDom} row elements for ${AGENTS} agents`);
  await page.locator('#rows').focus();
  await page.keyboard.press('End');
  await page.keyboard.press('Enter');
  await page.locator('#detail').waitFor({ state: 'visible' });
  // tmux order puts the highest window index last: the fleet's last pane.
  assert.match((await page.locator('#detail-title').textContent()) ?? '', new RegExp(`^bench:${AGENTS - 1}\\.0\\s`));
  assert.equal(await page.locator('#rows .row[aria-selected="true"]').getAttribute('aria-posinset'), String(AGENTS));
  assert.deepEqual(browser.errors, []);
  await page.close();
});
