import type { INestApplication } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLICK_EVENT_RECEIVED, type ClickEventReceived } from '../../src/index.js';
import { sampleClickAction, sampleClickDelivery } from '../../src/testing/index.js';
import { databaseTargets, type TestDatabase } from '../support/databases.js';
import { codes, graphql } from '../support/graphql.js';
import { handedOn } from '../support/outbox.js';
import { startTestServer } from '../support/server.js';
import { TEST_APP_SECRET, TEST_VERIFY_TOKEN } from '../support/webhooks.js';

const targets = await databaseTargets();
const REPLAY = fileURLToPath(new URL('../../dist/server/replay.js', import.meta.url));
const ADMIN = 'replay-admin-key';
const READER = 'replay-reader-key';

const REPLAY_MUTATION = `mutation ($dryRun: Boolean) {
  replayRejectedDeliveries(dryRun: $dryRun) { examined replayed stored duplicates stillRejected dryRun }
}`;
const PAGE_QUERY = `query ($first: Int, $after: String) {
  rejectedDeliveries(first: $first, after: $after) {
    nodes { id kind reason businessAccountId path payloadEncoding }
    pageInfo { hasNextPage endCursor }
  }
}`;

/** What an older version rejected, as it stored it (today's parser reads some of it). */
function olderRejections(account: string) {
  const context = {
    entry_id: account,
    metadata: { phone_number_id: 'p1', display_phone_number: '1555' },
  };
  const body = sampleClickDelivery({
    businessAccountId: account,
    actions: [
      sampleClickAction({ click_id: `${account}-b1` }),
      sampleClickAction({ click_id: `${account}-b2` }),
    ],
  });
  return [
    [
      'action',
      account,
      'entry[0].changes[0].user_actions[0]',
      'unknown action type (0.0.9)',
      JSON.stringify({
        ...context,
        action: sampleClickAction({ click_id: `${account}-a1`, action_type: 'landing_page_view' }),
      }),
    ],
    [
      'action',
      account,
      'entry[0].changes[0].user_actions[1]',
      'old reason',
      JSON.stringify({ ...context, action: { action_type: 'marketing_messages_link_click' } }),
    ],
    ['body', null, null, 'body is not JSON (0.0.9 misread it)', JSON.stringify(body)],
    ['body', null, null, 'body is not JSON', 'still { not json'],
  ] as const;
}

describe.each(targets)('replay of rejected deliveries on $kind', (target) => {
  describe.skipIf(target.unavailable !== null)('', () => {
    let db: TestDatabase;
    let app: INestApplication;
    let url: string;
    const events: ClickEventReceived[] = [];
    const account = `replay-${target.kind}`;

    const insert = async (rows: ReturnType<typeof olderRejections>) => {
      for (const [kind, acct, path, reason, payload] of rows) {
        const quote = (v: string | null) => (v === null ? 'NULL' : `'${v.replaceAll("'", "''")}'`);
        await db.rows(
          `INSERT INTO "rejected_deliveries" ("received_at", "kind", "business_account_id", "path", "reason", "payload", "payload_encoding") ` +
            `VALUES (${Date.now() - 86_400_000}, '${kind}', ${quote(acct)}, ${quote(path)}, ${quote(reason)}, ${quote(payload)}, 'utf8') RETURNING "id"`,
        );
      }
    };
    const clicks = () =>
      db.rows<{ click_id: string }>(
        `SELECT "click_id" FROM "click_events" WHERE "business_account_id" = '${account}' ORDER BY "click_id"`,
      );

    beforeAll(async () => {
      db = await target.create();
      ({ app, graphql: url } = await startTestServer({
        DATABASE_URL: db.url,
        CLICKS_API_KEYS: `${READER}=*`,
        CLICKS_ADMIN_KEYS: ADMIN,
      }));
      app
        .get(EventEmitter2)
        .on(CLICK_EVENT_RECEIVED, (event: ClickEventReceived) => events.push(event));
      await insert(olderRejections(account));
    });
    afterAll(async () => {
      await app?.close();
      await db?.dispose();
    });

    it('lists rejected deliveries to admins only, in pages', async () => {
      expect(codes(await graphql(url, PAGE_QUERY, {}))).toEqual(['UNAUTHENTICATED']);
      expect(codes(await graphql(url, PAGE_QUERY, {}, READER))).toEqual(['FORBIDDEN']);
      expect(codes(await graphql(url, PAGE_QUERY, { first: 51 }, ADMIN))).toEqual([
        'BAD_USER_INPUT',
      ]);
      const first = await graphql(url, PAGE_QUERY, { first: 3 }, ADMIN);
      expect(first.data.rejectedDeliveries.nodes.map((n: { kind: string }) => n.kind)).toEqual([
        'action',
        'action',
        'body',
      ]);
      expect(first.data.rejectedDeliveries.pageInfo.hasNextPage).toBe(true);
      const rest = await graphql(
        url,
        PAGE_QUERY,
        { first: 3, after: first.data.rejectedDeliveries.pageInfo.endCursor },
        ADMIN,
      );
      expect(rest.data.rejectedDeliveries.nodes).toHaveLength(1);
      expect(rest.data.rejectedDeliveries.pageInfo).toEqual({
        hasNextPage: false,
        endCursor: expect.any(String),
      });
    });

    it('a dry run changes nothing; a replay stores what is now valid, once, and hands it on; twice is once', async () => {
      expect(codes(await graphql(url, REPLAY_MUTATION, {}, READER))).toEqual(['FORBIDDEN']);
      const dry = await graphql(url, REPLAY_MUTATION, { dryRun: true }, ADMIN);
      expect(dry.data.replayRejectedDeliveries).toEqual({
        examined: 4,
        replayed: 2,
        stored: 3,
        duplicates: 0,
        stillRejected: 2,
        dryRun: true,
      });
      expect(await clicks()).toEqual([]);
      expect(await db.count('rejected_deliveries')).toBe(4);

      const once = await graphql(url, REPLAY_MUTATION, {}, ADMIN);
      expect(once.data.replayRejectedDeliveries).toEqual({
        examined: 4,
        replayed: 2,
        stored: 3,
        duplicates: 0,
        stillRejected: 2,
        dryRun: false,
      });
      expect((await clicks()).map((c) => c.click_id)).toEqual([
        `${account}-a1`,
        `${account}-b1`,
        `${account}-b2`,
      ]);
      const left = await db.rows<{ reason: string }>(
        `SELECT "reason" FROM "rejected_deliveries" ORDER BY "id"`,
      );
      expect(left.map((r) => r.reason)).toEqual([
        expect.stringContaining('timestamp'),
        expect.stringMatching(/^body is not JSON: /),
      ]);
      await handedOn(app);
      expect(events.map((e) => e.clickEvent.clickId).sort()).toEqual([
        `${account}-a1`,
        `${account}-b1`,
        `${account}-b2`,
      ]);

      const twice = await graphql(url, REPLAY_MUTATION, {}, ADMIN);
      expect(twice.data.replayRejectedDeliveries).toMatchObject({
        examined: 2,
        replayed: 0,
        stored: 0,
        stillRejected: 2,
      });
      expect(await clicks()).toHaveLength(3);
      expect(await db.count('rejected_deliveries')).toBe(2);
    });

    if (target.kind === 'sqlite') {
      it('npm run replay does the same from the command line (--dry-run, --since)', async () => {
        await insert(olderRejections(`${account}-cli`));
        const run = (...args: string[]) =>
          promisify(execFile)(process.execPath, [REPLAY, ...args], {
            env: {
              ...process.env,
              DATABASE_URL: db.url,
              WHATSAPP_APP_SECRET: TEST_APP_SECRET,
              WHATSAPP_VERIFY_TOKEN: TEST_VERIFY_TOKEN,
            },
          });
        const last = (out: string) => JSON.parse(out.trim().split('\n').pop()!);
        expect(
          last((await run('--since', new Date(Date.now() + 60_000).toISOString())).stdout),
        ).toMatchObject({ examined: 0 });
        expect(last((await run('--dry-run')).stdout)).toMatchObject({
          examined: 6,
          replayed: 2,
          stored: 3,
          dryRun: true,
        });
        expect(last((await run()).stdout)).toMatchObject({
          examined: 6,
          replayed: 2,
          stored: 3,
          stillRejected: 4,
        });
        expect(await db.count('rejected_deliveries')).toBe(4);
        await expect(run('--since', 'yesterday')).rejects.toMatchObject({ code: 2 });
      });
    }
  });
});
