import type { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClickReconciliation } from '../../src/index.js';
import { sampleClickAction, sampleClickDelivery } from '../../src/testing/index.js';
import { databaseTargets, type TestDatabase } from '../support/databases.js';
import { startFakeGraphApi } from '../support/fake-graph-api.js';
import { graphql } from '../support/graphql.js';
import { startTestServer } from '../support/server.js';
import { postWebhook } from '../support/webhooks.js';

const targets = await databaseTargets();
const DAY = 86_400_000;
const TOKEN = 'graph-test-token';
const today = Math.floor(Date.now() / DAY) * DAY;
/** Noon of `n` days ago, UTC, in unix seconds. */
const noon = (n: number) => (today - n * DAY + DAY / 2) / 1000;

describe.each(targets)('reconciliation with Meta on $kind', (target) => {
  describe.skipIf(target.unavailable !== null)('', () => {
    let db: TestDatabase;
    let app: INestApplication;
    let base: string;
    let url: string;
    let meta: Awaited<ReturnType<typeof startFakeGraphApi>>;
    const account = `reconcile-${target.kind}`;

    const clicks = (n: number, daysAgo: number, component = 'cta') =>
      Array.from({ length: n }, (_, i) =>
        sampleClickAction({
          click_id: `${account}-${daysAgo}-${component}-${i}`,
          click_component: component,
          timestamp: String(noon(daysAgo) + i),
        }),
      );

    beforeAll(async () => {
      meta = await startFakeGraphApi(TOKEN);
      meta.setDays(account, [
        {
          start: noon(5) - 43_200,
          clicked: [
            { type: 'url_button', count: 3 },
            { type: 'quick_reply_button', count: 2 },
          ],
        },
        { start: noon(4) - 43_200, clicked: [{ type: 'url_button', count: 2 }] },
        { start: noon(1) - 43_200, clicked: [{ type: 'url_button', count: 5 }] },
      ]);
      db = await target.create();
      ({
        app,
        base,
        graphql: url,
      } = await startTestServer({
        DATABASE_URL: db.url,
        CLICKS_RECONCILE_TOKEN: TOKEN,
        CLICKS_RECONCILE_ACCOUNTS: account,
        CLICKS_RECONCILE_TEMPLATES: 'tmpl-1',
        CLICKS_GRAPH_API_URL: meta.baseUrl,
      }));
      const delivery = sampleClickDelivery({
        businessAccountId: account,
        actions: [...clicks(3, 5), ...clicks(1, 5, 'body'), ...clicks(1, 4), ...clicks(2, 1)],
      });
      expect((await postWebhook(`${base}/webhooks/whatsapp`, delivery)).status).toBe(200);
    });
    afterAll(async () => {
      await app?.close();
      await db?.dispose();
      await meta?.close();
    });

    it("compares Meta's CTA clicks per day with those stored, judging settled days only", async () => {
      const reconciliation = app.get(ClickReconciliation);
      // Begins after the check at start, if that one is still running.
      const days = await reconciliation.runOnce();
      const byDay = (n: number) => days.find((d) => d.day === today - n * DAY);
      expect(byDay(5)).toMatchObject({ metaClicks: 3, storedClicks: 3, drift: 0, settled: true });
      expect(byDay(4)).toMatchObject({ metaClicks: 2, storedClicks: 1, drift: 1, settled: true });
      expect(byDay(1)).toMatchObject({ metaClicks: 5, storedClicks: 2, drift: 3, settled: false });
      expect(byDay(0)).toMatchObject({ metaClicks: 0, storedClicks: 0, settled: false });
      expect(reconciliation.settledDrift().get(account)).toBe(1);

      const asked = meta.requests.at(-1)!;
      expect(Object.fromEntries(asked.searchParams)).toMatchObject({
        granularity: 'DAILY',
        metric_types: '["CLICKED"]',
        template_ids: '["tmpl-1"]',
        product_type: 'MARKETING_MESSAGES_LITE_API',
      });

      const answer = await graphql(
        url,
        `
          query ($a: ID!) {
            clickReconciliation(businessAccountId: $a, days: 8) {
              day
              metaClicks
              storedClicks
              drift
              settled
            }
          }
        `,
        { a: account },
      );
      expect(answer.data.clickReconciliation[0].day).toBe(new Date(today).toISOString());
      expect(answer.data.clickReconciliation).toContainEqual({
        day: new Date(today - 4 * DAY).toISOString(),
        metaClicks: 2,
        storedClicks: 1,
        drift: 1,
        settled: true,
      });
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toContain(
        `whatsapp_clicks_reconciliation_drift{business_account_id="${account}"} 1`,
      );
    });

    it('keeps what it knew when Meta cannot be asked', async () => {
      meta.fail(503);
      const reconciliation = app.get(ClickReconciliation);
      expect(await reconciliation.runOnce()).toEqual([]);
      meta.fail(null);
      const kept = await reconciliation.days(account, 8);
      expect(kept.find((d) => d.day === today - 4 * DAY)).toMatchObject({ drift: 1 });
    });
  });
});
