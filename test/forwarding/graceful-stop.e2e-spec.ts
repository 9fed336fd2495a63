import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleClickAction, sampleClickDelivery } from '../../src/testing/index.js';
import { brokerProblem, freePort, natsMessages, OwnNatsServer } from '../support/brokers.js';
import { ChildServer, handledIds } from '../support/child-server.js';
import { databaseTargets, type TestDatabase } from '../support/databases.js';
import { graphql } from '../support/graphql.js';
import { sleep, until, webhookLoad } from '../support/load.js';
import { postWebhook } from '../support/webhooks.js';

const databases = await databaseTargets();
const natsProblem = await brokerProblem('nats');

describe.each(databases)('SIGTERM under load on $kind', (database) => {
  describe.skipIf(natsProblem !== null || database.unavailable !== null)('', () => {
    let db: TestDatabase;
    let nats: OwnNatsServer;
    let dir: string;
    let server: ChildServer;

    beforeAll(async () => {
      db = await database.create();
      nats = await OwnNatsServer.started();
      dir = mkdtempSync(join(tmpdir(), 'clicks-stop-'));
      server = new ChildServer({
        DATABASE_URL: db.url,
        CLICKS_FORWARD_URL: nats.url,
        PORT: String(await freePort()),
        HANDLED_FILE: join(dir, 'handled.txt'),
        HANDLER_DELAY_MS: '5',
      });
    });
    afterAll(async () => {
      await server?.dispose();
      await nats?.dispose();
      await db?.dispose();
      rmSync(dir, { recursive: true, force: true });
    });

    it('answers every delivery it read with 200, hands every click on, and exits 0 within 10 s', async () => {
      const account = `stop-${randomUUID().slice(0, 8)}`;
      await server.start();
      const load = webhookLoad(() => server.webhook, account, { concurrency: 16 });
      let stopped: { code: number | null; ms: number };
      try {
        await sleep(1500);
        stopped = await server.stop('SIGTERM');
        await sleep(200);
      } finally {
        await load.stop();
      }

      expect(stopped.code).toBe(0);
      expect(stopped.ms).toBeLessThan(10_000);
      // No 503 and no other 5xx: what was read was answered, and answered as stored.
      expect([...load.statuses.keys()]).toEqual([200]);
      // What got no answer was never read (checked below): the port was closed (refused), or
      // the idle keep-alive connection it was sent on was being closed (reset).
      const reasons = new Set(
        load.unanswered.map((reason) =>
          /ECONNREFUSED|ECONNRESET|other side closed|SocketError/.test(reason)
            ? 'not read'
            : reason,
        ),
      );
      expect([...reasons].filter((reason) => reason !== 'not read')).toEqual([]);

      // Stored, handed to the handler and forwarded before the exit: nothing left in the outbox.
      expect(await db.count('click_outbox')).toBe(0);
      const stored = await db.rows<{ id: number | string; click_id: string }>(
        `SELECT "id", "click_id" FROM "click_events" WHERE "business_account_id" = '${account}'`,
      );
      // A delivery read and stored was answered too: no stored click the load did not hear of.
      expect(stored.filter((row) => !load.acknowledged.has(row.click_id))).toEqual([]);
      const idOf = new Map(stored.map((row) => [row.click_id, String(row.id)]));
      const acknowledged = [...load.acknowledged].map((clickId) => idOf.get(clickId)!);
      expect(acknowledged.every((id) => id !== undefined)).toBe(true);
      const handled = new Set(handledIds(join(dir, 'handled.txt')));
      const forwarded = new Set(
        (await natsMessages(nats.url, account)).map((message) => message.id),
      );
      expect(acknowledged.filter((id) => !handled.has(id) || !forwarded.has(id))).toEqual([]);
      console.log(
        `${database.kind}: ${acknowledged.length} acknowledged, ${load.unanswered.length} not read (${[...new Set(load.unanswered)].slice(0, 3).join('; ')}), stopped in ${stopped.ms} ms`,
      );
    }, 60_000);
  });
});

describe.each(databases)('SIGTERM with open websockets on $kind', (database) => {
  describe.skipIf(database.unavailable !== null)('', () => {
    let db: TestDatabase;
    let server: ChildServer;
    let port: number;

    beforeAll(async () => {
      db = await database.create();
      port = await freePort();
      server = new ChildServer({ DATABASE_URL: db.url, PORT: String(port) });
    });
    afterAll(async () => {
      await server?.dispose();
      await db?.dispose();
    });

    // The HTTP server waits for every open socket: before 0.7 it waited for the websockets
    // that GraphQL would close only after it, and the stop ran into its 9 s limit (exit 1).
    it('closes live, resumed and idle subscribers with 1001 and exits 0 at once', async () => {
      const account = `ws-stop-${randomUUID().slice(0, 8)}`;
      await server.start();
      await postWebhook(
        server.webhook,
        sampleClickDelivery({ businessAccountId: account, actions: [sampleClickAction()] }),
      );
      const page = await graphql(
        `http://127.0.0.1:${port}/graphql`,
        `
          query ($a: ID!) {
            clickEvents(businessAccountId: $a) {
              edges {
                cursor
              }
            }
          }
        `,
        { a: account },
      );
      const cursor = page.data.clickEvents.edges[0].cursor as string;
      const closes: number[] = [];
      const received: unknown[] = [];
      const clients = [undefined, cursor, null].map((after) => {
        const client = createClient({
          url: `ws://127.0.0.1:${port}/graphql`,
          webSocketImpl: WebSocket,
          retryAttempts: 0,
          lazy: false,
          on: { closed: (event) => closes.push((event as { code: number }).code) },
          onNonLazyError: () => undefined,
        });
        if (after !== null) {
          client.subscribe(
            {
              query: `subscription($a: ID!, $after: String) { clickEventReceived(businessAccountId: $a, after: $after) { id } }`,
              variables: { a: account, after },
            },
            {
              next: (value) => received.push(value),
              error: () => undefined,
              complete: () => undefined,
            },
          );
        }
        return client;
      });
      await sleep(500);
      await postWebhook(
        server.webhook,
        sampleClickDelivery({ businessAccountId: account, actions: [sampleClickAction()] }),
      );
      await until('the live and the resumed subscriber', async () => received.length === 2, 10_000);

      const stopped = await server.stop('SIGTERM');
      await until('three closed sockets', async () => closes.length === 3, 5_000);

      expect(stopped.code).toBe(0);
      expect(stopped.ms).toBeLessThan(3_000);
      expect(closes).toEqual([1001, 1001, 1001]);
      await Promise.all(clients.map(async (client) => client.dispose()));
    }, 60_000);
  });
});
