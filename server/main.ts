import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { DEFAULT_WEBHOOK_PATH } from '../src/index.js';
import { createServer } from './create-server.js';
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
  const app = await createServer(config);
  closeOnSignals(app, logger);
  await app.listen(config.port);
  const base = (await app.getUrl()).replace('[::1]', 'localhost').replace('127.0.0.1', 'localhost');
  logger.log(`nestjs-whatsapp-clicks listening on ${base}`);
  logger.log(`webhook:  ${base}/${DEFAULT_WEBHOOK_PATH} (GET handshake, signed POST)`);
  logger.log(`GraphQL:  ${base}/graphql (queries over HTTP; open it in a browser for the IDE)`);
  logger.log(`live:     ${base.replace(/^http/, 'ws')}/graphql (graphql-ws subscriptions)`);
  logger.log(`database: ${describeDatabase(config.databaseUrl)}`);
  logger.log(
    `forward:  ${config.forwardUrl ? withoutCredentials(config.forwardUrl) : 'off (CLICKS_FORWARD_URL)'}`,
  );
  logger.log(
    `pubsub:   ${config.redisUrl ? `Redis ${new URL(config.redisUrl).host}` : 'in-process'}`,
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
