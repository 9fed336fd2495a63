// Issue 15's findings, each as a regression test on both databases: no query walks time without
// bound, no delivery is poisoned by one action (too deep, too long, too many rejections), a
// negative list size cannot buy cost, and what no Meta delivery can be is kept whole, not parsed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleClickAction, sampleClickDelivery } from '../../src/testing/index.js';
import { databaseTargets, type TestDatabase } from '../support/databases.js';
import { codes, graphql } from '../support/graphql.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { postWebhook } from '../support/webhooks.js';

const targets = await databaseTargets();
const ACCOUNT = '102290129340398';

/** An object nested `depth` levels deep. */
function nested(depth: number): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = { next: value };
  return value;
}

describe.each(targets)('hostile input on $kind', (target) => {
  describe.skipIf(target.unavailable !== null)('', () => {
    let db: TestDatabase;
    let server: TestServer;
    const reasons = async () =>
      (
        await db.rows<{ reason: string }>(
          'SELECT "reason" FROM "rejected_deliveries" ORDER BY "id"',
        )
      ).map((row) => row.reason);

    beforeAll(async () => {
      db = await target.create();
      server = await startTestServer({ DATABASE_URL: db.url });
      const seed = sampleClickDelivery({
        actions: [sampleClickAction({ click_id: 'seed', timestamp: '1763700000' })],
      });
      expect((await postWebhook(server.webhook, seed)).status).toBe(200);
    });
    afterAll(async () => {
      await server?.app.close();
      await db?.dispose();
    });

    it.each([
      ['only to, in the year 9999', { to: '9999-12-31T00:00:00Z' }],
      ['only to, at the last date JavaScript has', { to: '+275760-09-13T00:00:00.000Z' }],
      ['only from, in the year 1', { from: '0001-01-01T00:00:00Z' }],
    ])(
      'answers a DAY timeseries with %s from the data, without walking the range',
      { timeout: 5000 },
      async (_name, filter) => {
        const answer = await graphql(
          server.graphql,
          `query($f: ClickEventFilter) { clickStats(businessAccountId: "${ACCOUNT}", filter: $f) { timeseries(interval: DAY, timezone: "Europe/Berlin") { start count } } }`,
          { f: filter },
        );
        expect(answer.errors).toBeUndefined();
        expect(answer.data.clickStats.timeseries).toEqual([
          { start: '2025-11-20T23:00:00.000Z', count: 1 },
        ]);
      },
    );

    it('refuses a negative first from lowering the cost of 400 clickStats, with HTTP 400', async () => {
      const stats = Array.from(
        { length: 400 },
        (_, i) =>
          `s${i}: clickStats(businessAccountId: "${ACCOUNT}") { total byProduct { key count } }`,
      ).join(' ');
      const answer = await graphql(
        server.graphql,
        `{ clickEvents(businessAccountId: "${ACCOUNT}", first: -2147483648) { totalCount } ${stats} }`,
      );
      expect(answer.status).toBe(400);
      expect(codes(answer)).toEqual(['BAD_USER_INPUT']);
      expect(answer.errors![0]!.message).toMatch(/query cost \d+ is above the limit of 2000/);
    });

    it('costs one query text anew for each set of variables (costs are remembered per both)', async () => {
      const pages = Array.from(
        { length: 40 },
        (_, i) => `p${i}: clickEvents(businessAccountId: "${ACCOUNT}", first: $n) { totalCount }`,
      ).join(' ');
      const query = `query($n: Int) { ${pages} }`;
      const small = await graphql(server.graphql, query, { n: 1 }); // 40 x 21
      expect([small.status, small.errors]).toEqual([200, undefined]);
      const large = await graphql(server.graphql, query, { n: 500 }); // 40 x 70
      expect(large.status).toBe(400);
      expect(large.errors![0]!.message).toMatch(/query cost 2800 is above the limit of 2000/);
      expect((await graphql(server.graphql, query, { n: 1 })).errors).toBeUndefined();
    });

    it('keeps a valid action beside ones nested 3,100 levels deep, and rejects those with the reason', async () => {
      const deep = nested(3100);
      const delivery = sampleClickDelivery({
        actions: [
          sampleClickAction({ click_id: 'beside-deep' }),
          { ...sampleClickAction({ click_id: 'deep-1' }), unknown_field: deep },
          { ...sampleClickAction({ click_id: undefined }), unknown_field: deep },
        ],
      });
      const before = (await reasons()).length;
      const answer = await postWebhook(server.webhook, delivery);
      expect([answer.status, answer.json]).toEqual([
        200,
        { stored: 1, duplicates: 0, rejected: 2, ignored: 0 },
      ]);
      expect((await reasons()).slice(before)).toEqual([
        'the action nests deeper than 64 levels',
        'the action nests deeper than 64 levels',
      ]);
      expect((await postWebhook(server.webhook, delivery)).json).toMatchObject({
        stored: 0,
        duplicates: 1,
      });
    });

    it('rejects values too long for an index, alike on both databases, and stores their siblings', async () => {
      const long = 'x'.repeat(3000);
      const delivery = sampleClickDelivery({
        actions: [
          sampleClickAction({ click_id: 'beside-long' }),
          sampleClickAction({ click_id: long }),
          sampleClickAction({ product_id: long }),
          sampleClickAction({ action_type: long }),
          sampleClickAction({ click_component: long }),
        ],
      });
      const before = (await reasons()).length;
      const answer = await postWebhook(server.webhook, delivery);
      expect([answer.status, answer.json]).toEqual([
        200,
        { stored: 1, duplicates: 0, rejected: 4, ignored: 0 },
      ]);
      expect((await reasons()).slice(before)).toEqual([
        'marketing_messages_link_click_data.click_id is longer than 512 bytes',
        'marketing_messages_link_click_data.product_id is longer than 512 bytes',
        'action_type is longer than 256 bytes',
        'marketing_messages_link_click_data.click_component is longer than 64 bytes',
      ]);

      const longAccount = sampleClickDelivery({
        businessAccountId: '9'.repeat(3000),
        actions: [sampleClickAction()],
      });
      const second = await postWebhook(server.webhook, longAccount);
      expect([second.status, second.json]).toEqual([
        200,
        { stored: 0, duplicates: 0, rejected: 1, ignored: 0 },
      ]);
      expect((await reasons()).at(-1)).toBe(
        'entry.id (the business account id) is longer than 128 bytes',
      );
    });

    it('stores 9,400 rejected actions of one delivery (past one statement of 65,535 parameters)', async () => {
      const bad = Array.from({ length: 9400 }, () => ({
        action_type: 'marketing_messages_link_click',
      }));
      const delivery = sampleClickDelivery({
        actions: [sampleClickAction({ click_id: 'beside-many' }), ...bad],
      });
      const before = await db.count('rejected_deliveries');
      const answer = await postWebhook(server.webhook, delivery);
      expect([answer.status, answer.json]).toEqual([
        200,
        { stored: 1, duplicates: 0, rejected: 9400, ignored: 0 },
      ]);
      expect((await db.count('rejected_deliveries')) - before).toBe(9400);
    });

    it('keeps a delivery of 12,000 actions whole, unparsed, and answers 400', async () => {
      const delivery = sampleClickDelivery({
        actions: Array.from({ length: 12_000 }, (_, i) => ({ action_type: 'a', timestamp: i })),
      });
      const clicksBefore = await db.count('click_events');
      const answer = await postWebhook(server.webhook, delivery);
      expect(answer.status).toBe(400);
      expect(answer.json.message).toMatch(/12000 actions in one delivery, more than 10000/);
      expect(await db.count('click_events')).toBe(clicksBefore);
      const [kept] = await db.rows<{ kind: string; payload: string }>(
        'SELECT "kind", "payload" FROM "rejected_deliveries" ORDER BY "id" DESC LIMIT 1',
      );
      expect(kept!.kind).toBe('body');
      expect(JSON.parse(kept!.payload)).toEqual(delivery);
    });

    it('keeps a __proto__ unknown field, and rejects click ids with lone surrogates instead of collapsing them', async () => {
      const withProto = JSON.parse(
        JSON.stringify(sampleClickAction({ click_id: 'proto-1' })).replace(
          /^\{/,
          '{"__proto__":{"x":1},',
        ),
      ) as Record<string, unknown>;
      const delivery = sampleClickDelivery({
        actions: [
          withProto,
          sampleClickAction({ click_id: 'lone-\uD800' }),
          sampleClickAction({ click_id: 'lone-\uDBFF' }),
        ],
      });
      const answer = await postWebhook(server.webhook, JSON.stringify(delivery));
      expect(answer.json).toEqual({ stored: 1, duplicates: 0, rejected: 2, ignored: 0 });
      const [row] = await db.rows<{ extra: string }>(
        `SELECT "extra" FROM "click_events" WHERE "click_id" = 'proto-1'`,
      );
      expect(JSON.parse(row!.extra)).toEqual(JSON.parse('{"__proto__":{"x":1}}'));
      expect((await reasons()).slice(-2)).toEqual([
        'marketing_messages_link_click_data.click_id is not a string (without NUL or lone surrogates)',
        'marketing_messages_link_click_data.click_id is not a string (without NUL or lone surrogates)',
      ]);
    });
  });
});
