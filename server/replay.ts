/**
 * Runs the stored rejected deliveries through today's parser (after an upgrade that reads what
 * an older version rejected), on the server's DATABASE_URL; forwards what is now valid when
 * CLICKS_FORWARD_URL is set. See `--help`.
 */
import 'reflect-metadata';
import { Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { TypeOrmModule } from '@nestjs/typeorm';
import { parseArgs } from 'node:util';
import { RejectedDeliveryReplay, WhatsAppClicksModule } from '../src/index.js';
import { dataSourceOptions, loadServerConfig, ServerConfigError } from './server-config.js';

const HELP = `Replays stored rejected deliveries through today's parser.

  npm run replay -- [--since 2026-11-01] [--dry-run]

  --since DATE  only deliveries received at or after DATE (ISO 8601); default: all
  --dry-run     say what would be stored, change nothing

What is now valid is stored (duplicates skipped: replaying twice is replaying once), forwarded
when CLICKS_FORWARD_URL is set, and no longer listed as rejected; the rest stays, with today's
reason. Uses DATABASE_URL (and the rest of the server's environment).`;

async function main(): Promise<void> {
  const logger = new Logger('Replay');
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        since: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${HELP}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(HELP);
    return;
  }
  const since = values.since === undefined ? undefined : new Date(values.since);
  if (since && Number.isNaN(since.getTime())) {
    console.error(
      `--since ${JSON.stringify(values.since)} is not a date (ISO 8601, such as 2026-11-01)`,
    );
    process.exit(2);
  }
  let config;
  try {
    config = loadServerConfig(process.env);
  } catch (error) {
    if (!(error instanceof ServerConfigError)) throw error;
    logger.error(error.message);
    process.exit(1);
  }

  @Module({
    imports: [
      TypeOrmModule.forRoot({ ...dataSourceOptions(config.databaseUrl), migrationsRun: true }),
      EventEmitterModule.forRoot(),
      WhatsAppClicksModule.forRoot({
        appSecret: config.appSecrets,
        verifyToken: config.verifyToken,
        ...(config.forwardUrl ? { forward: config.forwardUrl } : {}),
      }),
    ],
  })
  class ReplayModule {}

  const app = await NestFactory.createApplicationContext(ReplayModule, {
    logger: ['error', 'warn', 'log'],
  });
  try {
    const result = await app
      .get(RejectedDeliveryReplay, { strict: false })
      .replay({ since, dryRun: values['dry-run'] });
    console.log(JSON.stringify(result));
  } finally {
    // Hands what was stored on to the broker before it exits (the outbox's shutdown flush).
    await app.close();
  }
}

void main();
