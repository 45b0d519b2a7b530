// GET / and the board's files: served by paneward itself, public while the API wants a token, under a CSP that
// allows no inline script and nothing from another origin, and still behind the Host check.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { WEB_ROOT } from '../../routes/board.ts';
import { buildTestApp, TOKEN } from './helper.ts';

test('GET / is the board page, public even with API_TOKEN set, with a CSP that allows only this origin', async (t) => {
  const { app } = await buildTestApp(t, { config: { apiToken: TOKEN } });
  const res = await app.inject({ url: '/' });
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /^text\/html/);
  assert.match(res.body, /<title>paneward<\/title>/);
  const csp = String(res.headers['content-security-policy']);
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'(;|$)/, 'scripts from this origin only, none inline');
  assert.match(csp, /connect-src 'self'/);
  assert.equal(res.headers['x-content-type-options'], 'nosniff');
  assert.equal((await app.inject({ url: '/v1/agents' })).statusCode, 401, 'the data still needs the token');
});

test('the page loads nothing from another origin and has no inline script or style', () => {
  for (const name of readdirSync(WEB_ROOT).filter((n) => /\.(html|js|css)$/.test(n))) {
    const text = readFileSync(join(WEB_ROOT, name), 'utf8');
    assert.doesNotMatch(text, /(src|href)="(https?:)?\/\//, `${name} refers to another origin`);
    assert.doesNotMatch(text, /url\((['"]?)(https?:)?\/\//, `${name} refers to another origin`);
    assert.doesNotMatch(text, /import\s*(\(|[^;]*from\s*)['"](https?:)?\/\//, `${name} imports from another origin`);
    if (name.endsWith('.html')) {
      assert.doesNotMatch(text, /<script(?![^>]*\ssrc=)[^>]*>/, `${name} has an inline script`);
      assert.doesNotMatch(text, /\sstyle="|<style/, `${name} has inline style`);
      assert.doesNotMatch(text, /\son[a-z]+="/, `${name} has an inline event handler`);
    }
  }
});

test('every file the page imports is served, with its type and the CSP', async (t) => {
  const { app } = await buildTestApp(t);
  const wanted = new Set(['board/main.js', 'board/board.css', 'board/favicon.svg']);
  for (const name of readdirSync(WEB_ROOT).filter((n) => n.endsWith('.js'))) {
    const text = readFileSync(join(WEB_ROOT, name), 'utf8');
    for (const [, path] of text.matchAll(/from '\.\/([^']+)'/g)) wanted.add(`board/${path}`);
  }
  assert.ok(wanted.has('board/vendor/eventsource-parser/index.js'));
  for (const path of wanted) {
    const res = await app.inject({ url: `/${path}` });
    assert.equal(res.statusCode, 200, `/${path}`);
    const type = path.endsWith('.js') ? /javascript/ : path.endsWith('.css') ? /text\/css/ : /image\/svg/;
    assert.match(String(res.headers['content-type']), type, `/${path}`);
    assert.match(String(res.headers['content-security-policy']), /default-src 'none'/, `/${path}`);
  }
});

test('an unknown file is a 404, and the board routes shadow nothing of the API', async (t) => {
  const { app } = await buildTestApp(t);
  assert.equal((await app.inject({ url: '/board/nope.js' })).statusCode, 404);
  assert.equal((await app.inject({ url: '/board/../package.json' })).statusCode, 404);
  assert.equal((await app.inject({ url: '/board/vendor/eventsource-parser/index.cjs' })).statusCode, 404);
  const missing = await app.inject({ url: '/v2/agents' });
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.json().code, 'PANEWARD_ERR_NO_ROUTE');
});

test('on loopback, the board refuses a foreign Host header like the API does', async (t) => {
  const { app } = await buildTestApp(t);
  const res = await app.inject({ url: '/', headers: { host: 'evil.example:7700' } });
  assert.equal(res.statusCode, 403);
  assert.match(res.json().message, /Host header/);
});
