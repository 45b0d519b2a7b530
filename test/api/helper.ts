// Builds the app on a fake tmux server for API tests, and drives poll cycles through the API itself.
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { configWith, type Config } from '../../src/config.ts';
import { agentId } from '../../src/loop/agent-id.ts';
import type { CycleStats } from '../../src/loop/cycle-run.ts';
import { createStandInClassifier } from '../helpers/stand-in-classifier.ts';
import type { Detector } from '../../src/detect/index.ts';
import { FakeTmuxServer } from '../helpers/fake-tmux.ts';

export const MONITOR = 'testmon';
export const TOKEN = 'test-token-0123456789abcdef';

/** The stand-in classifier with the detector's extra members; idle only after an hour, so states hold still. */
export function genericDetector(idleAfterMs = 3_600_000): Detector {
  return {
    ...createStandInClassifier({ idleAfterMs }),
    explain: () => null,
    reload: () => ({ ok: true, errors: [], profiles: [] }),
    close: () => undefined,
  };
}

export interface TestApp {
  app: FastifyInstance;
  fake: FakeTmuxServer;
  /** Agent id of a pane of the fake server. */
  id(paneId: string): string;
}

export async function buildTestApp(
  t: TestContext,
  opts: { config?: Partial<Config>; fake?: FakeTmuxServer; servers?: FakeTmuxServer[]; startLoop?: boolean; detector?: Detector } = {},
): Promise<TestApp> {
  const fake = opts.fake ?? new FakeTmuxServer();
  const app = await buildApp(configWith({ monitorId: MONITOR, ...opts.config }), {
    servers: opts.servers ?? [fake],
    startLoop: opts.startLoop ?? false,
    logger: false,
    detector: opts.detector ?? genericDetector(),
  });
  t.after(() => app.close());
  return { app, fake, id: (paneId) => agentId(MONITOR, { socket: fake.socket, serverPid: fake.serverPid, paneId }) };
}

/** Run one poll cycle through POST /v1/monitor/cycle and return its statistics. */
export async function cycle(app: FastifyInstance, headers: Record<string, string> = {}) {
  const res = await app.inject({ method: 'POST', url: '/v1/monitor/cycle', headers });
  assert.equal(res.statusCode, 200, res.body);
  return res.json() as CycleStats;
}

export async function getJson(app: FastifyInstance, url: string, headers: Record<string, string> = {}) {
  const res = await app.inject({ method: 'GET', url, headers });
  return { res, body: res.body === '' ? null : (res.json() as any) };
}

/** A 400 that is an answer, not a crash, and whose message names `field`. */
export function assertBadRequestNaming(res: LightMyRequestResponse, field: string): void {
  assert.equal(res.statusCode, 400, `expected 400, got ${res.statusCode}: ${res.body}`);
  const body = res.json() as { message?: string; statusCode?: number };
  assert.equal(body.statusCode, 400);
  assert.equal(typeof body.message, 'string');
  assert.match(body.message!, new RegExp(field.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i'), `message does not name ${field}: ${body.message}`);
}
