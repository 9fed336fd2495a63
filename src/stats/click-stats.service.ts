import { Inject, Injectable } from '@nestjs/common';
import { RollupBackfill } from '../rollups/rollup-backfill.js';
import { DAY_MS, fromRollupValue, grainsOf, QUARTER_MS } from '../rollups/rollup-grains.js';
import { RollupQueries } from '../rollups/rollup.queries.js';
import {
  type BreakdownColumn,
  ClickEventQueries,
  type ClickEventCriteria,
  type CountBucket,
} from '../storage/click-event.queries.js';
import { sorted } from './count-order.js';
import {
  type Piece,
  planPieces,
  quartersAlign,
  rollupSelection,
  type RollupSelection,
  rollupSlice,
} from './rollup-plan.js';
import { type DayPlacement, dayPlacement } from './local-days.js';
import { readSummary, SUMMARY_DIMENSIONS, type Summary } from './stats-summary.js';
import {
  type BucketInterval,
  bucketKeySql,
  bucketStartsBetween,
  dayStart,
  offsetSegments,
} from './time-buckets.js';

/**
 * Most buckets one timeseries may return: 3.5 days of minutes, 208 days of hours, 13 years of
 * days. Each bucket is an object GraphQL completes and serialises in one go, so this bounds how
 * long one field holds the event loop (and webhooks with it).
 */
export const MAX_TIME_BUCKETS = 5_000;

/** A timeseries would hold more than MAX_TIME_BUCKETS buckets. */
export class TooManyBucketsError extends RangeError {
  override readonly name = 'TooManyBucketsError';
}

/**
 * Statistics of one account's clicks: from the rollups (`docs/rollups.md`) wherever they can
 * answer exactly, from the clicks themselves otherwise, with the same answers either way.
 */
@Injectable()
export class ClickStatsService {
  /**
   * The total and the small breakdowns of one criteria object (one `clickStats`), read once
   * for all of its fields; null where they are read field by field.
   */
  private readonly summaries = new WeakMap<ClickEventCriteria, Promise<Summary | null>>();

  constructor(
    @Inject(ClickEventQueries) private readonly clicks: ClickEventQueries,
    @Inject(RollupQueries) private readonly rollups: RollupQueries,
    @Inject(RollupBackfill) private readonly backfill: RollupBackfill,
  ) {}

  async total(criteria: ClickEventCriteria): Promise<number> {
    const summary = await this.summary(criteria);
    if (summary) return summary.counts.get('')?.get(null) ?? 0; // the total's one value, ''
    const selection = await this.selection(criteria);
    if (!selection) return this.clicks.count(criteria);
    const pieces = planPieces(criteria.from, criteria.to, grainsOf(selection.dimension));
    const counts = await Promise.all(
      pieces.map((piece) =>
        piece.grain === undefined
          ? this.clicks.count(within(criteria, piece))
          : this.rollups.sum(rollupSlice(criteria, selection, piece)),
      ),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  /** Counts per value of `column`, highest first, ties by key (bytes), the null key last. */
  async breakdown(
    criteria: ClickEventCriteria,
    column: BreakdownColumn,
    limit?: number,
  ): Promise<CountBucket<string | null>[]> {
    const summary = SUMMARY_DIMENSIONS.includes(column) ? await this.summary(criteria) : null;
    if (summary) return sorted(summary.counts.get(column), limit);
    const selection = await this.selection(criteria);
    if (!selection || (selection.dimension !== '' && selection.dimension !== column)) {
      return this.clicks.breakdown(criteria, column, limit);
    }
    if (selection.dimension === column) {
      // Filtered on this very column: one key.
      const count = await this.total(criteria);
      return count === 0 || limit === 0 ? [] : [{ key: fromRollupValue(selection.value), count }];
    }
    const pieces = planPieces(criteria.from, criteria.to, grainsOf(column));
    const parts = await Promise.all(
      pieces.map((piece) =>
        piece.grain === undefined
          ? this.clicks.breakdown(within(criteria, piece), column)
          : this.rollups.byValue({
              ...rollupSlice(criteria, selection, piece),
              dimension: column,
              value: undefined,
            }),
      ),
    );
    const counts = new Map<string | null, number>();
    for (const { key, count } of parts.flat()) counts.set(key, (counts.get(key) ?? 0) + count);
    return sorted(counts, limit);
  }

  /**
   * Counts per bucket start, oldest first, on interval boundaries in `zone`; with both `from`
   * and `to`, every bucket between them, empty ones with count 0.
   * @throws TooManyBucketsError past MAX_TIME_BUCKETS buckets
   */
  async timeseries(
    criteria: ClickEventCriteria,
    interval: BucketInterval,
    zone: string,
  ): Promise<{ start: number; count: number }[]> {
    const { from, to } = criteria;
    let starts: number[] | undefined;
    if (from !== undefined && to !== undefined) {
      try {
        starts = bucketStartsBetween(zone, interval, from, to, MAX_TIME_BUCKETS);
      } catch (error) {
        if (error instanceof RangeError) throw new TooManyBucketsError(error.message);
        throw error;
      }
    }
    const counts = new Map<number, number>();
    for (const { key, count } of await this.countByBucket(criteria, interval, zone)) {
      const start = interval === 'DAY' ? dayStart(zone, key) : key;
      counts.set(start, (counts.get(start) ?? 0) + count);
    }
    if (!starts) {
      // A local day's parts may add up to nothing (`countLocalDays`): no bucket, as from the clicks.
      starts = [...counts].filter(([, count]) => count !== 0).map(([start]) => start);
      if (starts.length > MAX_TIME_BUCKETS) {
        throw new TooManyBucketsError(
          `more than ${MAX_TIME_BUCKETS} ${interval} buckets: narrow from/to or use a longer interval`,
        );
      }
      starts.sort((a, b) => a - b);
    }
    return starts.map((start) => ({ start, count: counts.get(start) ?? 0 }));
  }

  /** Counts per bucket key (`bucketKeySql`): quarter-hour rollups when they fall whole into buckets. */
  private async countByBucket(
    criteria: ClickEventCriteria,
    interval: BucketInterval,
    zone: string,
  ): Promise<CountBucket<number>[]> {
    const selection = interval === 'MINUTE' ? null : await this.selection(criteria);
    if (!selection || !grainsOf(selection.dimension).includes(QUARTER_MS)) {
      return this.countClicksByBucket(criteria, interval, zone);
    }
    const pieces = planPieces(criteria.from, criteria.to, [QUARTER_MS]);
    // The zone's offsets are walked over the counted time range only, never over the
    // filter's: a filter reaching to the year 9999 (or 275760) must not walk empty millennia.
    // Unfiltered, the summary's day rows bound it (more widely: as good), with no read of its own.
    const summary = selection.dimension === '' ? await this.summary(criteria) : null;
    const ranges = await Promise.all(
      pieces.map(async (piece) => {
        if (summary) return piece === pieces[0] ? summary.range : null;
        if (piece.grain === undefined) return this.clicks.timeRange(within(criteria, piece));
        const range = await this.rollups.range(rollupSlice(criteria, selection, piece));
        return range && { min: range.min, max: range.max + QUARTER_MS - 1 };
      }),
    );
    const counted = ranges.filter((range) => range !== null);
    if (counted.length === 0) return [];
    const min = Math.min(...counted.map((range) => range.min));
    const max = Math.max(...counted.map((range) => range.max));
    const segments = offsetSegments(zone, min, max + 1);
    if (!quartersAlign(segments)) return this.countClicksByBucket(criteria, interval, zone);
    const keySql = (column: string) => bucketKeySql(column, interval, segments);
    if (interval === 'DAY' && segments.length === 1 && min >= 0) {
      return this.countLocalDays(criteria, selection, dayPlacement(segments[0]!.offset), keySql);
    }
    const parts = await Promise.all(
      pieces.map((piece) =>
        piece.grain === undefined
          ? this.clicks.countByBucket(within(criteria, piece), keySql)
          : this.rollups.countByBucket(rollupSlice(criteria, selection, piece), keySql),
      ),
    );
    return parts.flat();
  }

  /**
   * Counts per local day of a zone with one offset over the counted range: whole UTC days from
   * their day rows, corrected by the quarter hours of them that are on another local day
   * (`DayPlacement`); the ends of [from, to) as `countByBucket` reads them.
   */
  private async countLocalDays(
    criteria: ClickEventCriteria,
    selection: RollupSelection,
    { dayShift, moved, movedShift }: DayPlacement,
    keySql: (column: string) => string,
  ): Promise<CountBucket<number>[]> {
    const utcDay = (column: string) => `(${column} / ${DAY_MS})`;
    const pieces = planPieces(criteria.from, criteria.to, [DAY_MS, QUARTER_MS]);
    const parts = await Promise.all(
      pieces.map(async (piece) => {
        if (piece.grain === undefined) {
          return this.clicks.countByBucket(within(criteria, piece), keySql);
        }
        const slice = rollupSlice(criteria, selection, piece);
        if (piece.grain === QUARTER_MS) return this.rollups.countByBucket(slice, keySql);
        const [days, movedParts] = await Promise.all([
          this.rollups.countByBucket(slice, utcDay),
          moved
            ? this.rollups.countByBucket({ ...slice, grain: QUARTER_MS, timeOfDay: moved }, utcDay)
            : [],
        ]);
        return [
          ...days.map(({ key, count }) => ({ key: key + dayShift, count })),
          ...movedParts.flatMap(({ key, count }) => [
            { key: key + dayShift, count: -count },
            { key: key + movedShift, count },
          ]),
        ];
      }),
    );
    return parts.flat();
  }

  private async countClicksByBucket(
    criteria: ClickEventCriteria,
    interval: BucketInterval,
    zone: string,
  ): Promise<CountBucket<number>[]> {
    const range = await this.clicks.timeRange(criteria);
    if (!range) return [];
    const segments = offsetSegments(zone, range.min, range.max + 1);
    return this.clicks.countByBucket(criteria, (column) =>
      bucketKeySql(column, interval, segments),
    );
  }

  private summary(criteria: ClickEventCriteria): Promise<Summary | null> {
    let summary = this.summaries.get(criteria);
    if (!summary) {
      summary = this.selection(criteria).then((selection) =>
        selection?.dimension === '' ? readSummary(this.rollups, criteria, selection) : null,
      );
      this.summaries.set(criteria, summary);
    }
    return summary;
  }

  /** The rollups that answer `criteria`, once they count every stored click. */
  private async selection(criteria: ClickEventCriteria) {
    const selection = rollupSelection(criteria);
    return selection && (await this.backfill.done()) ? selection : null;
  }
}

/** The criteria narrowed to a piece's time range. */
function within(criteria: ClickEventCriteria, piece: Piece): ClickEventCriteria {
  return { ...criteria, from: piece.from, to: piece.to };
}
