import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { DEFAULT_WEBHOOK_PATH } from '../src/index.js';
import { createServer } from './create-server.js';
import { waitForDatabase } from './database-wait.js';
import { closeOnSignals } from './graceful-shutdown.js';
import {
  describeDatabase,
  loadServerConfig,
  ServerConfigError,
  withoutCredentials,
} from './server-config.js';

async function main(): Promise<void> {
  const logger = new Logger('Server');
  let config;
  try {
    config = loadServerConfig(process.env);
  } catch (error) {
    if (!(error instanceof ServerConfigError)) throw error;
    logger.error(error.message);
    process.exitCode = 1;
    return;
  }
  if (!(await waitForDatabase(config.databaseUrl, logger))) {
    process.exitCode = 1;
    return;
  }
  const app = await createServer(config);
  closeOnSignals(app, logger);
  try {
    await app.listen(config.port, config.host);
  } catch (error) {
    const code = (error as { code?: string }).code;
    logger.error(
      code === 'EADDRINUSE'
        ? `port ${config.port} on ${config.host} is in use by another process: stop it, or set PORT`
        : code === 'EADDRNOTAVAIL'
          ? `HOST ${config.host} is not an address of this machine`
          : `could not listen on ${config.host}:${config.port}: ${(error as Error).message}`,
    );
    await app.close().catch(() => undefined);
    process.exit(1);
  }
  const base = (await app.getUrl())
    .replace('[::1]', 'localhost')
    .replace('127.0.0.1', 'localhost')
    .replace('0.0.0.0', 'localhost');
  logger.log(`nestjs-whatsapp-clicks listening on ${config.host}:${config.port} (${base})`);
  logger.log(`webhook:  ${base}/${DEFAULT_WEBHOOK_PATH} (GET handshake, signed POST)`);
  logger.log(`GraphQL:  ${base}/graphql (queries over HTTP; open it in a browser for the IDE)`);
  logger.log(`live:     ${base.replace(/^http/, 'ws')}/graphql (graphql-ws subscriptions)`);
  logger.log(
    `health:   ${base}/health; metrics: ${base}/metrics${config.metricsToken ? ' (METRICS_TOKEN)' : ''}`,
  );
  logger.log(`database: ${describeDatabase(config.databaseUrl)}`);
  logger.log(
    `forward:  ${config.forwardUrl ? withoutCredentials(config.forwardUrl) : 'off (CLICKS_FORWARD_URL)'}`,
  );
  logger.log(
    `pubsub:   ${config.redisUrl ? `Redis ${new URL(config.redisUrl).host}` : 'in-process'}`,
  );
  logger.log(
    `retention: ${config.retentionDays ? `${config.retentionDays} day(s)` : 'off (CLICKS_RETENTION_DAYS)'}`,
  );
  if (config.apiKeys) {
    logger.log(`GraphQL access: ${config.apiKeys.size} API key(s) from CLICKS_API_KEYS`);
  } else if (config.anonymous === 'open') {
    logger.warn(
      config.production
        ? 'GraphQL is open to anyone: CLICKS_ALLOW_ANONYMOUS=true and no CLICKS_API_KEYS'
        : 'GraphQL is open to anyone (no CLICKS_API_KEYS); set keys before exposing this server',
    );
  } else {
    logger.warn(
      'GraphQL answers UNAUTHENTICATED to every read: NODE_ENV=production without CLICKS_API_KEYS ' +
        '(set CLICKS_API_KEYS=key=ACCOUNT|ACCOUNT or CLICKS_ALLOW_ANONYMOUS=true); webhooks keep working',
    );
  }
  if (config.devDefaults.length > 0) {
    logger.warn(
      `development defaults in use (set them for real use): ${config.devDefaults.join(' ')}`,
    );
  }
}

void main();
