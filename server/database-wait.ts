import type { LoggerService } from '@nestjs/common';
import pg from 'pg';
import { describeDatabase } from './server-config.js';

const ATTEMPTS = 10;
const DELAY_MS = 3000;

/**
 * Waits for PostgreSQL to accept a connection before the app starts, saying so in one line per
 * try (TypeORM's own retries print a stack each). SQLite needs no wait. False: it never did.
 */
export async function waitForDatabase(
  databaseUrl: string,
  logger: LoggerService,
): Promise<boolean> {
  if (databaseUrl.startsWith('sqlite:')) return true;
  for (let attempt = 1; ; attempt++) {
    const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5000 });
    try {
      await client.connect();
      await client.end();
      return true;
    } catch (error) {
      await client.end().catch(() => undefined);
      const reason = (error as Error).message || (error as { code?: string }).code || String(error);
      const where = describeDatabase(databaseUrl);
      if (attempt >= ATTEMPTS) {
        logger.error(
          `${where} did not accept a connection after ${ATTEMPTS} tries (${reason}): check DATABASE_URL`,
        );
        return false;
      }
      logger.warn(
        `${where} does not accept connections (${reason}); try ${attempt} of ${ATTEMPTS}, again in ${DELAY_MS / 1000} s`,
      );
      await new Promise((resolve) => setTimeout(resolve, DELAY_MS));
    }
  }
}
