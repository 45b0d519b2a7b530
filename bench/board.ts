// npm run bench -- board --agents N [--loads K] [--json]
// The board in Debian's chromium over a real fleet of N panes (a tenth printing), against a baseline of 10
// panes in the same run: loads alternate between the two. Per load: first contentful paint (the empty page),
// the first paint of the fleet's rows (page load to rows on screen, data included), DOM size; then, for a few
// seconds of live changes, the cost of each redraw.
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { launchChromium, startServer, type BoardServer, type Browser } from '../test/board/harness.ts';
import { startPrivateTmux, type PrivateTmux } from '../test/helpers/tmux.ts';
import { buildFleet } from './cycle.ts';
import { percentile } from './lib/stats.ts';

const BASELINE_AGENTS = 10;
const LIVE_SECONDS = 5;

interface Load {
  fcpMs: number;
  fleetPaintedMs: number;
  domNodes: number;
  redrawMs: number[];
}

interface Side {
  tmux: PrivateTmux;
  server: BoardServer;
  agents: number;
}

async function startSide(agents: number): Promise<Side> {
  const tmux = await startPrivateTmux();
  await buildFleet(tmux, agents);
  const server = await startServer({ sockets: [tmux.socket], pollIntervalMs: 1000, monitorId: 'bench' });
  for (let i = 0; i < 600; i++) {
    const seen = (await server.app.inject({ url: '/v1/summary' })).json() as { total?: number };
    if ((seen.total ?? 0) >= agents) break;
    await sleep(100);
  }
  return { tmux, server, agents };
}

/** One load of the board in a fresh tab; resolves once the fleet is painted and LIVE_SECONDS of changes ran. */
async function loadOnce(browser: Browser, side: Side, live: boolean): Promise<Load> {
  const page = await browser.page();
  await page.goto(side.server.url);
  await page.waitForFunction(() => performance.getEntriesByName('board:fleet-painted').length > 0, null, { timeout: 60_000 });
  if (live) await sleep(LIVE_SECONDS * 1000);
  const load = await readTimings(page);
  await page.close();
  return load;
}

async function readTimings(page: Page): Promise<Load> {
  return page.evaluate(() => ({
    fcpMs: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? Number.NaN,
    fleetPaintedMs: performance.getEntriesByName('board:fleet-painted')[0]?.startTime ?? Number.NaN,
    domNodes: document.getElementsByTagName('*').length,
    redrawMs: performance.getEntriesByName('board:redraw').map((e) => e.duration),
  }));
}

const round1 = (v: number) => Math.round(v * 10) / 10;
const p = (values: number[], q: number) => round1(percentile([...values].sort((a, b) => a - b), q));

function summarize(loads: Load[]) {
  const redraws = loads.flatMap((l) => l.redrawMs.slice(1)); // the first redraw is part of the first paint
  return {
    loads: loads.length,
    fcp_p50_ms: p(loads.map((l) => l.fcpMs), 50),
    fleet_painted_p50_ms: p(loads.map((l) => l.fleetPaintedMs), 50),
    fleet_painted_p90_ms: p(loads.map((l) => l.fleetPaintedMs), 90),
    fleet_painted_max_ms: p(loads.map((l) => l.fleetPaintedMs), 100),
    dom_nodes: Math.max(...loads.map((l) => l.domNodes)),
    redraws: redraws.length,
    redraw_p50_ms: p(redraws, 50),
    redraw_p99_ms: p(redraws, 99),
  };
}

export async function runBoardBench(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      agents: { type: 'string', default: '1000' },
      loads: { type: 'string', default: '10' },
      json: { type: 'boolean', default: false },
    },
  });
  const agents = Number(values.agents);
  const loads = Number(values.loads);
  const sides: Side[] = [];
  let browser: Browser | null = null;
  try {
    sides.push(await startSide(agents), await startSide(BASELINE_AGENTS));
    const [fleet, baseline] = sides as [Side, Side];
    browser = await launchChromium();
    await loadOnce(browser, fleet, false); // warm-up: chromium's first start, caches
    const measured: Load[] = [];
    const based: Load[] = [];
    for (let i = 0; i < loads; i++) {
      measured.push(await loadOnce(browser, fleet, i < 3));
      based.push(await loadOnce(browser, baseline, i < 3));
    }
    const mode = await feedMode(browser, fleet);
    const result = {
      bench: 'board',
      agents,
      feed: mode,
      board: summarize(measured),
      baseline: { agents: BASELINE_AGENTS, ...summarize(based) },
      ratio_fleet_painted_p50: round1(summarize(measured).fleet_painted_p50_ms / summarize(based).fleet_painted_p50_ms),
      errors: browser.errors,
    };
    if (!values.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await browser?.close();
    for (const side of sides) {
      await side.server.close();
      await side.tmux.cleanup();
    }
  }
}

async function feedMode(browser: Browser, side: Side): Promise<string> {
  const page = await browser.page();
  await page.goto(side.server.url);
  await page.waitForFunction(() => document.getElementById('conn')?.dataset.status === 'live', null, { timeout: 30_000 });
  const mode = (await page.locator('#conn').getAttribute('data-mode')) ?? 'unknown';
  await page.close();
  return mode;
}
