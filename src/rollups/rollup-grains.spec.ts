// Property-based: rollupRows counts clicks per combination first; what it adds must be what
// counting every click at every (grain, dimension) on its own adds, for any clicks.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CLICK_COLUMNS, type Row } from '../storage/click-rows.js';
import { ROLLUP_GRAINS, type RollupRow, rollupRows, rollupValue } from './rollup-grains.js';

const at = (name: (typeof CLICK_COLUMNS)[number]) => CLICK_COLUMNS.indexOf(name);

/** The definition: every click, every grain, every dimension, one count each. */
function eachClickCounted(clicks: readonly Row[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const click of clicks) {
    for (const { grain, dimensions } of ROLLUP_GRAINS) {
      const bucket = Math.floor((click[at('occurred_at')] as number) / grain) * grain;
      for (const dimension of dimensions) {
        const value = dimension === '' ? '' : rollupValue(click[at(dimension)] as string | null);
        const key = JSON.stringify([
          click[at('business_account_id')],
          dimension,
          grain,
          bucket,
          value,
        ]);
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    }
  }
  return counts;
}

const asCounts = (rows: RollupRow[]) => {
  const counts = new Map<string, number>();
  for (const [account, dimension, grain, bucket, value, count] of rows) {
    const key = JSON.stringify([account, dimension, grain, bucket, value]);
    expect(counts.has(key), `one row per key: ${key}`).toBe(false);
    counts.set(key, count);
  }
  return counts;
};

// Few values each, so that clicks share combinations; '' and null apart (they count apart).
const few = (values: string[]) => fc.constantFrom(...values);
const click: fc.Arbitrary<Row> = fc
  .record({
    account: few(['1', '2', '=1']),
    phone: few(['p', 'q']),
    type: few(['marketing_messages_link_click', 'other']),
    component: fc.option(few(['cta', 'body', '']), { nil: null }),
    product: fc.option(few(['sku', '', '=sku', 'x']), { nil: null }),
    // Mostly a few quarter hours (clicks share them, as in a delivery) on each side of the
    // epoch and of day and four-week edges, anywhere within them; sometimes any time.
    time: fc.oneof(
      fc
        .tuple(fc.constantFrom(-97, -96, -1, 0, 1, 95, 96, 2687, 2688), fc.nat(899_999))
        .map(([quarter, within]) => quarter * 900_000 + within),
      fc.integer({ min: -3 * 86_400_000, max: 60 * 86_400_000 }),
    ),
  })
  .map(({ account, phone, type, component, product, time }) =>
    CLICK_COLUMNS.map((column) => {
      switch (column) {
        case 'business_account_id':
          return account;
        case 'phone_number_id':
          return phone;
        case 'action_type':
          return type;
        case 'click_component':
          return component;
        case 'product_id':
          return product;
        case 'occurred_at':
          return time;
        default:
          return null;
      }
    }),
  );

/** Clicks, many of them alike (a delivery's clicks share most values). */
const clicks = fc
  .tuple(fc.array(click, { minLength: 1, maxLength: 12 }), fc.array(fc.nat(), { maxLength: 80 }))
  .map(([pool, picks]) => [...pool, ...picks.map((i) => pool[i % pool.length]!)]);

describe('rollupRows', () => {
  it('adds what counting each click on its own adds, for any clicks', () => {
    fc.assert(
      fc.property(clicks, (clicks) => {
        expect(asCounts(rollupRows(clicks))).toEqual(eachClickCounted(clicks));
      }),
      { numRuns: 300 },
    );
  });
});
