// The committed OpenAPI document matches the routes and is valid OpenAPI 3.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import SwaggerParser from '@apidevtools/swagger-parser';
import { generateOpenApi } from '../../src/openapi/generate.ts';

test('openapi/openapi.json is up to date with the routes (run npm run openapi)', async () => {
  const committed = readFileSync(new URL('../../openapi/openapi.json', import.meta.url), 'utf8');
  assert.equal(committed, await generateOpenApi());
});

test('openapi/openapi.json is a valid OpenAPI 3 document covering every endpoint', async () => {
  const doc = JSON.parse(readFileSync(new URL('../../openapi/openapi.json', import.meta.url), 'utf8'));
  await SwaggerParser.validate(structuredClone(doc));
  assert.match(doc.openapi, /^3\./);
  for (const path of ['/v1/agents', '/v1/agents/{id}', '/v1/agents/{id}/screen', '/v1/agents/{id}/history', '/v1/agents/{id}/explain', '/v1/summary', '/v1/monitor', '/v1/monitor/strategy', '/v1/monitor/cycle', '/livez', '/readyz', '/metrics']) {
    assert.ok(doc.paths[path], `${path} is documented`);
  }
});

test('the explain trace is documented field by field, not as an empty object', () => {
  const doc = JSON.parse(readFileSync(new URL('../../openapi/openapi.json', import.meta.url), 'utf8'));
  const ok = doc.paths['/v1/agents/{id}/explain'].get.responses['200'].content['application/json'].schema;
  const trace = ok.properties.trace;
  for (const field of ['kind', 'kindReason', 'rules', 'matched', 'candidate', 'decision', 'published', 'stability', 'activity']) {
    assert.ok(trace.properties?.[field], `trace.${field} is documented`);
  }
  assert.ok(trace.properties.rules.items.properties.evidence, 'each rule attempt is documented');
});
