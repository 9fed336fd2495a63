// Property-based, over real HTTP into real databases: a fuzzed delivery is never answered 5xx;
// the answer and the tables agree with the parser: every valid action stored (or a duplicate),
// every invalid one kept with its reason.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseClickPayload } from '../../src/payload/click-payload.parser.js';
import { databaseTargets, type TestDatabase } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { postWebhook } from '../support/webhooks.js';
import { delivery } from './deliveries.js';

const targets = await databaseTargets();
/** FUZZ_RUNS=5000 for a long run; CI runs a bounded number on each database. */
const numRuns = Number(process.env.FUZZ_RUNS ?? 60);

describe.each(targets)('the ingest path, fuzzed, on $kind', (target) => {
  describe.skipIf(target.unavailable !== null)('', () => {
    let db: TestDatabase;
    let server: TestServer;

    beforeAll(async () => {
      db = await target.create();
      server = await startTestServer({ DATABASE_URL: db.url });
    });
    afterAll(async () => {
      await server?.app.close();
      await db?.dispose();
    });

    it(
      'stores or keeps every action of any delivery, and never answers 5xx',
      { timeout: 120_000 },
      async () => {
        await fc.assert(
          fc.asyncProperty(delivery, async (body) => {
            const bytes = JSON.stringify(body);
            const parsed = parseClickPayload(JSON.parse(bytes));
            const clicks = await db.count('click_events');
            const rejected = await db.count('rejected_deliveries');

            const answer = await postWebhook(server.webhook, bytes);
            expect(answer.status).toBe(200);
            expect(answer.json.rejected).toBe(parsed.rejections.length);
            expect(answer.json.stored + answer.json.duplicates).toBe(parsed.actions.length);
            expect(await db.count('click_events')).toBe(clicks + answer.json.stored);
            expect(await db.count('rejected_deliveries')).toBe(rejected + parsed.rejections.length);
            // Meta's retry of the same delivery: nothing new.
            const again = await postWebhook(server.webhook, bytes);
            expect(again.json).toMatchObject({ stored: 0, duplicates: parsed.actions.length });
          }),
          { numRuns },
        );
      },
    );
  });
});
