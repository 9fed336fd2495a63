import type { INestApplication } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { resolveConfig } from '../../src/config/resolve-config.js';
import { ClickFunnelService, type FunnelColumn } from '../../src/funnel/click-funnel.service.js';
import { FunnelRollupReads } from '../../src/funnel/funnel-rollup.reads.js';
import {
  ClickRetention,
  FunnelCounter,
  RollupBackfill,
  rebuildClickRollups,
} from '../../src/index.js';
import type { ClickEventCriteria } from '../../src/storage/click-event.queries.js';
import { sampleClickAction, sampleClickDelivery } from '../../src/testing/index.js';
import { databaseTargets, type TestDatabase } from '../support/databases.js';
import { startTestServer } from '../support/server.js';
import { postWebhook } from '../support/webhooks.js';

const targets = await databaseTargets();
const SERVER_KEY = 'funnel-rollups-key';
const DAY = 86_400_000;
const STEPS = ['sent', 'click', 'landing_page_view', 'purchase', 'signup'];
/** Product ids with what PostgreSQL's array literals quote: a quote, a backslash, braces, a comma. */
const PRODUCTS = ['p1', 'p"2\\', '{p3,é😀}'];

/** A small seeded generator: the same events on every run. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

// The funnel's rollups against the same funnel read from the tables: random criteria over
// clicks, Meta's landing views, conversions and `sent` events arriving in any order, some at
// once on two instances (PostgreSQL), duplicates included; while rows wait in the queue, once
// counted, after a rebuild and after retention.
describe.each(targets)('funnel rollups on $kind', (target) => {
  describe.skipIf(target.unavailable !== null)('', () => {
    let db: TestDatabase;
    const apps: INestApplication[] = [];
    const bases: string[] = [];
    const webhooks: string[] = [];
    let dataSource: DataSource;
    let tables: ClickFunnelService;
    const A = `rollup-funnel-${target.kind}`;
    const START = Date.UTC(2026, 10, 2, 7, 13);
    const next = random(target.kind === 'sqlite' ? 7 : 11);
    const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]!;

    const post = async (i: number, delivery: Record<string, unknown>) =>
      expect((await postWebhook(webhooks[i]!, delivery)).status).toBe(200);
    const convert = async (i: number, body: unknown) => {
      const response = await fetch(`${bases[i]}/webhooks/whatsapp/conversions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${SERVER_KEY}` },
        body: JSON.stringify(body),
      });
      expect(response.status).toBe(200);
    };
    const at = (ms: number) => String(Math.floor(ms / 1000));

    /** Random criteria: a range on or off the quarter hours, none, one or two filters. */
    const criteria = (): ClickEventCriteria => {
      const c: ClickEventCriteria = { businessAccountId: A };
      if (next() < 0.7) c.from = START - DAY + Math.floor(next() * 6 * DAY);
      if (next() < 0.7) c.to = (c.from ?? START) + Math.floor(next() * 8 * DAY);
      const filters = Math.floor(next() * 3);
      for (let f = 0; f < filters; f++) {
        const which = pick(['component', 'product', 'phone'] as const);
        if (which === 'component') c.clickComponent = pick(['cta', 'body']);
        if (which === 'product') c.productId = pick(PRODUCTS);
        if (which === 'phone') c.phoneNumberId = pick(['ph1', 'ph2']);
      }
      return c;
    };

    const rounded = (value: unknown) =>
      JSON.parse(
        JSON.stringify(value, (_, v: unknown) =>
          typeof v === 'number' ? Math.round(v * 1e6) / 1e6 : v,
        ),
      ) as unknown;

    /** 40 random funnels and breakdowns, answered alike from the rollups and the tables. */
    const expectSameAnswers = async () => {
      const funnels = apps[0]!.get(ClickFunnelService);
      const reads = apps[0]!.get(FunnelRollupReads);
      const read = vi.spyOn(reads, 'read');
      for (let n = 0; n < 40; n++) {
        const c = criteria();
        const steps = STEPS.filter(() => next() < 0.8);
        expect(rounded(await funnels.funnel(c, steps)), JSON.stringify(c)).toEqual(
          rounded(await tables.funnel(c, steps)),
        );
        const column = pick<FunnelColumn>(['click_component', 'product_id', 'phone_number_id']);
        expect(
          rounded(await funnels.breakdown(c, steps, column, 10)),
          `${JSON.stringify(c)} by ${column}`,
        ).toEqual(rounded(await tables.breakdown(c, steps, column, 10)));
      }
      // The rollups answered (not only the tables, which they fall back to).
      const answered = await Promise.all(read.mock.results.map((r) => r.value));
      expect(answered.filter((sums) => sums !== null).length).toBeGreaterThan(20);
      read.mockRestore();
    };

    const queued = async () =>
      Number((await db.rows<{ n: string }>('SELECT COUNT(*) AS n FROM click_funnel_queue'))[0]!.n);
    const counted = async () => {
      for (const app of apps) await app.get(FunnelCounter).countAll();
      expect(await queued()).toBe(0);
    };

    beforeAll(async () => {
      db = await target.create();
      const instances = target.kind === 'postgres' ? 2 : 1;
      for (let i = 0; i < instances; i++) {
        const server = await startTestServer({
          DATABASE_URL: db.url,
          CLICKS_CONVERSIONS: 'true',
          CLICKS_CONVERSIONS_KEYS: SERVER_KEY,
        });
        apps.push(server.app);
        bases.push(server.base);
        webhooks.push(server.webhook);
      }
      dataSource = apps[0]!.get<DataSource>(getDataSourceToken());
      tables = new ClickFunnelService(dataSource, { read: () => Promise.resolve(null) } as never);

      // 80 click ids: most clicked (some twice), half seen by the landing page, some bought or
      // signed up (values in EUR, USD or none, a few reported twice), most sent; plus clicks
      // without a click id. In random order, in groups sent at once to random instances.
      const sends: (() => Promise<void>)[] = [];
      const instance = () => Math.floor(next() * instances);
      for (let n = 0; n < 80; n++) {
        const clickId = `${A}-c${n}`;
        const clickedAt = START + Math.floor(next() * 5 * DAY);
        const phone = pick(['ph1', 'ph2']);
        const delivery = (actions: Record<string, unknown>[], sent?: string) => {
          const body = sampleClickDelivery({ businessAccountId: A, phoneNumberId: phone, actions });
          if (sent) {
            (body.entry as any)[0].changes[0].value.tracking_events = [
              {
                event: 'sent',
                timestamp: sent,
                tracking_data: { click_id: clickId, tracking_token: 't' },
              },
            ];
          }
          return body;
        };
        if (next() < 0.85) {
          const click = delivery([
            sampleClickAction({
              click_id: clickId,
              click_component: pick(['cta', 'body']),
              product_id: pick(PRODUCTS),
              timestamp: at(clickedAt),
            }),
          ]);
          sends.push(() => post(instance(), click));
          if (next() < 0.2) sends.push(() => post(instance(), click)); // Meta again
        }
        if (next() < 0.5) {
          const view = delivery([
            sampleClickAction({
              click_id: clickId,
              action_type: 'landing_page_view',
              timestamp: at(clickedAt + 5000),
            }),
          ]);
          sends.push(() => post(instance(), view));
        }
        if (next() < 0.7) {
          sends.push(() => post(instance(), delivery([], at(clickedAt - 60_000))));
        }
        for (const event of ['purchase', 'signup']) {
          if (next() < 0.4) {
            const conversion = {
              clickId,
              event,
              value: next() < 0.8 ? Math.round(next() * 10_000) / 100 : undefined,
              currency: pick(['EUR', 'USD', undefined]),
              id: `${clickId}-${event}`,
            };
            sends.push(() => convert(instance(), conversion));
            if (next() < 0.2) sends.push(() => convert(instance(), conversion));
          }
        }
      }
      for (let n = 0; n < 3; n++) {
        const unkeyed = sampleClickDelivery({
          businessAccountId: A,
          phoneNumberId: 'ph1',
          actions: [
            sampleClickAction({
              click_id: undefined,
              tracking_token: `no-id-${n}`,
              timestamp: at(START + n * DAY),
            }),
          ],
        });
        sends.push(() => post(0, unkeyed));
      }
      for (let i = sends.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [sends[i], sends[j]] = [sends[j]!, sends[i]!];
      }
      for (let i = 0; i < sends.length; i += 12) {
        await Promise.all(sends.slice(i, i + 12).map((send) => send()));
      }
    });
    afterAll(async () => {
      for (const app of apps) await app.close();
      await db?.dispose();
    });

    it('answers as the tables while rows still wait to be counted', async () => {
      await expectSameAnswers();
    });

    it('answers as the tables once every queued row is counted', async () => {
      await counted();
      const [rollups] = await db.rows<{ n: string }>(
        'SELECT COUNT(*) AS n FROM click_funnel_rollups',
      );
      expect(Number(rollups!.n)).toBeGreaterThan(100);
      await expectSameAnswers();
    });

    it('answers as the tables after a rebuild, before and after it is counted', async () => {
      await rebuildClickRollups(dataSource);
      expect(await queued()).toBeGreaterThan(100);
      await expectSameAnswers();
      await counted();
      await expectSameAnswers();
      // The statistics' rollups too (retention waits for them).
      while (await apps[0]!.get(RollupBackfill).step());
    });

    it('answers as the tables after retention deleted the older half', async () => {
      const retention = new ClickRetention(
        dataSource,
        resolveConfig({ appSecret: 's', verifyToken: 't', retention: { days: 30, batchSize: 7 } }),
        apps[0]!.get(RollupBackfill),
        apps[0]!.get(FunnelCounter),
      );
      const before = await db.count('click_events');
      const result = await retention.runOnce(START + 30 * DAY + 2.5 * DAY);
      expect(result.clicks, JSON.stringify(result)).toBeGreaterThan(10);
      expect(await db.count('click_events')).toBe(before - result.clicks);
      await expectSameAnswers();
    });
  });
});
