import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AMQP_URL,
  type BrokerMessage,
  brokerProblem,
  freePort,
  natsMessages,
  OwnNatsServer,
  rabbitQueue,
} from '../support/brokers.js';
import { ChildServer, handledIds } from '../support/child-server.js';
import { databaseTargets, type TestDatabase } from '../support/databases.js';
import { sleep, until, webhookLoad } from '../support/load.js';

// SQLite with NATS JetStream, PostgreSQL with RabbitMQ: both databases, both brokers.
const [sqlite, postgres] = await databaseTargets();
const cases = [
  { database: sqlite!, broker: 'nats' as const, problem: await brokerProblem('nats') },
  { database: postgres!, broker: 'rabbitmq' as const, problem: await brokerProblem('rabbitmq') },
];

describe.each(cases)(
  'kill -9 under load: $database.kind, $broker',
  ({ database, broker, problem }) => {
    describe.skipIf(problem !== null || database.unavailable !== null)('', () => {
      let db: TestDatabase;
      let nats: OwnNatsServer | undefined;
      let dir: string;
      let server: ChildServer;

      beforeAll(async () => {
        db = await database.create();
        if (broker === 'nats') nats = await OwnNatsServer.started();
        dir = mkdtempSync(join(tmpdir(), 'clicks-crash-'));
        server = new ChildServer({
          DATABASE_URL: db.url,
          CLICKS_FORWARD_URL: nats?.url ?? AMQP_URL,
          PORT: String(await freePort()),
          HANDLED_FILE: join(dir, 'handled.txt'),
          // Handlers slower than the load: clicks are always waiting in the outbox at the kill.
          HANDLER_DELAY_MS: '200',
          // A dead process's claims are taken over after 1 s instead of 30.
          CLICKS_OUTBOX_LEASE_MS: '1000',
        });
      });
      afterAll(async () => {
        await server?.dispose();
        await nats?.dispose();
        await db?.dispose();
        rmSync(dir, { recursive: true, force: true });
      });

      it('hands every acknowledged click to the handler and the broker after the restart', async () => {
        const account = `crash-${randomUUID().slice(0, 8)}`;
        const queue = broker === 'rabbitmq' ? await rabbitQueue(AMQP_URL, account) : undefined;
        try {
          await server.start();
          const load = webhookLoad(() => server.webhook, account, { concurrency: 6 });
          let killed: { code: number | null };
          let pendingAtKill: number;
          try {
            await sleep(1500);
            killed = await server.stop('SIGKILL');
            pendingAtKill = await db.count('click_outbox');
            await sleep(300); // the load meets a closed port meanwhile
            await server.start();
            await sleep(1000);
          } finally {
            await load.stop();
          }
          expect(killed.code).toBeNull(); // killed by the signal, no goodbye
          expect(pendingAtKill).toBeGreaterThan(0);
          expect(load.statuses.get(200)).toBeGreaterThan(0);
          expect([...load.statuses.keys()]).toEqual([200]);

          await until(
            'the outbox is empty after the restart',
            async () => (await db.count('click_outbox')) === 0,
          );
          const stored = await db.rows<{ id: number | string; click_id: string }>(
            `SELECT "id", "click_id" FROM "click_events" WHERE "business_account_id" = '${account}'`,
          );
          const idOf = new Map(stored.map((row) => [row.click_id, String(row.id)]));
          const acknowledged = [...load.acknowledged].map((clickId) => idOf.get(clickId));
          expect(acknowledged.every((id) => id !== undefined)).toBe(true); // stored, every one

          const handled = handledIds(join(dir, 'handled.txt'));
          let messages: BrokerMessage[];
          if (queue) {
            await until(
              'RabbitMQ delivered',
              async () => new Set(queue.messages.map((m) => m.id)).size >= stored.length,
              10_000,
            );
            messages = queue.messages;
          } else {
            messages = await natsMessages(nats!.url, account);
          }
          const forwarded = new Set(messages.map((message) => message.id));
          const missing = {
            handler: acknowledged.filter((id) => !handled.includes(id!)).length,
            broker: acknowledged.filter((id) => !forwarded.has(id!)).length,
          };
          expect(missing).toEqual({ handler: 0, broker: 0 });
          console.log(
            `${database.kind}/${broker}: ${acknowledged.length} acknowledged, ${pendingAtKill} outbox rows at the kill; ` +
              `handler calls ${handled.length} (${handled.length - new Set(handled).size} repeated), ` +
              `broker messages ${messages.length} (${messages.length - forwarded.size} repeated)`,
          );

          const stopped = await server.stop('SIGTERM');
          expect(stopped.code).toBe(0);
        } finally {
          await queue?.close();
        }
      }, 60_000);
    });
  },
);
