// Entry point: read the environment, refuse unsafe setups, listen, and shut down gracefully on SIGTERM/SIGINT.
import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.ts';
import { describeRedisTarget, toRedisTarget } from './store/index.ts';
import { ConfigError, isLoopbackHost, loadConfig, type Config } from './config.ts';

function configOrExit(): Config {
  try {
    const config = loadConfig();
    if (!isLoopbackHost(config.host) && !config.apiToken) {
      throw new ConfigError(
        `refusing to listen on non-loopback HOST=${config.host} without API_TOKEN: set API_TOKEN (16+ characters) or HOST=127.0.0.1`,
      );
    }
    return config;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`paneward: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

const config = configOrExit();
const app = await buildApp(config, { stdoutIsTTY: process.stdout.isTTY === true });

// SIGINT and SIGTERM are ours, not close-with-grace's: Ctrl+C under `npm start` delivers SIGINT twice (the terminal
// signals the whole process group and npm passes it on), and close-with-grace takes any second signal for "force
// exit 1" in the middle of the graceful close. A repeat within a second is the same request; a later one forces.
const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;
const REPEAT_WINDOW_MS = 1000;
let stopAsked: { signal: string; at: number } | null = null;
// A JS listener for a fault signal runs after the fault and returns to the faulting instruction, so one real
// segfault becomes an endless loop at full CPU (Node's docs warn of it); close-with-grace listens to them by default.
const FAULT_SIGNALS = ['SIGSEGV', 'SIGBUS', 'SIGFPE', 'SIGILL'] as const;
const grace = closeWithGrace({ delay: 10_000, skip: [...STOP_SIGNALS, ...FAULT_SIGNALS] }, async ({ signal, err }) => {
  if (err) app.log.error({ err }, 'shutting down after an error');
  else app.log.info({ signal: signal ?? stopAsked?.signal }, 'shutting down: finishing the cycle in flight, draining pools');
  await app.close();
});
for (const signal of STOP_SIGNALS) {
  process.on(signal, () => {
    if (stopAsked === null) {
      stopAsked = { signal, at: Date.now() };
      void grace.close();
    } else if (Date.now() - stopAsked.at > REPEAT_WINDOW_MS) {
      app.log.error({ signal }, `second ${signal}, exiting without finishing the shutdown`);
      process.exit(1);
    }
  });
}

try {
  const address = await app.listen({ host: config.host, port: config.port });
  app.log.info(
    `paneward ${address} watching ${config.sockets.join(', ')} (${config.strategy}, ${config.redis ? describeRedisTarget(toRedisTarget(config.redis)) : 'embedded store'}); API docs at ${address}/docs`,
  );
} catch (err) {
  app.log.error({ err }, 'could not start');
  await app.close();
  process.exit(1);
}
