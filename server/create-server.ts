import type { INestApplication, LoggerService, LogLevel, Provider } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger as PinoNestLogger } from 'nestjs-pino';
import { useWhatsAppClicksBodyParser } from '../src/index.js';
import { AppModule } from './app.module.js';
import type { ServerConfig } from './server-config.js';

/**
 * The standalone server's Nest app, not yet listening (tests listen on port 0). It logs through
 * pino (LOG_LEVEL, LOG_FORMAT) unless `options.logger` hands Nest a logger of its own.
 */
export async function createServer(
  config: ServerConfig,
  options: { logger?: LoggerService | LogLevel[] | false; providers?: Provider[] } = {},
): Promise<INestApplication> {
  const pino = options.logger === undefined;
  // Fastify: on this machine a bare Nest app answers 6x the requests of the same on Express
  // (bench/RESULTS.md), and the webhook path is mostly framework.
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.register(config, options.providers, pino),
    // connectionTimeout: a request whose body stalls is not held forever (Fastify's default).
    // return503OnClosing false: while stopping, a request that arrives on a busy keep-alive
    // connection is still answered (with Connection: close), not refused with a 503.
    new FastifyAdapter({ connectionTimeout: config.httpTimeoutMs, return503OnClosing: false }),
    pino ? { bodyParser: false, bufferLogs: true } : { bodyParser: false, logger: options.logger },
  );
  if (pino) app.useLogger(app.get(PinoNestLogger));
  useWhatsAppClicksBodyParser(app);
  return app;
}
