import {
  bucketStart,
  bucketStartsBetween,
  type BucketInterval,
} from '../../src/stats/time-buckets.js';
import type { SeededClick } from '../fixtures/seed-clicks.js';

/** A clickStats filter as the GraphQL API takes it (ISO times). */
export interface StatsFilter {
  from?: string;
  to?: string;
  clickComponent?: 'CTA' | 'BODY';
  productId?: string;
  phoneNumberId?: string;
  actionType?: string;
  clickId?: string;
}

export interface Bucket {
  key: string | null;
  count: number;
}

export interface StatsAnswer {
  total: number;
  byComponent: Bucket[];
  byActionType: Bucket[];
  byPhoneNumber: Bucket[];
  byProduct: Bucket[];
  timeseries: { start: string; count: number }[];
}

export const STATS_QUERY = `query($a: ID!, $f: ClickEventFilter, $i: StatsInterval!, $z: String) {
  clickStats(businessAccountId: $a, filter: $f) {
    total byComponent { key count } byActionType { key count } byPhoneNumber { key count }
    byProduct(limit: 5) { key count } timeseries(interval: $i, timezone: $z) { start count } } }`;

/**
 * What clickStats must answer for `clicks` (each stored once), computed here from the clicks
 * alone with the pure bucket functions: the oracle the database answers are held to.
 */
export function expectedStats(
  clicks: readonly SeededClick[],
  account: string,
  filter: StatsFilter,
  interval: BucketInterval,
  zone: string,
): StatsAnswer {
  const from = filter.from === undefined ? undefined : Date.parse(filter.from);
  const to = filter.to === undefined ? undefined : Date.parse(filter.to);
  const selected = clicks.filter(
    (c) =>
      c.account === account &&
      (from === undefined || c.timestamp * 1000 >= from) &&
      (to === undefined || c.timestamp * 1000 < to) &&
      (filter.clickComponent === undefined ||
        c.clickComponent === filter.clickComponent.toLowerCase()) &&
      (filter.productId === undefined || c.productId === filter.productId) &&
      (filter.phoneNumberId === undefined || c.phoneNumberId === filter.phoneNumberId) &&
      (filter.actionType === undefined || c.actionType === filter.actionType) &&
      (filter.clickId === undefined || c.clickId === filter.clickId),
  );
  const series = new Map<number, number>();
  for (const c of selected) {
    const start = bucketStart(zone, interval, c.timestamp * 1000);
    series.set(start, (series.get(start) ?? 0) + 1);
  }
  const starts =
    from !== undefined && to !== undefined
      ? bucketStartsBetween(zone, interval, from, to, 5000)
      : [...series.keys()].sort((a, b) => a - b);
  return {
    total: selected.length,
    byComponent: expectedBreakdown(selected.map((c) => c.clickComponent?.toUpperCase() ?? null)),
    byActionType: expectedBreakdown(selected.map((c) => c.actionType)),
    byPhoneNumber: expectedBreakdown(selected.map((c) => c.phoneNumberId)),
    byProduct: expectedBreakdown(
      selected.map((c) => c.productId),
      5,
    ),
    timeseries: starts.map((start) => ({
      start: new Date(start).toISOString(),
      count: series.get(start) ?? 0,
    })),
  };
}

/** Counts per key as the contract orders them: highest first, ties by key (bytes), null last. */
export function expectedBreakdown(keys: readonly (string | null)[], limit?: number): Bucket[] {
  const counts = new Map<string | null, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  const buckets = [...counts].map(([key, count]) => ({ key, count }));
  buckets.sort((a, b) =>
    a.count !== b.count
      ? b.count - a.count
      : a.key === null
        ? 1
        : b.key === null
          ? -1
          : Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)),
  );
  return limit === undefined ? buckets : buckets.slice(0, limit);
}
