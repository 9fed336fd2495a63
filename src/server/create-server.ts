import type { INestApplication, LoggerService, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { useWhatsAppClicksBodyParser } from '../webhook/webhook-body-parser.js';
import { AppModule } from './app.module.js';
import type { ServerConfig } from './server-config.js';

/** The standalone server's Nest app, not yet listening (tests listen on port 0). */
export async function createServer(
  config: ServerConfig,
  options: { logger?: LoggerService | LogLevel[] | false } = {},
): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule.register(config), {
    bodyParser: false,
    logger: options.logger,
  });
  useWhatsAppClicksBodyParser(app);
  app.enableShutdownHooks();
  return app;
}
