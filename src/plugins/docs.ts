// OpenAPI from the routes' zod schemas, served at /openapi.json, with Swagger UI at /docs.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fp from 'fastify-plugin';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';

export const API_VERSION = '1.0.0';

export default fp(
  async (app) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.0.3',
        info: {
          title: 'paneward',
          description: 'Monitoring server for AI coding agents running in tmux: which agent works, idles, waits for a human, hit a limit or crashed, and why.',
          version: API_VERSION,
        },
        tags: [
          { name: 'agents', description: 'Agents and their state' },
          { name: 'monitor', description: 'The poll loop, pools and caches' },
          { name: 'health', description: 'Liveness, readiness and metrics' },
          { name: 'board', description: 'The web board (an HTML page)' },
        ],
        components: {
          securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'API_TOKEN, when the server sets one' } },
        },
      },
      transform: jsonSchemaTransform,
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  },
  { name: 'paneward-docs' },
);
