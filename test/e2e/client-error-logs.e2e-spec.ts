// A caller's mistakes (no key, a foreign account, bad arguments, a 1 MB account id) reach the log
// at debug only, one short line each, without a stack: they cannot flood the log.
import type { INestApplication, LoggerService } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../../server/create-server.js';
import { loadServerConfig } from '../../server/server-config.js';
import { sqliteDatabase, type TestDatabase } from '../support/databases.js';
import { codes, graphql } from '../support/graphql.js';
import { TEST_APP_SECRET, TEST_VERIFY_TOKEN } from '../support/webhooks.js';

type Level = 'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal';

class CapturingLogger implements LoggerService {
  readonly lines: { level: Level; text: string }[] = [];
  private add(level: Level, message: unknown, rest: unknown[]) {
    this.lines.push({ level, text: [message, ...rest].map((part) => String(part)).join(' ') });
  }
  log = (message: unknown, ...rest: unknown[]) => this.add('log', message, rest);
  error = (message: unknown, ...rest: unknown[]) => this.add('error', message, rest);
  warn = (message: unknown, ...rest: unknown[]) => this.add('warn', message, rest);
  debug = (message: unknown, ...rest: unknown[]) => this.add('debug', message, rest);
  verbose = (message: unknown, ...rest: unknown[]) => this.add('verbose', message, rest);
  fatal = (message: unknown, ...rest: unknown[]) => this.add('fatal', message, rest);
}

describe('client errors in the log', () => {
  let database: TestDatabase;
  let app: INestApplication;
  let url: string;
  const logger = new CapturingLogger();

  beforeAll(async () => {
    database = await sqliteDatabase();
    const config = loadServerConfig({
      WHATSAPP_APP_SECRET: TEST_APP_SECRET,
      WHATSAPP_VERIFY_TOKEN: TEST_VERIFY_TOKEN,
      DATABASE_URL: database.url,
      CLICKS_API_KEYS: 'a-key=waba-a',
    });
    app = await createServer(config, { logger });
    await app.listen(0, '127.0.0.1');
    url = `${await app.getUrl()}/graphql`;
  });
  afterAll(async () => {
    await app?.close();
    await database?.dispose();
  });

  it('logs UNAUTHENTICATED, FORBIDDEN and BAD_USER_INPUT at debug, one short line each', async () => {
    const stats = (account: string) => `{ clickStats(businessAccountId: "${account}") { total } }`;
    const before = logger.lines.length;
    const answers = [
      await graphql(url, stats('waba-a')),
      await graphql(url, stats('waba-b'), {}, 'a-key'),
      await graphql(url, stats('x'.repeat(1_000_000)), {}, 'a-key'),
      await graphql(
        url,
        '{ clickEvents(businessAccountId: "waba-a", first: 0) { totalCount } }',
        {},
        'a-key',
      ),
    ];
    expect(answers.map((answer) => codes(answer))).toEqual([
      ['UNAUTHENTICATED'],
      ['FORBIDDEN'],
      ['BAD_USER_INPUT'],
      ['BAD_USER_INPUT'],
    ]);
    const lines = logger.lines.slice(before);
    expect(lines.filter((line) => line.level !== 'debug' && line.level !== 'verbose')).toEqual([]);
    const refusals = lines.filter((line) => line.text.includes('refused a GraphQL request'));
    expect(refusals).toHaveLength(4);
    for (const { text } of lines) {
      expect(text.length).toBeLessThan(400);
      expect(text).not.toMatch(/\n\s+at /); // no stack
    }
  });
});
