/**
 * Runs the stored rejected deliveries (or, with `--archive`, the archived ones) through today's
 * parser after an upgrade that reads them differently, on the server's DATABASE_URL; forwards
 * what is now stored when CLICKS_FORWARD_URL is set. See `--help`.
 */
import 'reflect-metadata';
import { Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { TypeOrmModule } from '@nestjs/typeorm';
import { parseArgs } from 'node:util';
import {
  ArchivedDeliveryReplay,
  RejectedDeliveryReplay,
  WhatsAppClicksModule,
} from '../src/index.js';
import { dataSourceOptions, loadServerConfig, ServerConfigError } from './server-config.js';

const HELP = `Replays stored deliveries through today's parser.

  npm run replay -- [--archive] [--since 2026-11-01] [--until 2026-11-08] [--dry-run]

  --archive     the archived deliveries (CLICKS_ARCHIVE=true), not the rejected ones
  --since DATE  only deliveries received at or after DATE (ISO 8601); default: all
  --until DATE  only deliveries received before DATE; default: all
  --dry-run     say what would be stored, change nothing

Rejected deliveries: what is now valid is stored, and no longer listed as rejected; the rest
stays, with today's reason. Archived deliveries: what is now a click and not yet stored is
stored. Either way duplicates are skipped (replaying twice is replaying once), new clicks keep
their original receivedAt and are forwarded when CLICKS_FORWARD_URL is set. Uses DATABASE_URL
(and the rest of the server's environment). Prints what it did as one JSON line.`;

async function main(): Promise<void> {
  const logger = new Logger('Replay');
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        archive: { type: 'boolean', default: false },
        since: { type: 'string' },
        until: { type: 'string' },
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
  const since = dateArgument('since', values.since);
  const until = dateArgument('until', values.until);
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
    const dryRun = values['dry-run'];
    const result = values.archive
      ? await app.get(ArchivedDeliveryReplay, { strict: false }).replay({ since, until, dryRun })
      : await app.get(RejectedDeliveryReplay, { strict: false }).replay({ since, until, dryRun });
    console.log(JSON.stringify(result));
  } finally {
    // Hands what was stored on to the broker before it exits (the outbox's shutdown flush).
    await app.close();
  }
}

/** A `--since`/`--until` value, or exit 2 with what is wrong. */
function dateArgument(name: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) {
    console.error(
      `--${name} ${JSON.stringify(value)} is not a date (ISO 8601, such as 2026-11-01)`,
    );
    process.exit(2);
  }
  return date;
}

void main();
