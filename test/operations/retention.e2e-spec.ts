import type { INestApplication } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { ClickRetention, FunnelCounter, RollupBackfill, RollupFolding } from '../../src/index.js';
import { resolveConfig } from '../../src/config/resolve-config.js';
import { sampleClickAction, sampleClickDelivery } from '../../src/testing/index.js';
import { databaseTargets, type TestDatabase } from '../support/databases.js';
import { startTestServer } from '../support/server.js';
import { postWebhook } from '../support/webhooks.js';

const targets = await databaseTargets();
const DAY = 86_400_000;

describe.each(targets)('retention on $kind', (target) => {
  describe.skipIf(target.unavailable !== null)('', () => {
    let db: TestDatabase;
    let app: INestApplication;
    let webhook: string;
    let base: string;
    const now = Date.now();
    const seconds = (ms: number) => String(Math.floor(ms / 1000));

    beforeAll(async () => {
      db = await target.create();
      ({ app, webhook, base } = await startTestServer({
        DATABASE_URL: db.url,
        CLICKS_RETENTION_DAYS: '30',
        CLICKS_REJECTED_RETENTION_DAYS: '10',
      }));
      // 150 older (25 days) and 20 recent (1 day) clicks of A; 10 older of B; components and
      // products vary so that every rollup dimension has rows to take out. Younger than the 30
      // days today, so the server's own pass at start (which may run while they are posted)
      // keeps them; the tests run retention 20 days on.
      for (const [account, count, age] of [
        ['A', 150, 25],
        ['A', 20, 1],
        ['B', 10, 25],
      ] as const) {
        const actions = Array.from({ length: count }, (_, i) =>
          sampleClickAction({
            click_id: `${account}-${age}-${i}`,
            timestamp: seconds(now - age * DAY + i * 60_000),
            click_component: i % 3 === 0 ? 'body' : 'cta',
            product_id: `p${i % 4}`,
          }),
        );
        const delivery = sampleClickDelivery({ businessAccountId: account, actions });
        expect((await postWebhook(webhook, delivery)).status).toBe(200);
      }
      expect((await postWebhook(webhook, 'not json')).status).toBe(400);
      expect(await app.get(RollupBackfill, { strict: false }).done()).toBe(true);
    });
    afterAll(async () => {
      await app?.close();
      await db?.dispose();
    });

    const clicksOf = async (account: string) =>
      Number(
        (
          await db.rows<{ n: number }>(
            `SELECT COUNT(*) AS n FROM "click_events" WHERE "business_account_id" = '${account}'`,
          )
        )[0]!.n,
      );
    /** Every (dimension, grain) of the account's rollups sums to its clicks; none is <= 0. */
    const expectRollupsMatch = async (account: string) => {
      // PostgreSQL: retention appended its subtractions; folded, rows that count nothing go.
      await app.get(RollupFolding, { strict: false }).foldAll();
      if (db.kind === 'postgres') expect(await db.count('click_rollup_deltas')).toBe(0);
      const sums = await db.rows<{ d: string; g: string; n: string; low: string }>(
        `SELECT "dimension" AS d, "grain" AS g, SUM("count") AS n, MIN("count") AS low FROM "click_rollups" ` +
          `WHERE "business_account_id" = '${account}' GROUP BY 1, 2`,
      );
      const clicks = await clicksOf(account);
      expect(sums.length).toBe(clicks === 0 ? 0 : 10);
      for (const sum of sums) {
        expect(Number(sum.n), `${sum.d} per ${sum.g}`).toBe(clicks);
        expect(Number(sum.low)).toBeGreaterThan(0);
      }
    };

    it('keeps clicks still waiting in the outbox, then deletes old clicks with their rollup counts', async () => {
      const retention = app.get(ClickRetention, { strict: false });
      const [held] = await db.rows<{ id: string | number }>(
        `SELECT "id" FROM "click_events" WHERE "business_account_id" = 'A' ORDER BY "id" LIMIT 1 OFFSET 100`,
      );
      await db.rows(
        `INSERT INTO "click_outbox" ("target", "click_ids", "click_count") VALUES ('forward', '${held!.id}', 1) RETURNING "id"`,
      );
      // Twenty days on: A's clicks of 25 days ago are 45 days old, its recent ones 21.
      const first = await retention.runOnce(now + 20 * DAY);
      expect(first.clicks).toBe(100); // A's old clicks before the one waiting
      expect(await clicksOf('A')).toBe(70);
      await db.rows(`DELETE FROM "click_outbox" RETURNING "id"`);

      const second = await retention.runOnce(now + 20 * DAY);
      expect(second).toEqual({
        clicks: 60,
        trackingEvents: 0,
        conversions: 0,
        rejectedDeliveries: 0,
        archivedDeliveries: 0,
      }); // the rest: 50 of A, 10 of B
      expect(await clicksOf('A')).toBe(20);
      expect(await clicksOf('B')).toBe(0);
      expect(first.rejectedDeliveries).toBe(1);
      expect(await db.count('rejected_deliveries')).toBe(0);
      // Statistics read the rollups with what was not folded yet.
      const stats = await fetch(`${base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: '{ clickStats(businessAccountId: "A") { total byComponent { key count } } }',
        }),
      });
      const { data } = (await stats.json()) as { data: { clickStats: { total: number } } };
      expect(data.clickStats.total).toBe(20);

      await expectRollupsMatch('A');
      await expectRollupsMatch('B');

      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toContain(
        'whatsapp_clicks_retention_deleted_total{table="click_events"} 160',
      );
      expect(metrics).toContain(
        'whatsapp_clicks_retention_deleted_total{table="rejected_deliveries"} 1',
      );

      // A pass with nothing old left deletes nothing.
      expect(await retention.runOnce(now + 20 * DAY)).toEqual({
        clicks: 0,
        trackingEvents: 0,
        conversions: 0,
        rejectedDeliveries: 0,
        archivedDeliveries: 0,
      });
    });

    it('keeps an account with its own, longer retention', async () => {
      const dataSource = app.get<DataSource>(getDataSourceToken());
      const config = resolveConfig({
        appSecret: 's',
        verifyToken: 't',
        retention: { days: 1, perAccount: { A: 365 }, batchSize: 7 },
      });
      const retention = new ClickRetention(
        dataSource,
        config,
        app.get(RollupBackfill, { strict: false }),
        app.get(FunnelCounter, { strict: false }),
      );
      const result = await retention.runOnce(now + 20 * DAY);
      expect(result.clicks).toBe(0); // A keeps its 20 (365 days); B has none left
      expect(await clicksOf('A')).toBe(20);
      const short = new ClickRetention(
        dataSource,
        resolveConfig({ appSecret: 's', verifyToken: 't', retention: { days: 1, batchSize: 7 } }),
        app.get(RollupBackfill, { strict: false }),
        app.get(FunnelCounter, { strict: false }),
      );
      expect((await short.runOnce(now + 20 * DAY)).clicks).toBe(20); // in batches of 7
      await expectRollupsMatch('A');
    });
  });
});
