import type { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleClickAction, sampleClickDelivery } from '../../src/testing/index.js';
import { databaseTargets, type TestDatabase } from '../support/databases.js';
import { codes, graphql } from '../support/graphql.js';
import { startTestServer } from '../support/server.js';
import { postWebhook } from '../support/webhooks.js';

const targets = await databaseTargets();
const SHOP = 'https://shop.example';
const SERVER_KEY = 'funnel-server-key';

const FUNNEL = `query ($a: ID!, $filter: ClickEventFilter, $steps: [String!]) {
  clickFunnel(businessAccountId: $a, filter: $filter, steps: $steps) {
    steps { name count rate values { currency sum count } }
  }
}`;

describe.each(targets)('the click funnel on $kind', (target) => {
  describe.skipIf(target.unavailable !== null)('', () => {
    let db: TestDatabase;
    let app: INestApplication;
    let base: string;
    let webhook: string;
    let url: string;
    const A = `funnel-a-${target.kind}`;
    const B = `funnel-b-${target.kind}`;
    const id = (n: string) => `${A}-${n}`;

    const deliver = async (
      account: string,
      actions: Record<string, unknown>[],
      sent?: string[],
    ) => {
      const delivery = sampleClickDelivery({ businessAccountId: account, actions });
      if (sent) {
        (delivery.entry as any)[0].changes[0].value.tracking_events = sent.map((clickId) => ({
          event: 'sent',
          timestamp: String(Math.floor(Date.now() / 1000) - 3600),
          tracking_data: { click_id: clickId, tracking_token: 't' },
        }));
      }
      expect((await postWebhook(webhook, delivery)).status).toBe(200);
    };
    const convert = async (body: unknown, headers: Record<string, string>) => {
      const response = await fetch(`${base}/webhooks/whatsapp/conversions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
      expect(response.status).toBe(200);
    };
    const funnel = async (variables: Record<string, unknown>, key = 'all') =>
      graphql(url, FUNNEL, { a: A, ...variables }, key);

    beforeAll(async () => {
      db = await target.create();
      ({
        app,
        base,
        webhook,
        graphql: url,
      } = await startTestServer({
        DATABASE_URL: db.url,
        CLICKS_API_KEYS: `all=*,onlyA=${A},onlyB=${B}`,
        CLICKS_CONVERSIONS: 'true',
        CLICKS_CONVERSIONS_ORIGINS: SHOP,
        CLICKS_CONVERSIONS_KEYS: SERVER_KEY,
      }));

      // Before any click: Meta's landing view of c1, a beacon's purchase of c1.
      await deliver(A, [
        sampleClickAction({ click_id: id('c1'), action_type: 'landing_page_view' }),
      ]);
      await convert(
        { clickId: id('c1'), event: 'purchase', value: 10, currency: 'EUR', id: 'o1' },
        { authorization: `Bearer ${SERVER_KEY}` },
      );
      // Five sent; four clicks with ids (c4 of another product) and one without.
      await deliver(
        A,
        [
          sampleClickAction({ click_id: id('c1') }),
          sampleClickAction({ click_id: id('c2') }),
          sampleClickAction({ click_id: id('c3') }),
          sampleClickAction({ click_id: id('c4'), product_id: 'p2' }),
          sampleClickAction({ click_id: undefined, tracking_token: 'no-id' }),
        ],
        [id('c1'), id('c2'), id('c3'), id('c4'), id('c5')],
      );
      // After the clicks: c2 seen by the landing page (and by Meta too), more purchases.
      await convert(
        { clickId: id('c2'), event: 'landing_page_view', id: 'lpv-c2' },
        { origin: SHOP },
      );
      await deliver(A, [
        sampleClickAction({ click_id: id('c2'), action_type: 'landing_page_view' }),
      ]);
      await convert(
        [
          { clickId: id('c1'), event: 'purchase', value: 5, currency: 'EUR', id: 'o2' },
          { clickId: id('c2'), event: 'purchase', value: 7, currency: 'USD', id: 'o3' },
          { clickId: `${A}-unknown`, event: 'purchase', value: 100, currency: 'EUR', id: 'o4' },
          { clickId: id('c2'), event: 'purchase', value: 7, currency: 'USD', id: 'o3' },
        ],
        { authorization: `Bearer ${SERVER_KEY}` },
      );
      // Another account's click with the same step names: never in A's funnel.
      await deliver(B, [sampleClickAction({ click_id: `${B}-c1` })], [`${B}-c1`]);
      await convert(
        { clickId: `${B}-c1`, event: 'purchase', value: 1, currency: 'EUR' },
        { authorization: `Bearer ${SERVER_KEY}` },
      );
    });
    afterAll(async () => {
      await app?.close();
      await db?.dispose();
    });

    it('counts each step by click id, in any order of arrival, with rates and values', async () => {
      const answer = await funnel({ steps: ['sent', 'click', 'landing_page_view', 'purchase'] });
      expect(answer.errors).toBeUndefined();
      expect(answer.data.clickFunnel.steps).toEqual([
        { name: 'sent', count: 5, rate: null, values: [] },
        { name: 'click', count: 5, rate: 1, values: [] },
        { name: 'landing_page_view', count: 2, rate: 0.4, values: [] },
        {
          name: 'purchase',
          count: 2,
          rate: 1,
          values: [
            { currency: 'EUR', sum: 15, count: 2 },
            { currency: 'USD', sum: 7, count: 1 },
          ],
        },
      ]);
    });

    it('applies the filter to the clicks, and defaults to sent, click, landing_page_view', async () => {
      const byProduct = await funnel({ filter: { productId: 'p2' }, steps: ['click', 'purchase'] });
      expect(byProduct.data.clickFunnel.steps.map((s: { count: number }) => s.count)).toEqual([
        1, 0,
      ]);
      const defaults = await funnel({});
      expect(defaults.data.clickFunnel.steps.map((s: { name: string }) => s.name)).toEqual([
        'sent',
        'click',
        'landing_page_view',
      ]);
      const future = await funnel({
        filter: { from: new Date(Date.now() + 86_400_000).toISOString() },
      });
      expect(future.data.clickFunnel.steps.map((s: { count: number }) => s.count)).toEqual([
        0, 0, 0,
      ]);
    });

    it('breaks the funnel down by component and product, like clickStats', async () => {
      const answer = await graphql(
        url,
        `
          query ($a: ID!) {
            clickFunnel(
              businessAccountId: $a
              steps: ["sent", "click", "landing_page_view", "purchase"]
            ) {
              byComponent {
                key
                steps {
                  name
                  count
                }
              }
              byProduct(limit: 5) {
                key
                steps {
                  name
                  count
                  rate
                  values {
                    currency
                    sum
                    count
                  }
                }
              }
            }
          }
        `,
        { a: A },
        'all',
      );
      expect(answer.errors).toBeUndefined();
      expect(answer.data.clickFunnel.byComponent).toEqual([
        {
          key: 'CTA',
          steps: [
            { name: 'click', count: 5 },
            { name: 'landing_page_view', count: 2 },
            { name: 'purchase', count: 2 },
          ],
        },
      ]);
      expect(answer.data.clickFunnel.byProduct).toEqual([
        {
          key: 'sku_1',
          steps: [
            { name: 'click', count: 4, rate: null, values: [] },
            { name: 'landing_page_view', count: 2, rate: 0.5, values: [] },
            {
              name: 'purchase',
              count: 2,
              rate: 1,
              values: [
                { currency: 'EUR', sum: 15, count: 2 },
                { currency: 'USD', sum: 7, count: 1 },
              ],
            },
          ],
        },
        {
          key: 'p2',
          steps: [
            { name: 'click', count: 1, rate: null, values: [] },
            { name: 'landing_page_view', count: 0, rate: 0, values: [] },
            { name: 'purchase', count: 0, rate: null, values: [] },
          ],
        },
      ]);
    });

    it('refuses other accounts, bad steps and an actionType filter', async () => {
      expect(codes(await funnel({}, 'onlyB'))).toEqual(['FORBIDDEN']);
      expect(codes(await funnel({ steps: [] }))).toEqual(['BAD_USER_INPUT']);
      expect(codes(await funnel({ steps: ['a step'] }))).toEqual(['BAD_USER_INPUT']);
      expect(codes(await funnel({ filter: { actionType: 'x' } }))).toEqual(['BAD_USER_INPUT']);
    });

    it('lists the accounts a key may read, and the conversions of a click', async () => {
      const accounts = `{ clickAccounts { businessAccountId total lastClickAt } }`;
      const all = await graphql(url, accounts, {}, 'all');
      expect(all.data.clickAccounts).toEqual([
        { businessAccountId: A, total: 7, lastClickAt: expect.any(String) },
        { businessAccountId: B, total: 1, lastClickAt: expect.any(String) },
      ]);
      const onlyA = await graphql(url, accounts, {}, 'onlyA');
      expect(
        onlyA.data.clickAccounts.map((a: { businessAccountId: string }) => a.businessAccountId),
      ).toEqual([A]);

      const events = await graphql(
        url,
        `
          query ($a: ID!, $c: String) {
            clickEvents(
              businessAccountId: $a
              filter: { clickId: $c, actionType: "marketing_messages_link_click" }
            ) {
              edges {
                node {
                  clickId
                  conversions {
                    event
                    value
                    currency
                    externalId
                    source
                  }
                }
              }
            }
          }
        `,
        { a: A, c: id('c1') },
        'all',
      );
      expect(events.data.clickEvents.edges[0].node.conversions).toEqual([
        { event: 'purchase', value: 10, currency: 'EUR', externalId: 'o1', source: 'server' },
        { event: 'purchase', value: 5, currency: 'EUR', externalId: 'o2', source: 'server' },
      ]);
      // A page's conversions, read together (one query for the page).
      const page = await graphql(
        url,
        `
          query ($a: ID!) {
            clickEvents(
              businessAccountId: $a
              filter: { actionType: "marketing_messages_link_click" }
            ) {
              edges {
                node {
                  clickId
                  conversions {
                    externalId
                  }
                }
              }
            }
          }
        `,
        { a: A },
        'all',
      );
      const byClick = Object.fromEntries(
        page.data.clickEvents.edges.map((e: any) => [
          e.node.clickId,
          e.node.conversions.map((c: { externalId: string }) => c.externalId),
        ]),
      );
      expect(byClick).toMatchObject({
        [id('c1')]: ['o1', 'o2'],
        [id('c2')]: ['lpv-c2', 'o3'],
        [id('c3')]: [],
        [id('c4')]: [],
      });
    });
  });
});
