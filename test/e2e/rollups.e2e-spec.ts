import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RollupBackfill } from '../../src/rollups/rollup-backfill.js';
import { RollupFolding } from '../../src/rollups/rollup-folding.js';
import type { BucketInterval } from '../../src/stats/time-buckets.js';
import { deliveriesOf, type SeededClick } from '../fixtures/seed-clicks.js';
import { databaseTargets, type TestDatabase } from '../support/databases.js';
import { graphql } from '../support/graphql.js';
import { sleep, until } from '../support/load.js';
import { startTestServer, type TestServer } from '../support/server.js';
import {
  expectedStats,
  STATS_QUERY,
  type StatsAnswer,
  type StatsFilter,
} from '../support/stats-oracle.js';
import { postWebhooksAtOnce } from '../support/webhooks.js';

/** 2025-03-26T00:00Z: the 15 days cross Europe's (03-30) and Lord Howe's (04-06, 30 min) DST ends. */
const START = Date.UTC(2025, 2, 26) / 1000;
const SPAN = 15 * 86_400;
const ZONES = [
  'UTC',
  'Asia/Kathmandu', // +05:45
  'America/St_Johns', // -02:30 in summer
  'Australia/Lord_Howe', // +11:00 -> +10:30
  'Europe/Berlin',
  'Asia/Kolkata', // +05:30
  'America/New_York',
];

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function clicksOf(account: string, count: number, next: () => number): SeededClick[] {
  const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]!;
  return Array.from({ length: count }, (_, i) => ({
    account,
    phoneNumberId: pick(['ph-1', 'ph-2', 'ph-3']),
    actionType: next() < 0.85 ? 'marketing_messages_link_click' : 'landing_page_view',
    clickComponent: pick(['cta', 'body', null] as const),
    productId: pick(['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6', '', null]),
    clickId: next() < 0.9 ? `${account}-${i}` : null,
    timestamp: START + Math.floor(next() * SPAN),
  }));
}

/** A filter and a timeseries request, every part optional or odd at random. */
function randomCase(clicks: readonly SeededClick[], next: () => number) {
  const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]!;
  const instant = () => {
    const kind = next();
    if (kind < 0.3) return undefined;
    const seconds = START - 86_400 + Math.floor(next() * (SPAN + 2 * 86_400));
    // On a quarter hour, on a day, or anywhere to the millisecond.
    if (kind < 0.5) return Math.floor(seconds / 900) * 900_000;
    if (kind < 0.6) return Math.floor(seconds / 86_400) * 86_400_000;
    return seconds * 1000 + Math.floor(next() * 1000);
  };
  let from = instant();
  let to = instant();
  if (from !== undefined && to !== undefined && from > to) [from, to] = [to, from];
  const filter: StatsFilter = {};
  if (from !== undefined) filter.from = new Date(from).toISOString();
  if (to !== undefined) filter.to = new Date(to).toISOString();
  const some = clicks[Math.floor(next() * clicks.length)]!;
  const dimensions = next() < 0.5 ? 0 : next() < 0.8 ? 1 : 2;
  for (let d = 0; d < dimensions; d++) {
    const which = pick(['component', 'product', 'phone', 'action'] as const);
    if (which === 'component' && some.clickComponent)
      filter.clickComponent = some.clickComponent.toUpperCase() as 'CTA' | 'BODY';
    if (which === 'product' && some.productId !== null) filter.productId = some.productId;
    if (which === 'phone') filter.phoneNumberId = some.phoneNumberId;
    if (which === 'action') filter.actionType = some.actionType;
  }
  if (next() < 0.05 && some.clickId) filter.clickId = some.clickId;
  const narrow = from !== undefined && to !== undefined && to - from <= 3 * 86_400_000;
  const interval: BucketInterval = narrow && next() < 0.3 ? 'MINUTE' : pick(['HOUR', 'DAY']);
  return { filter, interval, zone: pick(ZONES) };
}

async function compareRandomCases(
  servers: TestServer[],
  clicks: readonly SeededClick[],
  account: string,
  seed: number,
  cases: number,
) {
  const next = random(seed);
  const mine = clicks.filter((c) => c.account === account);
  for (let i = 0; i < cases; i++) {
    const { filter, interval, zone } = randomCase(mine, next);
    const answer = await graphql<{ clickStats: StatsAnswer }>(
      servers[i % 2]!.graphql,
      STATS_QUERY,
      {
        a: account,
        f: filter,
        i: interval,
        z: zone,
      },
    );
    expect(answer.errors, JSON.stringify({ filter, interval, zone })).toBeUndefined();
    expect(
      answer.data!.clickStats,
      `case ${i}: ${JSON.stringify({ filter, interval, zone })}`,
    ).toEqual(expectedStats(clicks, account, filter, interval, zone));
  }
}

describe.each(await databaseTargets())('rollups on $kind', (target) => {
  const { unavailable } = target;
  let db: TestDatabase;
  const servers: TestServer[] = [];
  const clicks = clicksOf('roll-a', 900, random(7));

  beforeAll(async () => {
    if (unavailable) return;
    db = await target.create();
    // Two instances on one database, as in production.
    for (let i = 0; i < 2; i++) servers.push(await startTestServer({ DATABASE_URL: db.url }));
    const deliveries = deliveriesOf(clicks, 12);
    for (let start = 0; start < deliveries.length; start += 30) {
      const batch = deliveries.slice(start, start + 30);
      // Meta's retries: a third of each burst again, at the same time, on the other instance.
      const answers = await Promise.all([
        postWebhooksAtOnce(servers[0]!.webhook, batch),
        postWebhooksAtOnce(
          servers[1]!.webhook,
          batch.filter((_, i) => i % 3 === 0),
        ),
      ]);
      expect(answers.flat().map((a) => a.status)).toEqual(answers.flat().map(() => 200));
    }
  }, 120_000);
  afterAll(async () => {
    for (const server of servers) await server.app.close();
    await db?.dispose();
  });

  it.skipIf(unavailable)(
    'counts each stored click once, whichever instance stored it and however often it came',
    async () => {
      expect(await db.count('click_events')).toBe(clicks.length);
      const total = async (table: string) => {
        const [totals] = await db.rows<{ n: string | number | null }>(
          `SELECT SUM("count") AS "n" FROM "${table}" WHERE "dimension" = '' AND "grain" = 86400000`,
        );
        return Number(totals!.n ?? 0);
      };
      if (db.kind === 'postgres') {
        // Appended by every group, folded in by one instance at a time: counted once either way.
        expect(await total('click_rollup_counts')).toBe(clicks.length);
        await Promise.all(servers.map((s) => s.app.get(RollupFolding).foldAll()));
        expect(await db.count('click_rollup_deltas')).toBe(0);
      }
      expect(await total('click_rollups')).toBe(clicks.length);
    },
  );

  it.skipIf(unavailable)(
    'answers clickStats from rollups exactly as from the clicks, for random filters, zones and intervals',
    async () => {
      await compareRandomCases(servers, clicks, 'roll-a', 11, 120);
    },
    120_000,
  );

  it.skipIf(unavailable)(
    'counts the clicks of a delivery stored with rejected actions and tracking events alike',
    async () => {
      // Rejections and tracking events take PostgreSQL's transaction of several statements,
      // clicks alone one statement: the rollups count both.
      const account = 'roll-mixed';
      const action = (clickId: string, component: string) => ({
        action_type: 'marketing_messages_link_click',
        timestamp: '1763700000',
        marketing_messages_link_click_data: { click_id: clickId, click_component: component },
      });
      const delivery = {
        object: 'whatsapp_business_account',
        entry: [
          {
            id: account,
            changes: [
              {
                field: 'messages',
                value: {
                  messaging_product: 'whatsapp',
                  metadata: { display_phone_number: '15550783881', phone_number_id: '1065' },
                  user_actions: [
                    action('m1', 'cta'),
                    action('m2', 'body'),
                    { ...action('bad', 'cta'), timestamp: 'soon' },
                    action('m3', 'cta'),
                  ],
                  tracking_events: [{ event: 'sent', timestamp: '1763700000', click_id: 'm1' }],
                },
              },
            ],
          },
        ],
      };
      const [answer] = await postWebhooksAtOnce(servers[0]!.webhook, [delivery]);
      expect(answer!.status).toBe(200);
      const stats = await graphql<{
        clickStats: { total: number; byComponent: { key: string; count: number }[] };
      }>(
        servers[1]!.graphql,
        `
          query ($a: ID!) {
            clickStats(businessAccountId: $a) {
              total
              byComponent {
                key
                count
              }
            }
          }
        `,
        { a: account },
      );
      expect(stats.errors).toBeUndefined();
      expect(stats.data!.clickStats.total).toBe(3);
      expect(
        Object.fromEntries(stats.data!.clickStats.byComponent.map((b) => [b.key, b.count])),
      ).toEqual({ CTA: 2, BODY: 1 });
      expect(await db.count('rejected_deliveries')).toBeGreaterThan(0);
    },
  );

  it.skipIf(unavailable)(
    'counts clicks written around the module once rollups are rebuilt, and answers right meanwhile',
    async () => {
      const imported = clicksOf('roll-b', 400, random(13));
      const dataSource = servers[0]!.app.get(DataSource);
      const values = imported.map(
        (c, i) =>
          `('${c.account}', '${c.phoneNumberId}', '${c.actionType}', ${sql(c.clickComponent)}, ` +
          `${sql(c.clickId)}, ${sql(c.productId)}, ${c.timestamp * 1000}, 0, '${c.clickId ?? `fp:${i}`}')`,
      );
      await dataSource.query(
        `INSERT INTO "click_events" ("business_account_id", "phone_number_id", "action_type", ` +
          `"click_component", "click_id", "product_id", "occurred_at", "received_at", "dedupe_key") VALUES ${values.join(', ')}`,
      );
      const backfill = servers[0]!.app.get(RollupBackfill);
      await backfill.rebuild();
      await sleep(1100); // the other instance's last look at the rollups' state expires
      const all = [...clicks, ...imported];
      // Before the running instances have counted them again: read from the clicks.
      await compareRandomCases(servers, all, 'roll-b', 17, 10);

      await until('the rollups are rebuilt', async () => (await backfill.done()) === true);
      await compareRandomCases(servers, all, 'roll-b', 19, 40);
      await compareRandomCases(servers, all, 'roll-a', 23, 20);
    },
    120_000,
  );
});

const sql = (value: string | null) => (value === null ? 'NULL' : `'${value}'`);
