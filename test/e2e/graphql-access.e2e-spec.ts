// The GraphQL read API's refusals on every database: keys and their accounts, bad input, the
// cost limit; and a production server without keys.
import { describe, expect, it } from 'vitest';
import { sampleClickAction, sampleClickDelivery } from '../../src/testing/index.js';
import { databaseTargets, sqliteDatabase } from '../support/databases.js';
import { codes, graphql } from '../support/graphql.js';
import { type Node, PAGE, SERIES, seededGraphql, STATS } from '../support/seeded-graphql.js';
import { startTestServer } from '../support/server.js';
import { postWebhook } from '../support/webhooks.js';

const targets = await databaseTargets();

describe.each(targets)('GraphQL errors and access on $kind', (target) => {
  describe.skipIf(target.unavailable !== null)('seeded', () => {
    const { server, ofA, query, walk } = seededGraphql(target);

    describe('errors and access', () => {
      it('is UNAUTHENTICATED without a key or with an unknown one, with no data', async () => {
        for (const key of [undefined, 'wrong-key']) {
          const answer = await graphql(server.url, STATS, { account: 'waba-a' }, key);
          expect(codes(answer)).toEqual(['UNAUTHENTICATED']);
          expect(answer.data?.clickStats ?? null).toBeNull();
        }
      });

      it('is FORBIDDEN outside the key scope, for pages and stats, with no data', async () => {
        const page = await query(PAGE, { account: 'waba-b', first: 5 }, 'a-key');
        const stats = await query(STATS, { account: 'waba-b' }, 'a-key');
        expect(codes(page)).toEqual(['FORBIDDEN']);
        expect(codes(stats)).toEqual(['FORBIDDEN']);
        expect(page.data?.clickEvents ?? null).toBeNull();
        expect(stats.data?.clickStats ?? null).toBeNull();
        expect(
          (await query(STATS, { account: 'waba-b' }, 'ab-key')).data.clickStats.total,
        ).toBeGreaterThan(0);
      });

      it("never shows another account's click, by id or by click_id", async () => {
        const [nodeOfB] = (
          await query(PAGE, { account: 'waba-b', first: 1 })
        ).data.clickEvents.edges.map((e: { node: Node }) => e.node);
        const one = `query One($id: ID!) { clickEvent(id: $id) { id } }`;
        expect((await query(one, { id: nodeOfB.id }, 'a-key')).data.clickEvent).toBeNull();
        expect((await query(one, { id: nodeOfB.id }, 'ab-key')).data.clickEvent).toEqual({
          id: nodeOfB.id,
        });
        // Account B reuses A's click id "a-1": each account sees only its own.
        const inA = await walk('waba-a', { clickId: 'a-1' }, 10, 'a-key');
        expect(inA.map((n) => n.businessAccountId)).toEqual(['waba-a']);
        const stats = await query(
          STATS,
          { account: 'waba-a', filter: { clickId: 'a-1' } },
          'a-key',
        );
        expect(stats.data.clickStats.total).toBe(1);
      });

      it.each([
        ['first 0', PAGE, { account: 'waba-a', first: 0 }],
        ['first 501', PAGE, { account: 'waba-a', first: 501 }],
        ['a cursor that is not ours', PAGE, { account: 'waba-a', after: 'bm90LWEtY3Vyc29y' }],
        ['a garbage cursor', PAGE, { account: 'waba-a', after: '%%%' }],
        [
          'an unknown time zone',
          SERIES,
          { account: 'waba-a', interval: 'DAY', tz: 'Mars/Olympus' },
        ],
        [
          'too many buckets',
          SERIES,
          {
            account: 'waba-a',
            interval: 'MINUTE',
            filter: { from: '2020-01-01T00:00:00Z', to: '2025-01-01T00:00:00Z' },
          },
        ],
        ['a byProduct limit of 0', STATS, { account: 'waba-a', limit: 0 }],
      ])('is BAD_USER_INPUT for %s', async (_name, q, variables) => {
        const answer = await query(q, variables);
        expect(codes(answer)).toContain('BAD_USER_INPUT');
        expect(answer.errors![0]!.message.length).toBeGreaterThan(10);
      });

      it('refuses hundreds of aliased clickStats before running them, and keeps serving', async () => {
        const aliases = Array.from(
          { length: 200 },
          (_, i) =>
            `s${i}: clickStats(businessAccountId: "waba-a") { total byProduct { key count } timeseries(interval: DAY) { start count } }`,
        ).join('\n');
        const answer = await query(`{ ${aliases} }`);
        expect(codes(answer)).toEqual(['BAD_USER_INPUT']);
        expect(answer.errors![0]!.message).toMatch(/cost \d+ is above the limit of 2000/);
        expect(answer.data).toBeUndefined();

        const next = await query(STATS, { account: 'waba-a' });
        expect(next.data.clickStats.total).toBe(ofA.length);
      });
    });
  });
});

describe('GraphQL in production without API keys', () => {
  it('answers every read UNAUTHENTICATED while webhooks keep working, unless anonymous is allowed', async () => {
    for (const [allowAnonymous, expected] of [
      ['false', ['UNAUTHENTICATED']],
      ['true', []],
    ] as const) {
      const db = await sqliteDatabase();
      const server = await startTestServer({
        DATABASE_URL: db.url,
        NODE_ENV: 'production',
        CLICKS_ALLOW_ANONYMOUS: allowAnonymous,
      });
      try {
        const stored = await postWebhook(
          server.webhook,
          sampleClickDelivery({ actions: [sampleClickAction()] }),
        );
        expect(stored.json).toMatchObject({ stored: 1 });
        const answer = await graphql(
          server.graphql,
          '{ clickStats(businessAccountId: "102290129340398") { total } }',
        );
        expect(codes(answer)).toEqual(expected);
        if (expected.length === 0) expect(answer.data.clickStats.total).toBe(1);
      } finally {
        await server.app.close();
        await db.dispose();
      }
    }
  });
});
