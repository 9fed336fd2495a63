import type { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArchivedDeliveryReplay, ClickRetention, RejectedDeliveryReplay } from '../../src/index.js';
import { sampleClickAction, sampleClickDelivery } from '../../src/testing/index.js';
import { databaseTargets, type TestDatabase } from '../support/databases.js';
import { startTestServer } from '../support/server.js';
import { postWebhook } from '../support/webhooks.js';

const targets = await databaseTargets();
const DAY = 86_400_000;

/** A delivery whose change carries `tracking_events` (and `user_actions` when given). */
function withTracking(account: string, events: unknown[], actions?: Record<string, unknown>[]) {
  const delivery = sampleClickDelivery({ businessAccountId: account, actions: actions ?? [] });
  const value = (delivery.entry as any)[0].changes[0].value;
  if (!actions) delete value.user_actions;
  value.tracking_events = events;
  return delivery;
}

const sent = (clickId: string | undefined, secondsAgo = 60) => ({
  event: 'sent',
  timestamp: String(Math.floor(Date.now() / 1000) - secondsAgo),
  tracking_data: { ...(clickId ? { click_id: clickId } : {}), tracking_token: 'tok' },
});

describe.each(targets)('tracking events (sent) on $kind', (target) => {
  describe.skipIf(target.unavailable !== null)('', () => {
    let db: TestDatabase;
    let app: INestApplication;
    let webhook: string;
    const account = `tracking-${target.kind}`;
    const stored = () =>
      db.rows<{ event: string; click_id: string | null; tracking_token: string | null }>(
        `SELECT "event", "click_id", "tracking_token" FROM "tracking_events" WHERE "business_account_id" = '${account}' ORDER BY "id"`,
      );

    beforeAll(async () => {
      db = await target.create();
      ({ app, webhook } = await startTestServer({
        DATABASE_URL: db.url,
        CLICKS_RETENTION_DAYS: '30',
        CLICKS_ARCHIVE: 'true',
      }));
      // The server's own pass at start, over before the tests make anything old.
      await app.get(ClickRetention).runOnce();
    });
    afterAll(async () => {
      await app?.close();
      await db?.dispose();
    });

    it('stores them apart from the clicks, deduplicated, beside or without user_actions', async () => {
      const alone = withTracking(account, [sent('c1'), sent('c2'), sent(undefined)]);
      expect((await postWebhook(webhook, alone)).json).toEqual({
        stored: 0,
        duplicates: 0,
        rejected: 0,
        ignored: 0,
      });
      // Meta's retry, and the same sends again beside a click of one of them.
      expect((await postWebhook(webhook, alone)).status).toBe(200);
      const mixed = withTracking(
        account,
        [sent('c1'), { event: 'sent', timestamp: 'soon' }],
        [sampleClickAction({ click_id: 'c1' })],
      );
      expect((await postWebhook(webhook, mixed)).json).toEqual({
        stored: 1,
        duplicates: 0,
        rejected: 1,
        ignored: 0,
      });
      expect(await stored()).toEqual([
        { event: 'sent', click_id: 'c1', tracking_token: 'tok' },
        { event: 'sent', click_id: 'c2', tracking_token: 'tok' },
        { event: 'sent', click_id: null, tracking_token: 'tok' },
      ]);
      const clicks = await db.rows<{ action_type: string }>(
        `SELECT "action_type" FROM "click_events" WHERE "business_account_id" = '${account}'`,
      );
      expect(clicks).toEqual([{ action_type: 'marketing_messages_link_click' }]);
      const [rejection] = await db.rows<{ path: string }>(
        `SELECT "path" FROM "rejected_deliveries" WHERE "business_account_id" = '${account}'`,
      );
      expect(rejection?.path).toBe('entry[0].changes[0].tracking_events[1]');
    });

    it('reads them from the archive of deliveries an older version ignored', async () => {
      // What an older version did with a change of tracking_events alone: archived, nothing stored.
      await db.rows(
        `DELETE FROM "tracking_events" WHERE "business_account_id" = '${account}' RETURNING "id"`,
      );
      const result = await app.get(ArchivedDeliveryReplay).replay();
      expect(result).toMatchObject({
        examined: 3,
        trackingEvents: 7,
        stored: 0,
        duplicates: 1,
        rejected: 1,
      });
      expect(await stored()).toHaveLength(3);
      expect(await app.get(ArchivedDeliveryReplay).replay()).toMatchObject({ trackingEvents: 7 });
      expect(await stored()).toHaveLength(3);
    });

    it('a rejected tracking event is read again as one by the replay of rejections', async () => {
      expect(await app.get(RejectedDeliveryReplay).replay()).toMatchObject({
        examined: 1,
        replayed: 0,
        stillRejected: 1,
      });
      const [row] = await db.rows<{ reason: string }>(
        `SELECT "reason" FROM "rejected_deliveries" WHERE "business_account_id" = '${account}'`,
      );
      expect(row?.reason).toMatch(/^timestamp "soon" is not unix seconds/);
    });

    it('conversions are deleted after the longest click retention, by when they were received', async () => {
      const insert = (key: string, receivedAt: number) =>
        db.rows(
          `INSERT INTO "click_conversions" ("click_id", "event", "occurred_at", "received_at", "dedupe_key", "source") ` +
            `VALUES ('c1', 'purchase', ${receivedAt}, ${receivedAt}, '${key}', 'server') RETURNING "id"`,
        );
      await insert(`${account}-old`, Date.now() - 31 * DAY);
      await insert(`${account}-new`, Date.now() - 29 * DAY);
      const removed = await app.get(ClickRetention).runOnce();
      expect(removed.conversions).toBe(1);
      const left = await db.rows<{ dedupe_key: string }>(
        `SELECT "dedupe_key" FROM "click_conversions" WHERE "dedupe_key" LIKE '${account}-%'`,
      );
      expect(left).toEqual([{ dedupe_key: `${account}-new` }]);
    });

    it('are deleted with the clicks of their account', async () => {
      const old = withTracking(account, [sent('old', 40 * 86_400)]);
      expect((await postWebhook(webhook, old)).status).toBe(200);
      expect(await stored()).toHaveLength(4);
      const removed = await app.get(ClickRetention).runOnce(Date.now() + DAY);
      expect(removed.trackingEvents).toBe(1);
      expect((await stored()).map((row) => row.click_id)).not.toContain('old');
    });
  });
});
