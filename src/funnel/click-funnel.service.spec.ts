import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ClickFunnelService, LINK_CLICK } from './click-funnel.service.js';
import { migratedMemorySqlite } from '../../test/support/memory-sqlite.js';

const DAY = 86_400_000;
const START = Date.UTC(2026, 10, 1);
const CLICKS = 60;

// On SQLite the cohort is counted in parts of its time range (the loop let go in between):
// the sums over the parts must be the whole's, as counted here by hand.
describe('ClickFunnelService on SQLite, counted in parts', () => {
  let dataSource: DataSource;
  let funnels: ClickFunnelService;

  const click = (n: number, type: string, at: number) =>
    dataSource.query(
      `INSERT INTO click_events (business_account_id, phone_number_id, action_type, click_component,
        click_id, product_id, occurred_at, received_at, dedupe_key) VALUES ('a', 'p', ?, 'cta', ?, ?, ?, ?, ?)`,
      [type, `c${n}`, `sku_${n % 3}`, at, at, `c${n}`],
    );
  const conversion = (n: number, value: number, currency: string | null) =>
    dataSource.query(
      `INSERT INTO click_conversions (click_id, event, occurred_at, received_at, value, currency,
        external_id, source, dedupe_key) VALUES (?, 'purchase', 1, 1, ?, ?, NULL, 'server', ?)`,
      [`c${n}`, value, currency, `k:${n}`],
    );

  beforeAll(async () => {
    dataSource = await migratedMemorySqlite();
    // No rollups: this suite reads the tables.
    funnels = new ClickFunnelService(dataSource, { read: () => Promise.resolve(null) } as never);
    // 60 link clicks over 30 days; every 3rd has a landing view (at any time, even before);
    // every 5th a purchase: 10 EUR, 7 USD or 1 without a currency, in turn.
    for (let n = 0; n < CLICKS; n++) {
      await click(n, LINK_CLICK, START + (n * 30 * DAY) / CLICKS);
      if (n % 3 === 0) await click(n, 'landing_page_view', START - DAY + n);
      if (n % 5 === 0) {
        const turn = (n / 5) % 3;
        await conversion(n, [10, 7, 1][turn]!, ['EUR', 'USD', null][turn]!);
      }
    }
  });

  afterAll(async () => {
    await dataSource.destroy();
  });

  it('adds up to the whole funnel, values per currency included', async () => {
    const query = vi.spyOn(dataSource, 'query');
    const steps = await funnels.funnel({ businessAccountId: 'a' }, [
      'click',
      'landing_page_view',
      'purchase',
    ]);
    // More cohort reads than steps: it was counted in parts.
    expect(query.mock.calls.length).toBeGreaterThan(10);
    query.mockRestore();
    expect(steps.map((s) => [s.name, s.count])).toEqual([
      ['click', 60],
      ['landing_page_view', 20],
      ['purchase', 12],
    ]);
    expect(steps[2]!.values).toEqual([
      { currency: null, sum: 4, count: 4 },
      { currency: 'EUR', sum: 40, count: 4 },
      { currency: 'USD', sum: 28, count: 4 },
    ]);
  });

  it('counts a step named twice once, and shows it twice', async () => {
    const steps = await funnels.funnel({ businessAccountId: 'a' }, [
      'click',
      'purchase',
      'purchase',
    ]);
    expect(steps.map((s) => s.count)).toEqual([60, 12, 12]);
    expect(steps[2]!.values).toEqual(steps[1]!.values);
  });

  it('keeps to the criteria: a time range cut across the parts', async () => {
    const from = START + 10 * DAY; // clicks 20..59
    const steps = await funnels.funnel({ businessAccountId: 'a', from }, [
      'click',
      'landing_page_view',
      'purchase',
    ]);
    const kept = Array.from({ length: CLICKS }, (_, n) => n).filter((n) => n >= 20);
    expect(steps.map((s) => s.count)).toEqual([
      kept.length,
      kept.filter((n) => n % 3 === 0).length,
      kept.filter((n) => n % 5 === 0).length,
    ]);
  });

  it('breaks down by product with the same sums', async () => {
    const groups = await funnels.breakdown(
      { businessAccountId: 'a' },
      ['click', 'purchase'],
      'product_id',
      10,
    );
    const expected = [0, 1, 2].map((p) => {
      const mine = Array.from({ length: CLICKS }, (_, n) => n).filter((n) => n % 3 === p);
      return { key: `sku_${p}`, counts: [mine.length, mine.filter((n) => n % 5 === 0).length] };
    });
    expect(groups.map((g) => ({ key: g.key, counts: g.steps.map((s) => s.count) }))).toEqual(
      expected,
    );
    const sku0 = groups.find((g) => g.key === 'sku_0')!.steps[1]!.values;
    // sku_0 holds n = 0, 15, 30, 45: turns 0, 0, 0, 0 → 4 × 10 EUR.
    expect(sku0).toEqual([{ currency: 'EUR', sum: 40, count: 4 }]);
  });
});
