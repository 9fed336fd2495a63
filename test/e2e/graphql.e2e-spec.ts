import type { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleClickAction, sampleClickDelivery } from '../../src/testing/index.js';
import { deliveriesOf, SEED_START, seedClicks, type SeededClick } from '../fixtures/seed-clicks.js';
import { databaseTargets, sqliteDatabase, type TestDatabase } from '../support/databases.js';
import { codes, graphql } from '../support/graphql.js';
import { startTestServer } from '../support/server.js';
import { expectedBreakdown } from '../support/stats-oracle.js';
import { postWebhook } from '../support/webhooks.js';

const targets = await databaseTargets();
const KEYS = 'all-key=*,a-key=waba-a,ab-key=waba-a|waba-b';

const PAGE = `query Page($account: ID!, $filter: ClickEventFilter, $first: Int, $after: String) {
  clickEvents(businessAccountId: $account, filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id businessAccountId clickId clickComponent productId phoneNumberId actionType occurredAt } }
  }
}`;

const STATS = `query Stats($account: ID!, $filter: ClickEventFilter, $limit: Int) {
  clickStats(businessAccountId: $account, filter: $filter) {
    total
    byComponent { key count }
    byActionType { key count }
    byPhoneNumber { key count }
    byProduct(limit: $limit) { key count }
  }
}`;

const SERIES = `query Series($account: ID!, $filter: ClickEventFilter, $interval: StatsInterval!, $tz: String) {
  clickStats(businessAccountId: $account, filter: $filter) { timeseries(interval: $interval, timezone: $tz) { start count } }
}`;

type Node = {
  id: string;
  businessAccountId: string;
  clickId: string | null;
  clickComponent: string | null;
  productId: string | null;
  phoneNumberId: string;
  actionType: string;
  occurredAt: string;
};

/** The local calendar date of an instant, computed independently of the code under test. */
const localDate = (seconds: number, timeZone: string) =>
  new Intl.DateTimeFormat('en-CA', { timeZone }).format(new Date(seconds * 1000));

describe.each(targets)('GraphQL read API on $kind', (target) => {
  describe.skipIf(target.unavailable !== null)('queries', () => {
    let db: TestDatabase;
    let app: INestApplication;
    let url: string;
    let webhook: string;
    const seeded = seedClicks();
    const ofA = seeded.filter((c) => c.account === 'waba-a');
    const query = (q: string, variables: Record<string, unknown> = {}, key = 'all-key') =>
      graphql(url, q, variables, key);

    async function walk(account: string, filter: object | null, first: number, key = 'all-key') {
      const nodes: Node[] = [];
      let after: string | null = null;
      for (let pages = 0; pages < 1000; pages++) {
        const answer = await query(PAGE, { account, filter, first, after }, key);
        expect(answer.errors).toBeUndefined();
        const connection = answer.data.clickEvents;
        nodes.push(...connection.edges.map((e: { node: Node }) => e.node));
        if (!connection.pageInfo.hasNextPage) return nodes;
        after = connection.pageInfo.endCursor;
      }
      throw new Error('pagination did not end');
    }

    beforeAll(async () => {
      db = await target.create();
      ({
        app,
        graphql: url,
        webhook,
      } = await startTestServer({
        DATABASE_URL: db.url,
        CLICKS_API_KEYS: KEYS,
      }));
      for (const delivery of deliveriesOf(seeded)) {
        const answer = await postWebhook(webhook, delivery);
        expect(answer.status).toBe(200);
      }
    });

    afterAll(async () => {
      await app?.close();
      await db?.dispose();
    });

    describe('clickEvents', () => {
      it('walks every row of the account once, newest first, ties by id', async () => {
        const nodes = await walk('waba-a', null, 7);

        expect(nodes).toHaveLength(ofA.length);
        expect(new Set(nodes.map((n) => n.id)).size).toBe(ofA.length);
        for (let i = 1; i < nodes.length; i++) {
          const [previous, current] = [nodes[i - 1]!, nodes[i]!];
          const order =
            Date.parse(previous.occurredAt) - Date.parse(current.occurredAt) ||
            Number(previous.id) - Number(current.id);
          expect(order).toBeGreaterThan(0);
        }
        expect(nodes.every((n) => n.businessAccountId === 'waba-a')).toBe(true);
        expect(
          nodes
            .filter((n) => n.clickId !== null)
            .map((n) => n.clickId)
            .sort(),
        ).toEqual(
          ofA
            .filter((c) => c.clickId !== null)
            .map((c) => c.clickId)
            .sort(),
        );
      });

      it('walks every existing row once while new clicks arrive between pages', async () => {
        const before = await walk('waba-b', null, 500);
        const seen: Node[] = [];
        let after: string | null = null;
        let inserted = 0;
        do {
          const answer = await query(PAGE, { account: 'waba-b', first: 9, after });
          seen.push(...answer.data.clickEvents.edges.map((e: { node: Node }) => e.node));
          after = answer.data.clickEvents.pageInfo.hasNextPage
            ? answer.data.clickEvents.pageInfo.endCursor
            : null;
          // One newer and one older click (Meta does not keep order) during the walk.
          const stamp = (SEED_START + (inserted % 2 === 0 ? 10_000_000 : -10_000_000)).toString();
          await postWebhook(
            webhook,
            sampleClickDelivery({
              businessAccountId: 'waba-b',
              actions: [
                sampleClickAction({
                  click_id: `live-${target.kind}-${inserted++}`,
                  timestamp: stamp,
                }),
              ],
            }),
          );
        } while (after);

        const ids = seen.map((n) => n.id);
        expect(new Set(ids).size).toBe(ids.length);
        const seenIds = new Set(ids);
        expect(before.every((n) => seenIds.has(n.id))).toBe(true);
        for (let i = 1; i < seen.length; i++) {
          expect(Date.parse(seen[i - 1]!.occurredAt)).toBeGreaterThanOrEqual(
            Date.parse(seen[i]!.occurredAt),
          );
        }
      });

      it('counts the whole filtered set in totalCount, whatever the page', async () => {
        const first = await query(PAGE, { account: 'waba-a', first: 5 });
        const second = await query(PAGE, {
          account: 'waba-a',
          first: 5,
          after: first.data.clickEvents.pageInfo.endCursor,
        });
        expect(first.data.clickEvents.totalCount).toBe(ofA.length);
        expect(second.data.clickEvents.totalCount).toBe(ofA.length);
        expect(second.data.clickEvents.edges[0].node.id).not.toBe(
          first.data.clickEvents.edges[0].node.id,
        );
      });

      const from = new Date((SEED_START + 86_400) * 1000).toISOString();
      const to = new Date((SEED_START + 3 * 86_400) * 1000).toISOString();
      const inRange = (c: SeededClick) =>
        c.timestamp * 1000 >= Date.parse(from) && c.timestamp * 1000 < Date.parse(to);
      const filters: [string, object, (c: SeededClick) => boolean][] = [
        ['from', { from }, (c) => c.timestamp * 1000 >= Date.parse(from)],
        ['to', { to }, (c) => c.timestamp * 1000 < Date.parse(to)],
        ['clickComponent', { clickComponent: 'BODY' }, (c) => c.clickComponent === 'body'],
        ['productId', { productId: 'p2' }, (c) => c.productId === 'p2'],
        ['phoneNumberId', { phoneNumberId: 'ph-2' }, (c) => c.phoneNumberId === 'ph-2'],
        [
          'actionType',
          { actionType: 'landing_page_view' },
          (c) => c.actionType === 'landing_page_view',
        ],
        ['clickId', { clickId: 'a-1' }, (c) => c.clickId === 'a-1'],
        [
          'all of them together',
          {
            from,
            to,
            clickComponent: 'CTA',
            productId: 'p1',
            phoneNumberId: 'ph-1',
            actionType: 'marketing_messages_link_click',
          },
          (c) =>
            inRange(c) &&
            c.clickComponent === 'cta' &&
            c.productId === 'p1' &&
            c.phoneNumberId === 'ph-1' &&
            c.actionType === 'marketing_messages_link_click',
        ],
      ];

      it.each(filters)('filters by %s', async (_name, filter, matches) => {
        const expected = ofA.filter(matches);
        expect(expected.length).toBeGreaterThan(0);
        const nodes = await walk('waba-a', filter, 100);
        expect(nodes.length).toBe(expected.length);
        expect(nodes.map((n) => n.clickId ?? '').sort()).toEqual(
          expected.map((c) => c.clickId ?? '').sort(),
        );
        const total = await query(PAGE, { account: 'waba-a', filter, first: 1 });
        expect(total.data.clickEvents.totalCount).toBe(expected.length);
      });

      it('finds a click by id, as null for ids that do not exist', async () => {
        const [node] = (
          await query(PAGE, { account: 'waba-a', first: 1 })
        ).data.clickEvents.edges.map((e: { node: Node }) => e.node);
        const one = `query One($id: ID!) { clickEvent(id: $id) { id clickId businessAccountId } }`;
        expect((await query(one, { id: node.id })).data.clickEvent).toEqual({
          id: node.id,
          clickId: node.clickId,
          businessAccountId: 'waba-a',
        });
        for (const id of ['999999999', 'not-an-id', '1'.repeat(30)]) {
          const answer = await query(one, { id });
          expect(answer.errors).toBeUndefined();
          expect(answer.data.clickEvent).toBeNull();
        }
      });
    });

    describe('clickStats', () => {
      it('computes every breakdown as the seeded data says', async () => {
        const answer = await query(STATS, { account: 'waba-a', limit: 2 });
        expect(answer.errors).toBeUndefined();
        const components = ofA.map((c) =>
          c.clickComponent === null ? null : c.clickComponent.toUpperCase(),
        );
        expect(answer.data.clickStats).toEqual({
          total: ofA.length,
          byComponent: expectedBreakdown(components),
          byActionType: expectedBreakdown(ofA.map((c) => c.actionType)),
          byPhoneNumber: expectedBreakdown(ofA.map((c) => c.phoneNumberId)),
          byProduct: expectedBreakdown(
            ofA.map((c) => c.productId),
            2,
          ),
        });
      });

      it('applies the filter to every field', async () => {
        const filter = { clickComponent: 'CTA', phoneNumberId: 'ph-1' };
        const subset = ofA.filter((c) => c.clickComponent === 'cta' && c.phoneNumberId === 'ph-1');
        const answer = await query(STATS, { account: 'waba-a', filter, limit: 10 });
        expect(answer.data.clickStats.total).toBe(subset.length);
        expect(answer.data.clickStats.byProduct).toEqual(
          expectedBreakdown(subset.map((c) => c.productId)),
        );
        expect(answer.data.clickStats.byComponent).toEqual([{ key: 'CTA', count: subset.length }]);
      });

      it.each([
        [
          'UTC',
          [
            '2025-03-05T00:00:00.000Z',
            '2025-03-06T00:00:00.000Z',
            '2025-03-07T00:00:00.000Z',
            '2025-03-08T00:00:00.000Z',
            '2025-03-09T00:00:00.000Z',
            '2025-03-10T00:00:00.000Z',
            '2025-03-11T00:00:00.000Z',
            '2025-03-12T00:00:00.000Z',
          ],
        ],
        [
          'Asia/Kolkata',
          [
            '2025-03-04T18:30:00.000Z',
            '2025-03-05T18:30:00.000Z',
            '2025-03-06T18:30:00.000Z',
            '2025-03-07T18:30:00.000Z',
            '2025-03-08T18:30:00.000Z',
            '2025-03-09T18:30:00.000Z',
            '2025-03-10T18:30:00.000Z',
            '2025-03-11T18:30:00.000Z',
          ],
        ],
        // 2025-03-09 lasts 23 hours in New York.
        [
          'America/New_York',
          [
            '2025-03-05T05:00:00.000Z',
            '2025-03-06T05:00:00.000Z',
            '2025-03-07T05:00:00.000Z',
            '2025-03-08T05:00:00.000Z',
            '2025-03-09T05:00:00.000Z',
            '2025-03-10T04:00:00.000Z',
            '2025-03-11T04:00:00.000Z',
            '2025-03-12T04:00:00.000Z',
          ],
        ],
      ])('counts DAY buckets in %s, zero-filled between from and to', async (tz, starts) => {
        const from = '2025-03-05T12:00:00.000Z';
        const to = '2025-03-12T06:00:00.000Z';
        const answer = await query(SERIES, {
          account: 'waba-a',
          filter: { from, to },
          interval: 'DAY',
          tz,
        });
        expect(answer.errors).toBeUndefined();
        const buckets = answer.data.clickStats.timeseries as { start: string; count: number }[];
        expect(buckets.map((b) => b.start)).toEqual(starts);

        const expected = new Map<string, number>();
        for (const c of ofA) {
          if (c.timestamp * 1000 < Date.parse(from) || c.timestamp * 1000 >= Date.parse(to))
            continue;
          const day = localDate(c.timestamp, tz);
          expected.set(day, (expected.get(day) ?? 0) + 1);
        }
        expect(buckets.map((b) => [localDate(Date.parse(b.start) / 1000, tz), b.count])).toEqual(
          starts.map((s) => [
            localDate(Date.parse(s) / 1000, tz),
            expected.get(localDate(Date.parse(s) / 1000, tz)) ?? 0,
          ]),
        );
        // The seeded clicks begin on 2025-03-07: the first buckets are present, with 0.
        expect(buckets[0]!.count).toBe(0);
        expect(buckets.reduce((sum, b) => sum + b.count, 0)).toBe(
          [...expected.values()].reduce((a, b) => a + b, 0),
        );
      });

      it('lists only non-empty buckets without from and to, on half-hour boundaries in Kolkata', async () => {
        const answer = await query(SERIES, {
          account: 'waba-b',
          interval: 'HOUR',
          tz: 'Asia/Kolkata',
        });
        const buckets = answer.data.clickStats.timeseries as { start: string; count: number }[];
        expect(buckets.length).toBeGreaterThan(0);
        expect(buckets.every((b) => new Date(b.start).getUTCMinutes() === 30 && b.count > 0)).toBe(
          true,
        );
        const total = (await query(STATS, { account: 'waba-b' })).data.clickStats.total;
        expect(buckets.reduce((sum, b) => sum + b.count, 0)).toBe(total);
      });
    });

    describe('errors and access', () => {
      it('is UNAUTHENTICATED without a key or with an unknown one, with no data', async () => {
        for (const key of [undefined, 'wrong-key']) {
          const answer = await graphql(url, STATS, { account: 'waba-a' }, key);
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
