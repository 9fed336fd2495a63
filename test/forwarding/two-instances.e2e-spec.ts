import { randomUUID } from 'node:crypto';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLICK_EVENT_RECEIVED, type ClickEventReceived } from '../../src/index.js';
import { AMQP_URL, brokerProblem, rabbitQueue } from '../support/brokers.js';
import { postgresDatabase, postgresProblem, type TestDatabase } from '../support/databases.js';
import { sleep, until, webhookLoad } from '../support/load.js';
import { startTestServer, type TestServer } from '../support/server.js';

const pgProblem = await postgresProblem();
if (pgProblem && process.env.CI === 'true') throw new Error(`${pgProblem}. CI must run it.`);
const rabbitProblem = await brokerProblem('rabbitmq');

describe.skipIf(pgProblem !== null || rabbitProblem !== null)(
  'two instances on one PostgreSQL, forwarding to RabbitMQ',
  () => {
    let db: TestDatabase;
    const servers: TestServer[] = [];
    const handled: string[][] = [[], []];

    beforeAll(async () => {
      db = await postgresDatabase();
      for (const index of [0, 1]) {
        const server = await startTestServer({
          DATABASE_URL: db.url,
          CLICKS_FORWARD_URL: AMQP_URL,
        });
        server.app
          .get(EventEmitter2)
          .on(CLICK_EVENT_RECEIVED, (event: ClickEventReceived) =>
            handled[index]!.push(event.clickEvent.id),
          );
        servers.push(server);
      }
    });
    afterAll(async () => {
      for (const server of servers) await server.app.close();
      await db?.dispose();
    });

    it('hands each click to one handler and the broker once, whichever instance stored it', async () => {
      const account = `two-${randomUUID().slice(0, 8)}`;
      const queue = await rabbitQueue(AMQP_URL, account);
      try {
        let turn = 0;
        // Meta's deliveries and its retries land on either instance.
        const load = webhookLoad(() => servers[turn++ % 2]!.webhook, account, { concurrency: 8 });
        await sleep(2000);
        await load.stop();
        expect([...load.statuses.keys()]).toEqual([200]);

        await until('the outbox is empty', async () => (await db.count('click_outbox')) === 0);
        const stored = await db.rows<{ id: string }>(
          `SELECT "id"::text AS "id" FROM "click_events" WHERE "business_account_id" = '${account}'`,
        );
        expect(stored).toHaveLength(load.acknowledged.size);
        await until(
          'RabbitMQ delivered',
          async () => new Set(queue.messages.map((m) => m.id)).size >= stored.length,
          10_000,
        );
        await sleep(200);

        const ids = stored.map((row) => row.id);
        const forwarded = queue.messages.map((message) => message.id);
        const calls = [...handled[0]!, ...handled[1]!];
        expect(ids.filter((id) => !forwarded.includes(id) || !calls.includes(id))).toEqual([]);
        const repeated = {
          broker: forwarded.length - new Set(forwarded).size,
          handlers: calls.length - new Set(calls).size,
        };
        console.log(
          `${ids.length} clicks; handler calls ${handled[0]!.length} + ${handled[1]!.length}; repeated: ${JSON.stringify(repeated)}`,
        );
        // Claims hold while an instance is alive: nothing is handed on twice.
        expect(repeated).toEqual({ broker: 0, handlers: 0 });
      } finally {
        await queue.close();
      }
    }, 60_000);
  },
);
