import type { CountBucket } from '../storage/click-event.queries.js';

/** Highest count first, then key by code point, the null key last (as the database sorts). */
export function byCountThenKey(
  a: CountBucket<string | null>,
  b: CountBucket<string | null>,
): number {
  if (a.count !== b.count) return b.count - a.count;
  if (a.key === b.key) return 0;
  if (a.key === null) return 1;
  if (b.key === null) return -1;
  return Buffer.compare(Buffer.from(a.key), Buffer.from(b.key));
}

/** Counts per key as breakdown buckets, in that order, up to `limit`. */
export function sorted(
  counts: ReadonlyMap<string | null, number> | undefined,
  limit?: number,
): CountBucket<string | null>[] {
  const buckets = [...(counts ?? [])].map(([key, count]) => ({ key, count }));
  buckets.sort(byCountThenKey);
  return limit === undefined ? buckets : buckets.slice(0, limit);
}
