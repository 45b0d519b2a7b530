// OpenAPI from the routes' zod schemas, served at /openapi.json, with Swagger UI at /docs. Shared schemas with an
// id (`.meta({ id })` in src/schemas.ts) become reusable components; security and the standard error answers are
// added to every route as it is declared (src/openapi/conventions.ts).
import { existsSync, readFileSync } from 'node:fs';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fp from 'fastify-plugin';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { transformObject } from '../openapi/components.ts';
import { applyApiConventions, BEARER } from '../openapi/conventions.ts';

/** paneward's package.json: two levels up from this file in the source tree, three from dist/src/plugins. */
function ownPackage(): { version: string; license?: string } {
  for (const up of ['../../package.json', '../../../package.json']) {
    const path = new URL(up, import.meta.url);
    if (!existsSync(path)) continue;
    const pkg = JSON.parse(readFileSync(path, 'utf8')) as { name?: string; version: string; license?: string };
    if (pkg.name === 'paneward') return pkg;
  }
  throw new Error("paneward's package.json not found above src/plugins");
}

const pkg = ownPackage();
/** The package's version: the API document says which paneward it describes. */
export const PACKAGE_VERSION = pkg.version;

export default fp(
  async (app) => {
    app.addHook('onRoute', applyApiConventions);
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'paneward',
          description:
            'Monitoring server for AI coding agents running in tmux: which agent works, idles, waits for a human, hit a limit or crashed, and why. ' +
            'With API_TOKEN set, /v1/* needs `Authorization: Bearer <API_TOKEN>` (Authorize in Swagger UI).',
          version: PACKAGE_VERSION,
          ...(pkg.license ? { license: { name: pkg.license, identifier: pkg.license } } : {}),
        },
        servers: [{ url: '/', description: 'This paneward' }],
        tags: [
          { name: 'agents', description: 'Agents and their state' },
          { name: 'monitor', description: 'The poll loop, pools and caches' },
          { name: 'health', description: 'Liveness, readiness and metrics' },
        ],
        components: {
          securitySchemes: { [BEARER]: { type: 'http', scheme: 'bearer', description: 'API_TOKEN, when the server sets one' } },
        },
      },
      transform: jsonSchemaTransform,
      transformObject,
    });
    await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { persistAuthorization: true } });
    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  },
  { name: 'paneward-docs' },
);
