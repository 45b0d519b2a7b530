// Entry point: read the environment, refuse unsafe setups, listen, and shut down gracefully on SIGTERM/SIGINT.
import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.ts';
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
const app = await buildApp(config);

closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
  if (err) app.log.error({ err }, 'shutting down after an error');
  else app.log.info({ signal }, 'shutting down: finishing the cycle in flight, draining pools');
  await app.close();
});

try {
  const address = await app.listen({ host: config.host, port: config.port });
  app.log.info(
    `paneward ${address} watching ${config.sockets.join(', ')} (${config.strategy}, ${config.redisUrl ? 'redis' : 'embedded store'}); API docs at ${address}/docs`,
  );
} catch (err) {
  app.log.error({ err }, 'could not start');
  await app.close();
  process.exit(1);
}
