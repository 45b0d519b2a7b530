// The board in a real browser: Debian's chromium driven by playwright-core (never a downloaded browser), a
// fresh profile per launch, and the real app listening on a free port.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { buildApp } from '../../src/app.ts';
import { configWith, type Config } from '../../src/config.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export interface Browser {
  context: BrowserContext;
  /** A new tab whose console errors and uncaught exceptions are collected into `errors`. */
  page(opts?: { colorScheme?: 'light' | 'dark'; width?: number; height?: number }): Promise<Page>;
  errors: string[];
  close(): Promise<void>;
}

export async function launchChromium(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'paneward-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1400, height: 860 },
  });
  const errors: string[] = [];
  return {
    context,
    errors,
    async page(opts = {}) {
      const page = await context.newPage();
      if (opts.width) await page.setViewportSize({ width: opts.width, height: opts.height ?? 860 });
      if (opts.colorScheme) await page.emulateMedia({ colorScheme: opts.colorScheme });
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(`console: ${m.text()} (${m.location().url})`);
      });
      page.on('pageerror', (e) => errors.push(`page: ${e.message}`));
      return page;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export interface BoardServer {
  app: FastifyInstance;
  url: string;
  close(): Promise<void>;
}

/** The real app on a free loopback port, watching `sockets`, cycling every `pollIntervalMs`. */
export async function startServer(overrides: Partial<Config>): Promise<BoardServer> {
  const app = await buildApp(configWith({ pollIntervalMs: 250, monitorId: 'board', ...overrides }), { logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { app, url: `http://127.0.0.1:${port}/`, close: () => app.close() };
}
