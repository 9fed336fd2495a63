// The GraphQL read API's clickStats on every database: breakdowns, filters and timeseries, as
// an oracle computes them from the seeded clicks.
import { describe, expect, it } from 'vitest';
import { databaseTargets } from '../support/databases.js';
import { SERIES, seededGraphql, STATS } from '../support/seeded-graphql.js';
import { expectedBreakdown } from '../support/stats-oracle.js';

const targets = await databaseTargets();

/** The local calendar date of an instant, computed independently of the code under test. */
const localDate = (seconds: number, timeZone: string) =>
  new Intl.DateTimeFormat('en-CA', { timeZone }).format(new Date(seconds * 1000));

describe.each(targets)('GraphQL clickStats on $kind', (target) => {
  describe.skipIf(target.unavailable !== null)('seeded', () => {
    const { ofA, query } = seededGraphql(target);

    describe('clickStats', () => {
      it('computes every breakdown as the seeded data says', async () => {
        const answer = await query(STATS, { account: 'waba-a', limit: 2 });
        expect(answer.errors).toBeUndefined();
        const components = ofA.map((c) =>
          c.clickComponent === null ? null : c.clickComponent.toUpperCase(),
        );
        expect(answer.data.clickStats).toEqual({
          total: ofA.length,
          byComponent: expectedBreakdown(components),
          byActionType: expectedBreakdown(ofA.map((c) => c.actionType)),
          byPhoneNumber: expectedBreakdown(ofA.map((c) => c.phoneNumberId)),
          byProduct: expectedBreakdown(
            ofA.map((c) => c.productId),
            2,
          ),
        });
      });

      it('applies the filter to every field', async () => {
        const filter = { clickComponent: 'CTA', phoneNumberId: 'ph-1' };
        const subset = ofA.filter((c) => c.clickComponent === 'cta' && c.phoneNumberId === 'ph-1');
        const answer = await query(STATS, { account: 'waba-a', filter, limit: 10 });
        expect(answer.data.clickStats.total).toBe(subset.length);
        expect(answer.data.clickStats.byProduct).toEqual(
          expectedBreakdown(subset.map((c) => c.productId)),
        );
        expect(answer.data.clickStats.byComponent).toEqual([{ key: 'CTA', count: subset.length }]);
      });

      it.each([
        [
          'UTC',
          [
            '2025-03-05T00:00:00.000Z',
            '2025-03-06T00:00:00.000Z',
            '2025-03-07T00:00:00.000Z',
            '2025-03-08T00:00:00.000Z',
            '2025-03-09T00:00:00.000Z',
            '2025-03-10T00:00:00.000Z',
            '2025-03-11T00:00:00.000Z',
            '2025-03-12T00:00:00.000Z',
          ],
        ],
        [
          'Asia/Kolkata',
          [
            '2025-03-04T18:30:00.000Z',
            '2025-03-05T18:30:00.000Z',
            '2025-03-06T18:30:00.000Z',
            '2025-03-07T18:30:00.000Z',
            '2025-03-08T18:30:00.000Z',
            '2025-03-09T18:30:00.000Z',
            '2025-03-10T18:30:00.000Z',
            '2025-03-11T18:30:00.000Z',
          ],
        ],
        // 2025-03-09 lasts 23 hours in New York.
        [
          'America/New_York',
          [
            '2025-03-05T05:00:00.000Z',
            '2025-03-06T05:00:00.000Z',
            '2025-03-07T05:00:00.000Z',
            '2025-03-08T05:00:00.000Z',
            '2025-03-09T05:00:00.000Z',
            '2025-03-10T04:00:00.000Z',
            '2025-03-11T04:00:00.000Z',
            '2025-03-12T04:00:00.000Z',
          ],
        ],
      ])('counts DAY buckets in %s, zero-filled between from and to', async (tz, starts) => {
        const from = '2025-03-05T12:00:00.000Z';
        const to = '2025-03-12T06:00:00.000Z';
        const answer = await query(SERIES, {
          account: 'waba-a',
          filter: { from, to },
          interval: 'DAY',
          tz,
        });
        expect(answer.errors).toBeUndefined();
        const buckets = answer.data.clickStats.timeseries as { start: string; count: number }[];
        expect(buckets.map((b) => b.start)).toEqual(starts);

        const expected = new Map<string, number>();
        for (const c of ofA) {
          if (c.timestamp * 1000 < Date.parse(from) || c.timestamp * 1000 >= Date.parse(to))
            continue;
          const day = localDate(c.timestamp, tz);
          expected.set(day, (expected.get(day) ?? 0) + 1);
        }
        expect(buckets.map((b) => [localDate(Date.parse(b.start) / 1000, tz), b.count])).toEqual(
          starts.map((s) => [
            localDate(Date.parse(s) / 1000, tz),
            expected.get(localDate(Date.parse(s) / 1000, tz)) ?? 0,
          ]),
        );
        // The seeded clicks begin on 2025-03-07: the first buckets are present, with 0.
        expect(buckets[0]!.count).toBe(0);
        expect(buckets.reduce((sum, b) => sum + b.count, 0)).toBe(
          [...expected.values()].reduce((a, b) => a + b, 0),
        );
      });

      it('lists only non-empty buckets without from and to, on half-hour boundaries in Kolkata', async () => {
        const answer = await query(SERIES, {
          account: 'waba-b',
          interval: 'HOUR',
          tz: 'Asia/Kolkata',
        });
        const buckets = answer.data.clickStats.timeseries as { start: string; count: number }[];
        expect(buckets.length).toBeGreaterThan(0);
        expect(buckets.every((b) => new Date(b.start).getUTCMinutes() === 30 && b.count > 0)).toBe(
          true,
        );
        const total = (await query(STATS, { account: 'waba-b' })).data.clickStats.total;
        expect(buckets.reduce((sum, b) => sum + b.count, 0)).toBe(total);
      });
    });
  });
});
