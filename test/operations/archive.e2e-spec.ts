import type { INestApplication } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLICK_EVENT_RECEIVED, ClickRetention, type ClickEventReceived } from '../../src/index.js';
import { sampleClickAction, sampleClickDelivery } from '../../src/testing/index.js';
import { isValidSignature, signatureFor } from '../../src/webhook/webhook-signature.js';
import { databaseTargets, sqliteDatabase, type TestDatabase } from '../support/databases.js';
import { codes, graphql } from '../support/graphql.js';
import { handedOn } from '../support/outbox.js';
import { startTestServer } from '../support/server.js';
import { postWebhook, TEST_APP_SECRET, TEST_VERIFY_TOKEN } from '../support/webhooks.js';

const targets = await databaseTargets();
const REPLAY = fileURLToPath(new URL('../../dist/server/replay.js', import.meta.url));
const ADMIN = 'archive-admin-key';
const READER = 'archive-reader-key';
const DAY = 86_400_000;

const REPLAY_MUTATION = `mutation ($since: DateTime, $until: DateTime, $dryRun: Boolean) {
  replayArchivedDeliveries(since: $since, until: $until, dryRun: $dryRun) {
    examined stored duplicates rejected refused trackingEvents dryRun
  }
}`;

interface ArchivedRow {
  id: string | number;
  received_at: string | number;
  signature: string;
  body: Buffer;
}

describe.each(targets)('the archive of signed deliveries on $kind', (target) => {
  describe.skipIf(target.unavailable !== null)('', () => {
    let db: TestDatabase;
    let app: INestApplication;
    let webhook: string;
    let url: string;
    const events: ClickEventReceived[] = [];
    const account = `archive-${target.kind}`;
    const archived = () =>
      db.rows<ArchivedRow>(
        `SELECT "id", "received_at", "signature", "body" FROM "delivery_archive" ORDER BY "id"`,
      );
    const clickIds = async () =>
      (
        await db.rows<{ click_id: string }>(
          `SELECT "click_id" FROM "click_events" WHERE "business_account_id" = '${account}' ORDER BY "click_id"`,
        )
      ).map((row) => row.click_id);
    /** A signed delivery an older version archived but stored no click of (as if it had read it wrong). */
    const archiveByHand = async (body: Buffer, receivedAt: number) => {
      const hex = body.toString('hex');
      const bytes = target.kind === 'postgres' ? `decode('${hex}', 'hex')` : `X'${hex}'`;
      await db.rows(
        `INSERT INTO "delivery_archive" ("received_at", "signature", "body") ` +
          `VALUES (${receivedAt}, '${signatureFor(body, TEST_APP_SECRET)}', ${bytes}) RETURNING "id"`,
      );
    };

    const delivery = Buffer.from(
      // Spaces and key order as Meta's serializer might have them: the archive keeps the bytes.
      JSON.stringify(
        sampleClickDelivery({
          businessAccountId: account,
          actions: [
            sampleClickAction({ click_id: `${account}-1` }),
            sampleClickAction({ click_id: `${account}-2` }),
          ],
        }),
        null,
        1,
      ),
    );
    const missed = Buffer.from(
      JSON.stringify(
        sampleClickDelivery({
          businessAccountId: account,
          actions: [
            sampleClickAction({ click_id: `${account}-old-1` }),
            sampleClickAction({ click_id: `${account}-old-2` }),
            sampleClickAction({ click_id: `${account}-bad`, timestamp: 'never' }),
          ],
        }),
      ),
    );
    const missedAt = Date.now() - 3 * DAY;

    beforeAll(async () => {
      db = await target.create();
      ({
        app,
        webhook,
        graphql: url,
      } = await startTestServer({
        DATABASE_URL: db.url,
        CLICKS_ARCHIVE: 'true',
        CLICKS_ARCHIVE_RETENTION_DAYS: '30',
        CLICKS_API_KEYS: `${READER}=*`,
        CLICKS_ADMIN_KEYS: ADMIN,
      }));
      app
        .get(EventEmitter2)
        .on(CLICK_EVENT_RECEIVED, (event: ClickEventReceived) => events.push(event));
    });
    afterAll(async () => {
      await app?.close();
      await db?.dispose();
    });

    it('keeps every signed delivery byte for byte with its signature, and nothing unsigned', async () => {
      expect((await postWebhook(webhook, delivery)).status).toBe(200);
      expect((await postWebhook(webhook, delivery)).json).toMatchObject({ duplicates: 2 });
      expect((await postWebhook(webhook, '{ not json')).status).toBe(400);
      expect((await postWebhook(webhook, delivery, { secret: 'wrong' })).status).toBe(401);
      expect((await postWebhook(webhook, delivery, { secret: null })).status).toBe(401);

      const rows = await archived();
      expect(rows.map((row) => Buffer.from(row.body).toString())).toEqual([
        delivery.toString(),
        delivery.toString(),
        '{ not json',
      ]);
      for (const row of rows) {
        expect(row.signature).toBe(signatureFor(Buffer.from(row.body), TEST_APP_SECRET));
        expect(isValidSignature(Buffer.from(row.body), row.signature, [TEST_APP_SECRET])).toBe(
          true,
        );
      }
      expect(await clickIds()).toEqual([`${account}-1`, `${account}-2`]);
    });

    it('replays what today reads differently: admins only, dry run first, original receivedAt, twice is once', async () => {
      await archiveByHand(missed, missedAt);
      expect(codes(await graphql(url, REPLAY_MUTATION, {}))).toEqual(['UNAUTHENTICATED']);
      expect(codes(await graphql(url, REPLAY_MUTATION, {}, READER))).toEqual(['FORBIDDEN']);
      const since = new Date(Date.now() + DAY).toISOString();
      expect(codes(await graphql(url, REPLAY_MUTATION, { since, until: since }, ADMIN))).toEqual([
        'BAD_USER_INPUT',
      ]);

      const dry = await graphql(url, REPLAY_MUTATION, { dryRun: true }, ADMIN);
      expect(dry.data.replayArchivedDeliveries).toEqual({
        examined: 4,
        stored: 2,
        duplicates: 4,
        rejected: 1,
        refused: 1,
        trackingEvents: 0,
        dryRun: true,
      });
      expect(await clickIds()).toHaveLength(2);

      // Only what was received before yesterday: the hand-archived delivery alone.
      const until = new Date(Date.now() - DAY).toISOString();
      const once = await graphql(url, REPLAY_MUTATION, { until }, ADMIN);
      expect(once.data.replayArchivedDeliveries).toEqual({
        examined: 1,
        stored: 2,
        duplicates: 0,
        rejected: 1,
        refused: 0,
        trackingEvents: 0,
        dryRun: false,
      });
      expect(await clickIds()).toEqual([
        `${account}-1`,
        `${account}-2`,
        `${account}-old-1`,
        `${account}-old-2`,
      ]);
      const [old] = await db.rows<{ received_at: string | number }>(
        `SELECT "received_at" FROM "click_events" WHERE "click_id" = '${account}-old-1'`,
      );
      expect(Number(old!.received_at)).toBe(missedAt);
      await handedOn(app);
      expect(events.map((e) => e.clickEvent.clickId).sort()).toEqual([
        `${account}-1`,
        `${account}-2`,
        `${account}-old-1`,
        `${account}-old-2`,
      ]);
      // The rejection was the first reading's to keep (none of the hand-archived one here).
      expect(await db.count('rejected_deliveries')).toBe(1);

      const twice = await graphql(url, REPLAY_MUTATION, {}, ADMIN);
      expect(twice.data.replayArchivedDeliveries).toMatchObject({
        examined: 4,
        stored: 0,
        duplicates: 6,
      });
      expect(await clickIds()).toHaveLength(4);
      expect(events).toHaveLength(4);
    });

    it('deletes archived deliveries after their own days, and leaves the clicks', async () => {
      const removed = await app.get(ClickRetention).runOnce(missedAt + 30 * DAY + 1);
      expect(removed).toEqual({
        clicks: 0,
        trackingEvents: 0,
        conversions: 0,
        rejectedDeliveries: 0,
        archivedDeliveries: 1,
      });
      expect(await archived()).toHaveLength(3);
      expect(await app.get(ClickRetention).runOnce(Date.now() + 31 * DAY)).toMatchObject({
        archivedDeliveries: 3,
      });
      expect(await archived()).toHaveLength(0);
      expect(await clickIds()).toHaveLength(4);
    });

    if (target.kind === 'sqlite') {
      it('npm run replay -- --archive does the same from the command line', async () => {
        const later = Buffer.from(
          JSON.stringify(
            sampleClickDelivery({
              businessAccountId: account,
              actions: [
                sampleClickAction({ click_id: `${account}-old-1` }),
                sampleClickAction({ click_id: `${account}-cli` }),
                sampleClickAction({ click_id: `${account}-bad`, timestamp: 'never' }),
              ],
            }),
          ),
        );
        await archiveByHand(later, missedAt);
        const run = (...args: string[]) =>
          promisify(execFile)(process.execPath, [REPLAY, '--archive', ...args], {
            env: {
              ...process.env,
              DATABASE_URL: db.url,
              WHATSAPP_APP_SECRET: TEST_APP_SECRET,
              WHATSAPP_VERIFY_TOKEN: TEST_VERIFY_TOKEN,
            },
          });
        const last = (out: string) => JSON.parse(out.trim().split('\n').pop()!);
        expect(last((await run('--dry-run')).stdout)).toEqual({
          examined: 1,
          stored: 1,
          duplicates: 1,
          rejected: 1,
          refused: 0,
          trackingEvents: 0,
          dryRun: true,
        });
        expect(last((await run('--until', new Date(missedAt).toISOString())).stdout)).toMatchObject(
          {
            examined: 0,
          },
        );
        expect(last((await run()).stdout)).toMatchObject({ examined: 1, stored: 1 });
        expect(await clickIds()).toHaveLength(5);
        await expect(run('--until', 'soon')).rejects.toMatchObject({ code: 2 });
      });
    }
  });
});

describe('without the archive option', () => {
  let db: TestDatabase;
  let app: INestApplication;
  let webhook: string;
  let url: string;

  beforeAll(async () => {
    db = await sqliteDatabase();
    ({
      app,
      webhook,
      graphql: url,
    } = await startTestServer({
      DATABASE_URL: db.url,
      CLICKS_ADMIN_KEYS: ADMIN,
      CLICKS_API_KEYS: `${READER}=*`,
    }));
  });
  afterAll(async () => {
    await app?.close();
    await db?.dispose();
  });

  it('archives nothing, and says so to an admin who asks for a replay', async () => {
    const body = sampleClickDelivery({ actions: [sampleClickAction()] });
    expect((await postWebhook(webhook, body)).status).toBe(200);
    expect(await db.count('delivery_archive')).toBe(0);
    const answer = await graphql(url, REPLAY_MUTATION, {}, ADMIN);
    expect(codes(answer)).toEqual(['BAD_USER_INPUT']);
    expect(answer.errors?.[0]?.message).toMatch(/archive option is off/);
  });
});
