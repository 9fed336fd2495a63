import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleClickAction, sampleClickDelivery } from '../../src/testing/click-payloads.js';
import {
  AMQP_URL,
  type BrokerMessage,
  brokerProblem,
  natsMessages,
  OwnNatsServer,
  rabbitQueue,
} from '../support/brokers.js';
import { databaseTargets, type TestDatabase } from '../support/databases.js';
import { handedOn } from '../support/outbox.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { postWebhook } from '../support/webhooks.js';

const databases = await databaseTargets();
const brokers = [
  { broker: 'nats' as const, problem: await brokerProblem('nats') },
  { broker: 'rabbitmq' as const, problem: await brokerProblem('rabbitmq') },
];
const cases = databases.flatMap((database) => brokers.map((broker) => ({ ...broker, database })));

describe.each(cases)('forwarding to $broker on $database.kind', ({ broker, problem, database }) => {
  describe.skipIf(problem !== null || database.unavailable !== null)('', () => {
    let db: TestDatabase;
    let server: TestServer;
    // NATS: a server of the suite's own. JetStream drops a Nats-Msg-Id it saw within its
    // duplicate window (2 min), and click ids start at 1 in every fresh database.
    let nats: OwnNatsServer | undefined;
    let url: string;

    beforeAll(async () => {
      db = await database.create();
      if (broker === 'nats') nats = await OwnNatsServer.started();
      url = nats?.url ?? AMQP_URL;
      server = await startTestServer({ DATABASE_URL: db.url, CLICKS_FORWARD_URL: url });
    });
    afterAll(async () => {
      await server?.app.close();
      await nats?.dispose();
      await db?.dispose();
    });

    /** What the broker got for `account` once the outbox is empty. */
    async function forwarded(account: string, queue?: { messages: BrokerMessage[] }) {
      await handedOn(server.app);
      if (queue) {
        await new Promise((resolve) => setTimeout(resolve, 200)); // consumer delivery
        return queue.messages;
      }
      return natsMessages(url, account);
    }

    it("forwards each new click once, as the contract says, and none of Meta's duplicates", async () => {
      const account = `fwd-${randomUUID().slice(0, 8)}`;
      const queue = broker === 'rabbitmq' ? await rabbitQueue(url, account) : undefined;
      try {
        const delivery = sampleClickDelivery({
          businessAccountId: account,
          actions: [
            sampleClickAction({ click_id: 'a', click_component: 'cta', timestamp: '1763700000' }),
            sampleClickAction({ click_id: 'b', click_component: 'body' }),
            sampleClickAction({ click_id: 'a', click_component: 'cta', timestamp: '1763700000' }),
          ],
        });
        expect((await postWebhook(server.webhook, delivery)).json).toMatchObject({ stored: 2 });
        expect((await postWebhook(server.webhook, delivery)).json).toMatchObject({
          stored: 0,
          duplicates: 3,
        });

        const messages = await forwarded(account, queue);
        const rows = await db.rows<{
          id: number | string;
          click_id: string;
          received_at: number | string;
        }>(
          `SELECT "id", "click_id", "received_at" FROM "click_events" WHERE "business_account_id" = '${account}' ORDER BY "id"`,
        );
        expect(rows).toHaveLength(2);
        expect(messages.map((m) => m.id).sort()).toEqual(rows.map((r) => String(r.id)).sort());
        const a = messages.find((m) => m.body.clickId === 'a')!;
        expect(a.address).toBe(broker === 'nats' ? `whatsapp.clicks.${account}` : account);
        expect(a.body).toEqual({
          id: String(rows[0]!.id),
          businessAccountId: account,
          phoneNumberId: expect.any(String),
          displayPhoneNumber: expect.any(String),
          actionType: 'marketing_messages_link_click',
          clickComponent: 'CTA',
          clickId: 'a',
          productId: 'sku_1',
          trackingToken: 'token_1',
          occurredAt: '2025-11-21T04:40:00.000Z',
          receivedAt: new Date(Number(rows[0]!.received_at)).toISOString(),
        });
        expect(messages.find((m) => m.body.clickId === 'b')!.body.clickComponent).toBe('BODY');
        if (broker === 'rabbitmq') expect(messages.every((m) => m.persistent)).toBe(true);
        expect(await db.count('click_outbox')).toBe(0); // done entries are deleted
      } finally {
        await queue?.close();
      }
    });
  });
});
