import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { DEFAULT_WEBHOOK_PATH } from '../whatsapp-clicks.options.js';
import { createServer } from './create-server.js';
import { describeDatabase, loadServerConfig, ServerConfigError } from './server-config.js';

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
  await app.listen(config.port);
  const base = (await app.getUrl()).replace('[::1]', 'localhost').replace('127.0.0.1', 'localhost');
  logger.log(`nestjs-whatsapp-clicks listening on ${base}`);
  logger.log(`webhook:  ${base}/${DEFAULT_WEBHOOK_PATH} (GET handshake, signed POST)`);
  logger.log(`database: ${describeDatabase(config.databaseUrl)}`);
  if (config.devDefaults.length > 0) {
    logger.warn(
      `development defaults in use (set them for real use): ${config.devDefaults.join(' ')}`,
    );
  }
}

void main();
