import type { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll } from 'vitest';
import { createServer } from '../../server/create-server.js';
import { loadServerConfig } from '../../server/server-config.js';
import { sqliteDatabase, type TestDatabase } from './databases.js';
import { TEST_APP_SECRET, TEST_VERIFY_TOKEN } from './webhooks.js';

/** The standalone server as `npm start` builds it, listening on a free port of the loopback. */
export interface TestServer {
  app: INestApplication;
  /** `http://127.0.0.1:<port>` */
  base: string;
  /** The webhook URL. */
  webhook: string;
  /** The GraphQL URL over HTTP, and over graphql-ws. */
  graphql: string;
  ws: string;
}

/** Starts it with the test secrets and `env` (DATABASE_URL at least); TEST_LOGS=1 shows its logs. */
export async function startTestServer(env: Record<string, string>): Promise<TestServer> {
  const config = loadServerConfig({
    WHATSAPP_APP_SECRET: TEST_APP_SECRET,
    WHATSAPP_VERIFY_TOKEN: TEST_VERIFY_TOKEN,
    ...env,
  });
  const app = await createServer(config, { logger: process.env.TEST_LOGS ? undefined : false });
  await app.listen(0, '127.0.0.1');
  const base = await app.getUrl();
  return {
    app,
    base,
    webhook: `${base}/webhooks/whatsapp`,
    graphql: `${base}/graphql`,
    ws: `${base.replace(/^http/, 'ws')}/graphql`,
  };
}

/**
 * The standalone server on a fresh SQLite database for the enclosing suite, started before its
 * tests and closed after them; read `.server` and `.database` inside the tests.
 */
export function serverForSuite(env: Record<string, string> = {}): {
  server: TestServer;
  database: TestDatabase;
} {
  const suite = {} as { server: TestServer; database: TestDatabase };
  beforeAll(async () => {
    suite.database = await sqliteDatabase();
    suite.server = await startTestServer({ DATABASE_URL: suite.database.url, ...env });
  });
  afterAll(async () => {
    await suite.server?.app.close();
    await suite.database?.dispose();
  });
  return suite;
}
