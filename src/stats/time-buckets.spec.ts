import fc from 'fast-check';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import {
  assertTimeZone,
  bucketKeySql,
  bucketStart,
  bucketStartsBetween,
  dayStart,
  nextBucketStart,
  offsetSegments,
  UnknownTimeZoneError,
  zoneOffset,
} from './time-buckets.js';

const at = (iso: string) => Date.parse(iso);
const HOUR = 3_600_000;

describe('time buckets', () => {
  it('reads offsets, half hours and DST included', () => {
    expect(zoneOffset('UTC', at('2025-03-09T12:00:00Z'))).toBe(0);
    expect(zoneOffset('Asia/Kolkata', at('2025-03-09T12:00:00Z'))).toBe(5.5 * HOUR);
    expect(zoneOffset('America/New_York', at('2025-03-09T06:59:59Z'))).toBe(-5 * HOUR);
    expect(zoneOffset('America/New_York', at('2025-03-09T07:00:00Z'))).toBe(-4 * HOUR);
  });

  it('refuses unknown zones', () => {
    expect(() => assertTimeZone('Mars/Olympus')).toThrow(UnknownTimeZoneError);
    expect(() => assertTimeZone('Europe/Berlin')).not.toThrow();
  });

  it('finds DST transitions to the millisecond', () => {
    const segments = offsetSegments(
      'America/New_York',
      at('2025-01-01T00:00:00Z'),
      at('2026-01-01T00:00:00Z'),
    );
    expect(segments).toEqual([
      { start: at('2025-01-01T00:00:00Z'), offset: -5 * HOUR },
      { start: at('2025-03-09T07:00:00Z'), offset: -4 * HOUR },
      { start: at('2025-11-02T06:00:00Z'), offset: -5 * HOUR },
    ]);
    expect(offsetSegments('Asia/Kolkata', 0, at('2026-01-01T00:00:00Z'))).toHaveLength(1);
  });

  it('starts days at local midnight, 23 and 25 hours long across DST', () => {
    const ny = 'America/New_York';
    const days = bucketStartsBetween(
      ny,
      'DAY',
      at('2025-03-08T12:00:00Z'),
      at('2025-03-11T04:00:00Z'),
      100,
    );
    expect(days.map((d) => new Date(d).toISOString())).toEqual([
      '2025-03-08T05:00:00.000Z',
      '2025-03-09T05:00:00.000Z', // 23 hours long
      '2025-03-10T04:00:00.000Z',
    ]);
    const fall = bucketStartsBetween(
      ny,
      'DAY',
      at('2025-11-02T04:00:00Z'),
      at('2025-11-04T00:00:00Z'),
      100,
    );
    expect(fall[1]! - fall[0]!).toBe(25 * HOUR);
  });

  it('starts Kolkata hours and days on the half hour', () => {
    expect(
      new Date(bucketStart('Asia/Kolkata', 'DAY', at('2025-06-01T20:00:00Z'))).toISOString(),
    ).toBe('2025-06-01T18:30:00.000Z');
    expect(
      new Date(bucketStart('Asia/Kolkata', 'HOUR', at('2025-06-01T20:10:00Z'))).toISOString(),
    ).toBe('2025-06-01T19:30:00.000Z');
  });

  it('begins a day whose midnight does not exist at the end of the gap', () => {
    // Santiago springs forward at 00:00 local on 2025-09-07: the day begins at 01:00 (-03:00).
    expect(
      new Date(dayStart('America/Santiago', Date.UTC(2025, 8, 7) / 86_400_000)).toISOString(),
    ).toBe('2025-09-07T04:00:00.000Z');
  });

  it('refuses more buckets than allowed', () => {
    expect(() => bucketStartsBetween('UTC', 'MINUTE', 0, 10 * 60_000 + 1, 10)).toThrow(RangeError);
    expect(bucketStartsBetween('UTC', 'MINUTE', 0, 10 * 60_000, 10)).toHaveLength(10);
  });

  it('computes in SQL the buckets it computes in JS, across a DST change', () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE x (t INTEGER NOT NULL)');
    const zone = 'America/New_York';
    const from = at('2025-11-01T00:00:00Z');
    const to = at('2025-11-04T00:00:00Z');
    const times = Array.from({ length: 300 }, (_, i) => from + i * 863_999);
    const insert = db.prepare('INSERT INTO x (t) VALUES (?)');
    for (const t of times) insert.run(t);
    for (const interval of ['MINUTE', 'HOUR', 'DAY'] as const) {
      const sql = bucketKeySql('t', interval, offsetSegments(zone, from, to));
      const keys = (
        db.prepare(`SELECT ${sql} AS k FROM x ORDER BY rowid`).all() as { k: number }[]
      ).map((row) => row.k);
      expect(keys).toEqual(
        times.map((t) =>
          interval === 'DAY'
            ? Math.floor((t + zoneOffset(zone, t)) / 86_400_000)
            : bucketStart(zone, interval, t),
        ),
      );
    }
  });
});

describe('bucketStartsBetween against the zone asked at every bucket', () => {
  /** The plain walk: every next start asked of the zone. */
  function reference(zone: string, interval: 'MINUTE' | 'HOUR' | 'DAY', from: number, to: number) {
    const starts: number[] = [];
    for (let start = bucketStart(zone, interval, from); start < to;) {
      starts.push(start);
      start = nextBucketStart(zone, interval, start);
    }
    return starts;
  }
  const zones = [
    'UTC',
    'Europe/Berlin',
    'America/New_York',
    'Asia/Kolkata',
    'Australia/Lord_Howe',
    'Pacific/Chatham',
    'America/Sao_Paulo',
    'America/Havana',
  ];
  const spans = { MINUTE: 4 * 86_400_000, HOUR: 200 * 86_400_000, DAY: 4 * 365 * 86_400_000 };

  it('gives the same starts across DST changes, :30 and :45 zones, and midnight transitions', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.constantFrom('MINUTE' as const, 'HOUR' as const, 'DAY' as const),
        fc.integer({ min: Date.UTC(1995, 0, 1), max: Date.UTC(2035, 0, 1) }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (zone, interval, from, fraction) => {
          const to = from + Math.floor(fraction * spans[interval]);
          expect(bucketStartsBetween(zone, interval, from, to, 1_000_000)).toEqual(
            reference(zone, interval, from, to),
          );
        },
      ),
      { numRuns: 400 },
    );
  });
});
