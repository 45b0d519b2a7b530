// The app hands a cycle's changes to the change stream's subscribers before the upkeep between cycles takes the
// loop's thread (the poller's beforeUpkeep, wired in the poller plugin).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTestApp, cycle } from '../api/helper.ts';
import { waitFor } from '../helpers/wait.ts';

test('the upkeep after a cycle starts once every subscriber has been handed the cycle\'s changes', async (t) => {
  const { app, fake } = await buildTestApp(t);
  fake.setPanes([{ paneId: '%1' }, { paneId: '%2' }]);
  fake.setScreen('%1', 'one');
  fake.setScreen('%2', 'two');
  const order: string[] = [];
  Object.assign(fake, {
    async refreshQuiet() {
      order.push('upkeep');
    },
  });
  // Subscribers of 3 ms each: the hub hands the run out over several 2 ms slices, with turns of the event loop
  // between (30 ms in all, well within the 100 ms the upkeep waits at most).
  const SUBSCRIBERS = 10;
  for (let i = 0; i < SUBSCRIBERS; i++) {
    app.events.subscribeRuns(null, () => {
      const until = performance.now() + 3;
      while (performance.now() < until);
      order.push('handed');
    });
  }
  await cycle(app);
  await waitFor('the upkeep', () => order.includes('upkeep'), 5000);
  assert.deepEqual(order.slice(0, SUBSCRIBERS + 1), [...Array(SUBSCRIBERS).fill('handed'), 'upkeep']);
});
