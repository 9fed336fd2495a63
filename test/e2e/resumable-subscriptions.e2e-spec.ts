// clickEventReceived(after:): a subscriber that resumes from a cursor while clicks keep
// arriving gets each click exactly once, in the order the database stores them, on one
// instance and across two on Redis.
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCursor } from '../../src/models/click-cursor.js';
import { sampleClickAction, sampleClickDelivery } from '../../src/testing/index.js';
import {
  databaseTargets,
  REDIS_URL,
  redisProblem,
  type TestDatabase,
} from '../support/databases.js';
import { graphql } from '../support/graphql.js';
import { sleep, until } from '../support/load.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { subscribe, wsClient, type Subscriber } from '../support/subscriptions.js';
import { postWebhook } from '../support/webhooks.js';

const KEYS = 'all-key=*';
const KEY = 'all-key';
const RESUME = `subscription Resume($account: ID!, $filter: ClickEventFilter, $after: String) {
  clickEventReceived(businessAccountId: $account, filter: $filter, after: $after) {
    id clickId clickComponent cursor
  }
}`;
const PAGE = `query Page($account: ID!) {
  clickEvents(businessAccountId: $account, first: 500) { edges { cursor node { id clickId cursor } } }
}`;
const redisMissing = await redisProblem();
if (redisMissing && process.env.CI === 'true') throw new Error(`${redisMissing}: CI needs Redis`);

let sequence = 0;
const newAccount = () => `waba-resume-${process.pid}-${Date.now()}-${sequence++}`;

/** Posts `deliveries` deliveries of `size` new clicks, `senders` at a time, to the servers in turn; every 5th twice. */
async function sendClicks(
  servers: TestServer[],
  account: string,
  { deliveries, size, senders = 4 }: { deliveries: number; size: number; senders?: number },
): Promise<void> {
  let next = 0;
  const sender = async () => {
    for (let n = next++; n < deliveries; n = next++) {
      const body = sampleClickDelivery({
        businessAccountId: account,
        actions: Array.from({ length: size }, (_, i) =>
          sampleClickAction({
            click_id: `${account}-${n}-${i}`,
            click_component: i % 2 ? 'body' : 'cta',
          }),
        ),
      });
      const server = servers[n % servers.length]!;
      for (let copy = 0; copy < (n % 5 === 0 ? 2 : 1); copy++) {
        const answer = await postWebhook(server.webhook, body);
        if (answer.status !== 200) throw new Error(`webhook answered ${answer.status}`);
      }
    }
  };
  await Promise.all(Array.from({ length: senders }, sender));
}

const codes = (s: Subscriber) => JSON.stringify(s.errors);

for (const target of await databaseTargets()) {
  describe.skipIf(target.unavailable !== null)(`resumable subscriptions (${target.kind})`, () => {
    let db: TestDatabase;
    let server: TestServer;
    const clients: Client[] = [];
    const client = (at: TestServer) => {
      const created = wsClient(at.ws, 'all-key');
      clients.push(created);
      return created;
    };

    /** The account's click ids in the order the stream defines (how the database stores them). */
    const streamOrder = async (account: string) =>
      (
        await db.rows<{ id: string | number }>(
          `SELECT id FROM click_events WHERE business_account_id = '${account}' ORDER BY ${
            target.kind === 'postgres' ? 'tx_id, id' : 'id'
          }`,
        )
      ).map((row) => String(row.id));

    /** Seeds 30 clicks in one delivery and returns the cursor of the 10th stored, from clickEvents. */
    const seed = async (account: string) => {
      const seeded = Array.from({ length: 30 }, (_, i) =>
        sampleClickAction({ click_id: `${account}-seed-${i}` }),
      );
      await postWebhook(
        server.webhook,
        sampleClickDelivery({ businessAccountId: account, actions: seeded }),
      );
      const page = await graphql(server.graphql, PAGE, { account }, KEY);
      // The 10th stored (a delivery's clicks are stored in key order, not as listed).
      const edges = [...page.data.clickEvents.edges].sort((a: any, b: any) =>
        Number(BigInt(a.node.id) - BigInt(b.node.id)),
      );
      const edge = edges[9];
      expect(edge.node.cursor).toBe(edge.cursor);
      return { cursor: edge.cursor as string, id: String(edge.node.id) };
    };

    /** Resumes from `cursor` on `first`, switches to `second` after `switchAfter` events. */
    const resumeAcross = async (
      account: string,
      cursor: string,
      [first, second]: [TestServer, TestServer],
      expected: number,
      load: Promise<void>,
    ) => {
      const one = subscribe(client(first), { account, after: cursor }, RESUME);
      await until(
        '300 events on the first subscription',
        async () => one.events.length >= 300,
        60_000,
      );
      one.stop();
      const before = [...one.events];
      const two = subscribe(client(second), { account, after: before.at(-1).cursor }, RESUME);
      await load;
      await until(
        `all ${expected} events`,
        async () => before.length + two.events.length >= expected,
        60_000,
      );
      await sleep(500); // a duplicate would arrive now
      expect(one.errors).toEqual([]);
      expect(two.errors).toEqual([]);
      return [...before, ...two.events];
    };

    beforeAll(async () => {
      db = await target.create();
      server = await startTestServer({ DATABASE_URL: db.url, CLICKS_API_KEYS: KEYS });
    });

    afterAll(async () => {
      await Promise.all(clients.splice(0).map(async (c) => c.dispose()));
      await server?.app.close();
      await db?.dispose();
    });

    it('gets every click after the cursor, then 1,000 live ones, exactly once and in order, across a reconnect', async () => {
      const account = newAccount();
      const { cursor, id } = await seed(account);
      const load = sendClicks([server], account, { deliveries: 100, size: 10 });

      const events = await resumeAcross(account, cursor, [server, server], 20 + 1000, load);

      const stored = await streamOrder(account);
      expect(stored.length).toBe(1030);
      const after = stored.slice(stored.indexOf(id) + 1);
      expect(events.map((e) => String(e.id))).toEqual(after);
      expect(new Set(events.map((e) => e.clickId)).size).toBe(1020);
      for (const event of events) expect(typeof event.cursor).toBe('string');
    });

    it('applies the filter to the stored and the live clicks alike', async () => {
      const account = newAccount();
      const { cursor } = await seed(account);
      const subscriber = subscribe(
        client(server),
        { account, after: cursor, filter: { clickComponent: 'BODY' } },
        RESUME,
      );
      await sendClicks([server], account, { deliveries: 10, size: 10 });
      await until('50 BODY clicks', async () => subscriber.events.length >= 50);
      await sleep(300);
      expect(subscriber.events.length).toBe(50);
      expect(new Set(subscriber.events.map((e) => e.clickComponent))).toEqual(new Set(['BODY']));
      subscriber.stop();
    });

    it('refuses a forged cursor, a cursor of another account and one that names no click with BAD_USER_INPUT', async () => {
      const account = newAccount();
      const other = newAccount();
      const { cursor, id } = await seed(account);
      const refused = [
        'not-a-cursor',
        encodeCursor({ occurredAt: 1, id }), // the id, with another time
        encodeCursor({ occurredAt: Date.now(), id: '999999999' }),
      ].map((after) => subscribe(client(server), { account, after }, RESUME));
      refused.push(subscribe(client(server), { account: other, after: cursor }, RESUME));
      await until('four refusals', async () => refused.every((s) => s.errors.length > 0));
      await postWebhook(
        server.webhook,
        sampleClickDelivery({ businessAccountId: account, actions: [sampleClickAction()] }),
      );
      await sleep(200);
      for (const subscriber of refused) {
        expect(codes(subscriber)).toContain('BAD_USER_INPUT');
        expect(subscriber.events).toEqual([]);
      }
    });

    if (target.kind === 'postgres') {
      describe.skipIf(redisMissing !== null)('two instances on Redis', () => {
        let one: TestServer;
        let two: TestServer;

        beforeAll(async () => {
          one = await startTestServer({ DATABASE_URL: db.url, CLICKS_API_KEYS: KEYS, REDIS_URL });
          two = await startTestServer({ DATABASE_URL: db.url, CLICKS_API_KEYS: KEYS, REDIS_URL });
        });

        afterAll(async () => {
          await one?.app.close();
          await two?.app.close();
        });

        it('resumes on the other instance while both store clicks: each once, in order', async () => {
          const account = newAccount();
          const { cursor, id } = await seed(account);
          const load = sendClicks([one, two], account, { deliveries: 100, size: 10, senders: 6 });

          const events = await resumeAcross(account, cursor, [one, two], 20 + 1000, load);

          const stored = await streamOrder(account);
          const after = stored.slice(stored.indexOf(id) + 1);
          expect(after.length).toBe(1020);
          expect(events.map((e) => String(e.id))).toEqual(after);
        });
      });
    }
  });
}
