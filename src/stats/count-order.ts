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
  return compareCodePoints(a.key, b.key);
}

/**
 * Strings in code point order (UTF-8 byte order), without encoding them: UTF-16 units order
 * alike but for surrogates, which stand for code points above every other unit.
 */
function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (isSurrogate(x) || isSurrogate(y)) return Buffer.compare(Buffer.from(a), Buffer.from(b));
    return x - y;
  }
  return a.length - b.length;
}

const isSurrogate = (unit: number) => unit >= 0xd800 && unit <= 0xdfff;

/** Counts per key as breakdown buckets, in that order, up to `limit`. */
export function sorted(
  counts: ReadonlyMap<string | null, number> | undefined,
  limit?: number,
): CountBucket<string | null>[] {
  const buckets = [...(counts ?? [])].map(([key, count]) => ({ key, count }));
  buckets.sort(byCountThenKey);
  return limit === undefined ? buckets : buckets.slice(0, limit);
}
