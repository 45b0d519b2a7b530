// CORS for the API and the event stream, for the origins in CORS_ORIGINS only (none by default: no CORS headers).
import cors from '@fastify/cors';
import fp from 'fastify-plugin';
import type { Config } from '../config.ts';

export default fp<{ config: Config }>(
  async (app, { config }) => {
    if (config.corsOrigins.length === 0) return;
    await app.register(cors, {
      origin: config.corsOrigins.includes('*') ? '*' : config.corsOrigins,
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'OPTIONS'],
      allowedHeaders: ['Authorization', 'Content-Type', 'If-None-Match', 'Last-Event-ID'],
      exposedHeaders: ['ETag'],
      maxAge: 600,
    });
  },
  { name: 'paneward-cors' },
);
