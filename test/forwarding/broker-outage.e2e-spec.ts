import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClickOutbox } from '../../src/outbox/click-outbox.service.js';
import { brokerProblem, natsMessages, OwnNatsServer } from '../support/brokers.js';
import { databaseTargets, type TestDatabase } from '../support/databases.js';
import { sleep, webhookLoad } from '../support/load.js';
import { handedOn } from '../support/outbox.js';
import { startTestServer, type TestServer } from '../support/server.js';

const databases = await databaseTargets();
const natsProblem = await brokerProblem('nats');

describe.each(databases)('a NATS outage under load on $kind', (database) => {
  describe.skipIf(natsProblem !== null || database.unavailable !== null)('', () => {
    let db: TestDatabase;
    let nats: OwnNatsServer;
    let server: TestServer;

    beforeAll(async () => {
      db = await database.create();
      nats = await OwnNatsServer.started();
      server = await startTestServer({ DATABASE_URL: db.url, CLICKS_FORWARD_URL: nats.url });
    });
    afterAll(async () => {
      await server?.app.close();
      await nats?.dispose();
      await db?.dispose();
    });

    it('keeps answering 200 while the broker is down, and forwards every click once it is back', async () => {
      const account = `outage-${randomUUID().slice(0, 8)}`;
      const outbox = server.app.get(ClickOutbox, { strict: false });
      const load = webhookLoad(() => server.webhook, account);
      const during = await (async () => {
        try {
          await sleep(500);
          await nats.stop();
          await sleep(1500);
          // The outbox holds what could not be forwarded meanwhile.
          const pending = await outbox.pending();
          await nats.start();
          await sleep(500);
          return pending;
        } finally {
          await load.stop();
        }
      })();
      const resumedAt = Date.now();
      expect(during.forward).toBeGreaterThan(0);

      expect([...load.statuses.keys()]).toEqual([200]);
      expect(load.unanswered).toEqual([]);
      await handedOn(server.app, 30_000);
      const drainedIn = Date.now() - resumedAt;
      const stored = await db.rows<{ id: number | string; click_id: string }>(
        `SELECT "id", "click_id" FROM "click_events" WHERE "business_account_id" = '${account}'`,
      );
      expect(new Set(stored.map((row) => row.click_id))).toEqual(load.acknowledged);

      const messages = await natsMessages(nats.url, account);
      const forwarded = new Set(messages.map((message) => message.id));
      expect(forwarded).toEqual(new Set(stored.map((row) => String(row.id))));
      // JetStream drops a Nats-Msg-Id it already has: what reached the stream is each click once.
      expect(messages).toHaveLength(forwarded.size);
      console.log(
        `${database.kind}: ${load.acknowledged.size} clicks acknowledged, ${during.forward} pending at the outage, ${messages.length} in the stream, outbox empty ${drainedIn} ms after the load stopped (broker back 500 ms before)`,
      );
    });
  });
});
