// Bearer token on /v1/* (and /metrics when asked), and Host header checks while bound to loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTestApp, TOKEN } from './helper.ts';

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

test('with apiToken set, /v1/* without a token or with a wrong one is 401 with WWW-Authenticate', async (t) => {
  const { app } = await buildTestApp(t, { config: { apiToken: TOKEN } });
  const attempts: Array<Record<string, string>> = [
    {},
    bearer('wrong-token-0123456789abcdef'),
    bearer(`${TOKEN}x`),
    bearer(TOKEN.slice(0, -1)),
    { authorization: TOKEN },
    { authorization: `Basic ${Buffer.from(`user:${TOKEN}`).toString('base64')}` },
    { authorization: 'Bearer ' },
    { authorization: `Bearer ${TOKEN} trailing` },
    { authorization: `Bearer ${TOKEN},Bearer ${TOKEN}` },
  ];
  for (const headers of attempts) {
    for (const [method, url] of [['GET', '/v1/agents'], ['GET', '/v1/monitor'], ['POST', '/v1/monitor/cycle'], ['GET', '/v1/agents/x-1/screen']] as const) {
      const res = await app.inject({ method, url, headers });
      assert.equal(res.statusCode, 401, `${method} ${url} with ${JSON.stringify(headers)}: ${res.body}`);
      assert.match(String(res.headers['www-authenticate']), /^Bearer/);
      assert.match(res.json().message, /bearer token/i);
    }
  }
  const put = await app.inject({ method: 'PUT', url: '/v1/monitor/strategy', payload: { strategy: 'exec' } });
  assert.equal(put.statusCode, 401);
  assert.equal(app.tmux.strategy(), 'pool', 'an unauthorized request changes nothing');
});

test('with apiToken set, the right bearer token gets 200', async (t) => {
  const { app } = await buildTestApp(t, { config: { apiToken: TOKEN } });
  assert.equal((await app.inject({ url: '/v1/agents', headers: bearer(TOKEN) })).statusCode, 200);
  assert.equal((await app.inject({ url: '/v1/monitor', headers: bearer(TOKEN) })).statusCode, 200);
  assert.equal((await app.inject({ method: 'POST', url: '/v1/monitor/cycle', headers: bearer(TOKEN) })).statusCode, 200);
  assert.equal((await app.inject({ url: '/v1/agents', headers: { authorization: `bearer  ${TOKEN}` } })).statusCode, 200, 'scheme in any case, more than one space');
});

test('a percent-encoded /v1 path reaches no agent data without the token', async (t) => {
  // The router decodes %76 to "v"; the token check must look at the route, not the raw URL.
  const { app } = await buildTestApp(t, { config: { apiToken: TOKEN, metricsAuth: true } });
  for (const url of ['/%761/agents', '/v%31/agents', '/%76%31/monitor', '/%6detrics']) {
    const res = await app.inject({ url });
    assert.ok([401, 404].includes(res.statusCode), `GET ${url} without a token answered ${res.statusCode}: ${res.body.slice(0, 120)}`);
  }
  const put = await app.inject({ method: 'PUT', url: '/%761/monitor/strategy', payload: { strategy: 'exec' } });
  assert.ok([401, 404].includes(put.statusCode), `PUT /%761/monitor/strategy without a token answered ${put.statusCode}`);
  assert.equal(app.tmux.strategy(), 'pool');
});

test('/livez and /metrics need no token unless metricsAuth is set', async (t) => {
  const { app } = await buildTestApp(t, { config: { apiToken: TOKEN } });
  assert.equal((await app.inject({ url: '/livez' })).statusCode, 200);
  const metrics = await app.inject({ url: '/metrics' });
  assert.equal(metrics.statusCode, 200);
  assert.match(metrics.body, /paneward_cycles_total/);
});

test('with metricsAuth, /metrics needs the token and /livez still does not', async (t) => {
  const { app } = await buildTestApp(t, { config: { apiToken: TOKEN, metricsAuth: true } });
  const denied = await app.inject({ url: '/metrics' });
  assert.equal(denied.statusCode, 401);
  assert.match(String(denied.headers['www-authenticate']), /^Bearer/);
  assert.equal((await app.inject({ url: '/metrics?x=1' })).statusCode, 401);
  assert.equal((await app.inject({ url: '/metrics', headers: bearer('wrong-token-0123456789abcdef') })).statusCode, 401);
  assert.equal((await app.inject({ url: '/metrics', headers: bearer(TOKEN) })).statusCode, 200);
  assert.equal((await app.inject({ url: '/livez' })).statusCode, 200);
});

test('without apiToken, /v1/* is open', async (t) => {
  const { app } = await buildTestApp(t);
  assert.equal((await app.inject({ url: '/v1/agents' })).statusCode, 200);
});

test('on loopback, a foreign Host header is 403 naming the Host header', async (t) => {
  const { app } = await buildTestApp(t, { config: { host: '127.0.0.1' } });
  for (const host of ['evil.example', 'evil.example:7700', 'localhost.evil.example', '127.0.0.1.evil.example', '192.168.1.5:7700']) {
    for (const url of ['/v1/agents', '/livez', '/metrics']) {
      const res = await app.inject({ url, headers: { host } });
      assert.equal(res.statusCode, 403, `${url} with Host ${host}`);
      assert.match(res.json().message, /Host header/);
      assert.ok(res.json().message.includes(host), res.json().message);
    }
  }
});

test('on loopback, hostile Host values that start like a loopback name are 403', async (t) => {
  const { app } = await buildTestApp(t, { config: { host: '127.0.0.1' } });
  const hostile = [
    '127.0.0.1:80@evil.com',
    'localhost@evil.com',
    '127.0.0.1:7700@evil.com:7700',
    'localhost:7700/evil.com',
    'localhost:7700?x=evil.com',
    'localhost#evil.com',
    '127.0.0.1 evil.com',
    'localhost:99999',
    'localhost:',
    '[::1]evil.com',
    '[::1]:7700@evil.com',
    'localhost\\evil.com',
  ];
  for (const host of hostile) {
    const res = await app.inject({ url: '/v1/agents', headers: { host } });
    assert.equal(res.statusCode, 403, `Host ${JSON.stringify(host)}: ${res.body}`);
    assert.match(res.json().message, /Host header/);
  }
});

test('on loopback, Host localhost:7700, 127.0.0.1 and [::1] are answered', async (t) => {
  const { app } = await buildTestApp(t, { config: { host: '127.0.0.1' } });
  for (const host of ['localhost:7700', '127.0.0.1', '127.0.0.1:7700', 'localhost', '[::1]:7700']) {
    const res = await app.inject({ url: '/v1/agents', headers: { host } });
    assert.equal(res.statusCode, 200, `Host ${host}: ${res.body}`);
  }
});

test('bound to a public address with a token, any Host header is answered', async (t) => {
  const { app } = await buildTestApp(t, { config: { host: '0.0.0.0', apiToken: TOKEN } });
  const res = await app.inject({ url: '/v1/agents', headers: { host: 'paneward.example:7700', ...bearer(TOKEN) } });
  assert.equal(res.statusCode, 200);
});
