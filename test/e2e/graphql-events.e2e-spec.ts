// The GraphQL read API's clickEvents and clickEvent on every database: order, keyset pages
// while clicks arrive, filters, totalCount.
import { describe, expect, it } from 'vitest';
import { sampleClickAction, sampleClickDelivery } from '../../src/testing/index.js';
import { SEED_START, type SeededClick } from '../fixtures/seed-clicks.js';
import { databaseTargets } from '../support/databases.js';
import { type Node, PAGE, seededGraphql } from '../support/seeded-graphql.js';
import { postWebhook } from '../support/webhooks.js';

const targets = await databaseTargets();

describe.each(targets)('GraphQL clickEvents on $kind', (target) => {
  describe.skipIf(target.unavailable !== null)('seeded', () => {
    const { server, ofA, query, walk } = seededGraphql(target);

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
            server.webhook,
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
  });
});
