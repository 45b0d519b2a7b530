// The API document a client generator or Swagger UI reads: every operation named, secured where the token
// applies, every error it can answer documented; shared shapes as components; a real linter finds it clean.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { z } from 'zod';
import { buildApp } from '../../src/app.ts';
import { configWith } from '../../src/config.ts';
import { generateOpenApi } from '../../src/openapi/generate.ts';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

interface Operation {
  operationId?: string;
  security?: Array<Record<string, string[]>>;
  parameters?: Array<{ in: string }>;
  responses: Record<string, { description: string; content?: Record<string, { schema: { $ref?: string } }> }>;
}
type Doc = { info: { version: string }; paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> } };

function operations(doc: Doc): Array<[string, Operation]> {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, op]) => [`${method.toUpperCase()} ${path}`, op] as [string, Operation]),
  );
}

const live = async () => JSON.parse(await generateOpenApi()) as Doc;

test('every operation has a unique operationId', async () => {
  const ops = operations(await live());
  assert.ok(ops.length >= 12);
  for (const [name, op] of ops) assert.match(op.operationId ?? '', /^[a-z][A-Za-z]+$/, `${name} has an operationId`);
  assert.equal(new Set(ops.map(([, op]) => op.operationId)).size, ops.length, 'operationIds are unique');
});

test('every operation documents the errors it can answer, with the Error schema and a real description', async () => {
  for (const [name, op] of operations(await live())) {
    const statuses = Object.keys(op.responses);
    const needed = ['400', '403', '500'];
    if (name.includes(' /v1/') || name.endsWith(' /metrics')) needed.push('401');
    if (op.parameters?.some((p) => p.in === 'path')) needed.push('404');
    if (/^(POST|PUT|PATCH) /.test(name)) needed.push('413', '415');
    for (const status of needed) {
      assert.ok(statuses.includes(status), `${name} documents ${status}`);
      assert.equal(op.responses[status]!.content?.['application/json']?.schema.$ref, '#/components/schemas/Error', `${name} ${status} is an Error`);
    }
    for (const [status, answer] of Object.entries(op.responses)) {
      assert.notEqual(answer.description, 'Default Response', `${name} ${status} is described`);
    }
    assert.ok(statuses.some((s) => s.startsWith('2')), `${name} documents its success`);
  }
});

test('/v1/* operations declare bearer security, so Swagger UI sends the token; health routes declare none', async () => {
  const doc = await live();
  assert.deepEqual(doc.components.securitySchemes.bearer, { type: 'http', scheme: 'bearer', description: 'API_TOKEN, when the server sets one' });
  for (const [name, op] of operations(doc)) {
    if (name.includes(' /v1/')) assert.deepEqual(op.security, [{ bearer: [] }], name);
    else if (name.endsWith(' /metrics')) assert.deepEqual(op.security, [{}, { bearer: [] }], `${name}: token only with METRICS_AUTH`);
    else assert.deepEqual(op.security, [], name);
  }
});

test('shared shapes are components referenced by $ref, not copies; the document names the package version', async () => {
  const doc = await live();
  for (const name of ['Agent', 'AgentState', 'AgentKind', 'StateDetail', 'Error', 'Transition', 'CycleStats', 'Strategy']) {
    assert.ok(doc.components.schemas[name], `components.schemas.${name}`);
  }
  assert.ok(!Object.keys(doc.components.schemas).some((n) => n.endsWith('Input')), 'no read/write twins');
  const agent = doc.paths['/v1/agents/{id}']!.get!.responses['200']!.content!['application/json']!.schema;
  assert.equal(agent.$ref, '#/components/schemas/Agent');
  assert.ok((doc.components.schemas.Agent as { example?: unknown }).example, 'Agent has an example');
  assert.ok((doc.components.schemas.Error as { example?: unknown }).example, 'Error has an example');
  const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { version: string };
  assert.equal(doc.info.version, pkg.version);
});

test('a route added by any plugin gets security and the standard errors without declaring them', async (t) => {
  const app = await buildApp(configWith({}), { servers: [], startLoop: false, logger: false });
  t.after(() => app.close());
  app.get('/v1/added-later', { schema: { operationId: 'addedLater', summary: 'x', response: { 200: z.object({ ok: z.boolean() }) } } }, async () => ({ ok: true }));
  await app.ready();
  const op = (app.swagger() as unknown as Doc).paths['/v1/added-later']!.get!;
  assert.deepEqual(op.security, [{ bearer: [] }]);
  assert.deepEqual(Object.keys(op.responses).sort(), ['200', '400', '401', '403', '500']);
});

test('the error answers the conventions add still serialize what the error handler sends', async (t) => {
  const app = await buildApp(configWith({ apiToken: 'conventions-token-0123456789' }), { servers: [], startLoop: false, logger: false });
  t.after(() => app.close());
  const res = await app.inject({ url: '/v1/summary' });
  assert.equal(res.statusCode, 401);
  assert.deepEqual(Object.keys(res.json()).sort(), ['code', 'error', 'message', 'statusCode']);
  assert.equal(res.json().code, 'PANEWARD_ERR_UNAUTHORIZED');
});

test('@redocly/cli lint finds openapi/openapi.json clean (no error, no warning)', async () => {
  const { stdout } = await run(`${ROOT}node_modules/.bin/redocly`, ['lint', 'openapi/openapi.json', '--format=json'], {
    cwd: ROOT,
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
  }).catch((err: { stdout: string }) => ({ stdout: err.stdout }));
  const report = JSON.parse(stdout) as { totals: { errors: number; warnings: number }; problems: unknown[] };
  assert.deepEqual(report.totals, { errors: 0, warnings: 0, ignored: 0 }, JSON.stringify(report.problems, null, 2));
});
