/**
 * Time buckets on the boundaries of an IANA time zone, for SQL that knows no time zones (SQLite)
 * and gives the same answer on PostgreSQL. Pure: Intl is the only source of zone rules.
 *
 * An instant's local bucket is floor((t + offset(t)) / size), where offset is constant between
 * two transitions of the zone. So the range to count is cut into segments of constant offset,
 * and the database evaluates one CASE over them: a handful of branches a year.
 */

export type BucketInterval = 'MINUTE' | 'HOUR' | 'DAY';

export const INTERVAL_MS: Record<BucketInterval, number> = {
  MINUTE: 60_000,
  HOUR: 3_600_000,
  DAY: 86_400_000,
};

/** The zone is not an IANA name this runtime knows. */
export class UnknownTimeZoneError extends Error {
  override readonly name = 'UnknownTimeZoneError';
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let format = formatters.get(zone);
  if (!format) {
    try {
      format = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' });
    } catch {
      throw new UnknownTimeZoneError(`"${zone}" is not an IANA time zone (e.g. "Europe/Berlin")`);
    }
    formatters.set(zone, format);
  }
  return format;
}

/** Throws UnknownTimeZoneError unless `zone` is a time zone name. */
export function assertTimeZone(zone: string): void {
  formatter(zone);
}

/** The zone's offset from UTC at instant `t`, in milliseconds (east positive). */
export function zoneOffset(zone: string, t: number): number {
  const name = formatter(zone)
    .formatToParts(t)
    .find((part) => part.type === 'timeZoneName')!.value; // "GMT", "GMT+05:30", "GMT-04:00"
  const match = /GMT([+-])(\d{2}):(\d{2})(?::(\d{2}))?/.exec(name);
  if (!match) return 0;
  const ms = (Number(match[2]) * 3600 + Number(match[3]) * 60 + Number(match[4] ?? 0)) * 1000;
  return match[1] === '-' ? -ms : ms;
}

/** A stretch of time from `start` on during which the zone's offset is `offset`. */
export interface OffsetSegment {
  start: number;
  offset: number;
}

/** Zones change offset a few times a year at most, never twice within this step. */
const TRANSITION_PROBE_MS = 48 * 3_600_000;

/**
 * Segments of constant offset covering [from, to]; the first starts at `from`. Remembered: a
 * dashboard asks for the same range (the days with clicks) again and again, and walking 90
 * days costs 45 zone look-ups.
 */
export function offsetSegments(zone: string, from: number, to: number): readonly OffsetSegment[] {
  const key = `${zone}\u0000${from}\u0000${to}`;
  let segments = segmentsFound.get(key);
  if (!segments) {
    if (segmentsFound.size >= SEGMENTS_CACHED) segmentsFound.clear();
    segments = Object.freeze(findSegments(zone, from, to));
    segmentsFound.set(key, segments);
  }
  return segments;
}

const SEGMENTS_CACHED = 1_000;
const segmentsFound = new Map<string, readonly OffsetSegment[]>();

function findSegments(zone: string, from: number, to: number): OffsetSegment[] {
  const segments: OffsetSegment[] = [{ start: from, offset: zoneOffset(zone, from) }];
  let probe = from;
  while (probe < to) {
    const next = Math.min(probe + TRANSITION_PROBE_MS, to);
    const current = segments.at(-1)!.offset;
    const nextOffset = zoneOffset(zone, next);
    if (nextOffset !== current) {
      // The first instant with the new offset, to the millisecond.
      let low = probe;
      let high = next;
      while (high - low > 1) {
        const mid = Math.floor((low + high) / 2);
        if (zoneOffset(zone, mid) === current) low = mid;
        else high = mid;
      }
      segments.push({ start: high, offset: nextOffset });
    }
    probe = next;
  }
  return segments;
}

/**
 * SQL computing each row's bucket from an integer millisecond `column`: the bucket's UTC start
 * for MINUTE and HOUR, the local day number for DAY (its start is found with `dayStart`, as a
 * local midnight's offset may differ from the offset of the day's later instants). Only
 * integers computed here go into the text; integer division floors for the non-negative times
 * the parser accepts, on SQLite and PostgreSQL alike.
 */
export function bucketKeySql(
  column: string,
  interval: BucketInterval,
  segments: readonly OffsetSegment[],
): string {
  const size = INTERVAL_MS[interval];
  const keyFor = (offset: number) =>
    interval === 'DAY'
      ? `((${column} + ${offset}) / ${size})`
      : `(((${column} + ${offset}) / ${size}) * ${size} - ${offset})`;
  for (const { start, offset } of segments) {
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(offset)) {
      throw new Error(`bucket segment ${start}/${offset} is not an integer`);
    }
  }
  const last = segments.at(-1)!;
  if (segments.length === 1) return keyFor(last.offset);
  const branches = segments
    .slice(1)
    .map((segment, i) => `WHEN ${column} < ${segment.start} THEN ${keyFor(segments[i]!.offset)}`);
  return `(CASE ${branches.join(' ')} ELSE ${keyFor(last.offset)} END)`;
}

/**
 * The UTC instant at which local day number `day` (days since 1970-01-01, local) begins: local
 * midnight, or where midnight falls twice (clocks turned back at 00:00) the first of them, or
 * where it does not exist (clocks turned forward at 00:00) the end of the gap.
 */
export function dayStart(zone: string, day: number): number {
  const key = `${zone}\u0000${day}`;
  let start = dayStarts.get(key);
  if (start === undefined) {
    if (dayStarts.size >= DAY_STARTS_CACHED) dayStarts.clear();
    start = findDayStart(zone, day);
    dayStarts.set(key, start);
  }
  return start;
}

/** Day starts found lately: each costs four zone look-ups, and a timeseries asks for hundreds. */
const dayStarts = new Map<string, number>();
const DAY_STARTS_CACHED = 100_000;

function findDayStart(zone: string, day: number): number {
  const midnight = day * INTERVAL_MS.DAY;
  // The offsets before and after any transition near this midnight (zones never change twice
  // within 52 hours).
  const candidates = [-26, 26].map(
    (hours) => midnight - zoneOffset(zone, midnight + hours * INTERVAL_MS.HOUR),
  );
  const valid = candidates.filter((t) => t + zoneOffset(zone, t) === midnight);
  return valid.length > 0 ? Math.min(...valid) : Math.max(...candidates);
}

/** The start of the bucket holding instant `t`. */
export function bucketStart(zone: string, interval: BucketInterval, t: number): number {
  const offset = zoneOffset(zone, t);
  if (interval === 'DAY') return dayStart(zone, Math.floor((t + offset) / INTERVAL_MS.DAY));
  const size = INTERVAL_MS[interval];
  return Math.floor((t + offset) / size) * size - offset;
}

/** The start of the bucket after the one starting at `start`. */
export function nextBucketStart(zone: string, interval: BucketInterval, start: number): number {
  if (interval === 'DAY') {
    const day = Math.floor((start + zoneOffset(zone, start)) / INTERVAL_MS.DAY);
    return dayStart(zone, day + 1);
  }
  return bucketStart(zone, interval, start + INTERVAL_MS[interval]);
}

/**
 * Every bucket start from the one holding `from` while before `to`; throws a RangeError past
 * `max` buckets so that one request cannot ask for millions of them.
 */
export function bucketStartsBetween(
  zone: string,
  interval: BucketInterval,
  from: number,
  to: number,
  max: number,
): number[] {
  const starts: number[] = [];
  const first = bucketStart(zone, interval, from);
  // Within a stretch of constant offset, the next bucket starts one interval later (a local day
  // that began at midnight lasts 24 h there); the zone is asked only where its offset changes. The stretches are found
  // only as far as `max` buckets can reach, so no range walks further than its answer.
  const longest = interval === 'DAY' ? 25 * INTERVAL_MS.HOUR : INTERVAL_MS[interval];
  const horizon = Math.min(to, first + (max + 1) * longest);
  const segments = offsetSegments(zone, first, horizon + 1);
  let segment = 0;
  for (let start = first; start < to;) {
    if (starts.length === max) {
      throw new RangeError(
        `more than ${max} ${interval} buckets: narrow from/to or use a longer interval`,
      );
    }
    starts.push(start);
    while (segment + 1 < segments.length && segments[segment + 1]!.start <= start) segment++;
    const size = INTERVAL_MS[interval];
    const next = start + size;
    // A start on the interval's boundary in local time (not a day begun late by a gap at
    // midnight), and the next one still before the offset changes.
    const aligned = (start + segments[segment]!.offset) % size === 0;
    const sameOffset =
      segment + 1 < segments.length ? next < segments[segment + 1]!.start : next <= horizon;
    start = aligned && sameOffset ? next : nextBucketStart(zone, interval, start);
  }
  return starts;
}
