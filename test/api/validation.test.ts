// Bad requests are answered 400 with a message naming what is wrong, never a 500.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { buildApp } from '../../src/app.ts';
import { configWith } from '../../src/config.ts';
import { FakeTmuxServer } from '../helpers/fake-tmux.ts';
import { assertBadRequestNaming, buildTestApp } from './helper.ts';

test('an unknown query field is a 400 naming the field', async (t) => {
  const { app } = await buildTestApp(t);
  assertBadRequestNaming(await app.inject({ url: '/v1/agents?bogus=1' }), 'bogus');
  assertBadRequestNaming(await app.inject({ url: '/v1/monitor?bogus=1' }), 'bogus');
});

test('a query field given twice is a 400 that says so; so is a body on POST /v1/monitor/cycle and a query on /metrics', async (t) => {
  const { app } = await buildTestApp(t);
  const twice = await app.inject({ url: '/v1/agents?limit=5&limit=6' });
  assertBadRequestNaming(twice, 'limit');
  assert.match(twice.json().message, /given more than once/);
  assertBadRequestNaming(await app.inject({ url: '/v1/agents?state=idle&state=working' }), 'state');
  assertBadRequestNaming(await app.inject({ method: 'POST', url: '/v1/monitor/cycle', payload: { now: true } }), 'now');
  assertBadRequestNaming(await app.inject({ url: '/metrics?format=json' }), 'format');
  assert.equal((await app.inject({ method: 'POST', url: '/v1/monitor/cycle', payload: {} })).statusCode, 200);
  // What fetch(url, { method: 'POST', body: '' }) sends: an empty text/plain body is no body.
  const empty = await app.inject({ method: 'POST', url: '/v1/monitor/cycle', payload: '', headers: { 'content-type': 'text/plain;charset=UTF-8' } });
  assert.equal(empty.statusCode, 200, empty.body);
});

test('limit=0 and limit=abc are 400s naming limit', async (t) => {
  const { app } = await buildTestApp(t);
  assertBadRequestNaming(await app.inject({ url: '/v1/agents?limit=0' }), 'limit');
  assertBadRequestNaming(await app.inject({ url: '/v1/agents?limit=abc' }), 'limit');
  assertBadRequestNaming(await app.inject({ url: '/v1/agents?limit=1001' }), 'limit');
});

test('an unknown state is a 400 naming state', async (t) => {
  const { app } = await buildTestApp(t);
  assertBadRequestNaming(await app.inject({ url: '/v1/agents?state=nope' }), 'state');
  assertBadRequestNaming(await app.inject({ url: '/v1/agents?kind=nope' }), 'kind');
});

test('screen lines and history limit out of range are 400s naming the field', async (t) => {
  const { app } = await buildTestApp(t);
  assertBadRequestNaming(await app.inject({ url: '/v1/agents/abc/screen?lines=0' }), 'lines');
  assertBadRequestNaming(await app.inject({ url: '/v1/agents/abc/history?limit=abc' }), 'limit');
});

test('an agent id with characters outside the id alphabet is a 400 naming id', async (t) => {
  const { app } = await buildTestApp(t);
  for (const url of ['/v1/agents/bad!id', '/v1/agents/bad%24id/screen', '/v1/agents/bad%20id/history', '/v1/agents/bad*id/explain']) {
    assertBadRequestNaming(await app.inject({ url }), 'id');
  }
});

test('PUT /v1/monitor/strategy with an unknown strategy is a 400 naming strategy', async (t) => {
  const { app } = await buildTestApp(t);
  const res = await app.inject({ method: 'PUT', url: '/v1/monitor/strategy', payload: { strategy: 'fast' } });
  assertBadRequestNaming(res, 'strategy');
});

test('PUT /v1/monitor/strategy with an extra field is a 400 naming that field', async (t) => {
  const { app } = await buildTestApp(t);
  const res = await app.inject({ method: 'PUT', url: '/v1/monitor/strategy', payload: { strategy: 'exec', speed: 11 } });
  assertBadRequestNaming(res, 'speed');
  assert.equal(app.tmux.strategy(), 'pool', 'a rejected request switches nothing');
});

test('PUT /v1/monitor/strategy with invalid JSON is a 400 naming the body', async (t) => {
  const { app } = await buildTestApp(t);
  const res = await app.inject({
    method: 'PUT',
    url: '/v1/monitor/strategy',
    headers: { 'content-type': 'application/json' },
    payload: '{"strategy": pool',
  });
  assertBadRequestNaming(res, 'body');
});

test('PUT /v1/monitor/strategy with no body is a 400 naming the body', async (t) => {
  const { app } = await buildTestApp(t);
  assertBadRequestNaming(await app.inject({ method: 'PUT', url: '/v1/monitor/strategy' }), 'body');
  const empty = await app.inject({
    method: 'PUT',
    url: '/v1/monitor/strategy',
    headers: { 'content-type': 'application/json' },
    payload: '',
  });
  assertBadRequestNaming(empty, 'body');
  assertBadRequestNaming(await app.inject({ method: 'PUT', url: '/v1/monitor/strategy', payload: {} }), 'strategy');
});

test('PUT /v1/monitor/strategy with a JSON body that is not an object is a 400, not a 500', async (t) => {
  const { app } = await buildTestApp(t);
  for (const payload of ['null', '"pool"', '[]', '42']) {
    const res = await app.inject({
      method: 'PUT',
      url: '/v1/monitor/strategy',
      headers: { 'content-type': 'application/json' },
      payload,
    });
    assertBadRequestNaming(res, 'body');
  }
});

test('since with limit or cursor is a 400 naming the one given (changes since a sequence are not paged)', async (t) => {
  const { app } = await buildTestApp(t);
  assertBadRequestNaming(await app.inject({ url: '/v1/agents?since=3&limit=2' }), 'limit');
  assertBadRequestNaming(await app.inject({ url: '/v1/agents?since=3&cursor=abc' }), 'cursor');
  assert.equal((await app.inject({ url: '/v1/agents?since=0' })).statusCode, 200);
  assert.equal((await app.inject({ url: '/v1/agents?limit=2' })).statusCode, 200);
});

test('redact on /screen takes true or false only: no other spelling decides whether secrets are shown', async (t) => {
  const { app } = await buildTestApp(t);
  for (const value of ['no', '0', 'off', 'n', 'yes', '1', 'on', 'y', '']) {
    assertBadRequestNaming(await app.inject({ url: `/v1/agents/abc/screen?redact=${value}` }), 'redact');
  }
});

test('an agent id longer than the router takes is a 400 naming id, in the usual shape, without the URL echoed or logged', async (t) => {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const app = await buildApp(configWith({ logLevel: 'info' }), { servers: [new FakeTmuxServer()], startLoop: false, logger: { stream } });
  t.after(() => app.close());
  const long = 'a'.repeat(250);
  for (const url of [`/v1/agents/${long}`, `/v1/agents/${long}/explain`]) {
    const res = await app.inject({ url });
    assertBadRequestNaming(res, 'id');
    assert.equal(res.json().code, 'PANEWARD_ERR_VALIDATION');
    assert.ok(!res.body.includes(long), 'the id is not echoed back');
  }
  const bad = await app.inject({ url: '/v1/agents/%E0%A4%A' });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().code, 'PANEWARD_ERR_BAD_URL');
  assert.ok(!bad.body.includes('%E0'), bad.body);
  // An id as long as the schema allows still reaches the route: the router's limit is the schema's.
  assert.equal((await app.inject({ url: `/v1/agents/${'a'.repeat(200)}` })).statusCode, 404);
  // Like any other 400: not logged at info (request lines are debug), and no stack for a client's mistake.
  assert.deepEqual(lines.filter((l) => /FST_ERR|PANEWARD_ERR|stack/.test(l)), []);
});
