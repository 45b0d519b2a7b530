// Renders the OpenAPI document from the routes of a non-polling app, so docs cannot drift from code.
import { buildApp } from '../app.ts';
import { configWith } from '../config.ts';

export async function generateOpenApi(): Promise<string> {
  const app = await buildApp(configWith({ monitorId: 'openapi' }), { servers: [], startLoop: false, logger: false });
  try {
    await app.ready();
    return `${JSON.stringify(app.swagger(), null, 2)}\n`;
  } finally {
    await app.close();
  }
}
