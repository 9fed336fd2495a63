import type { DataSource, SelectQueryBuilder } from 'typeorm';
import type { CountBucket } from '../storage/click-event.queries.js';
import { ROLLUP_COUNTS_VIEW } from './rollup-deltas.js';
import { DAY_MS, fromRollupValue, ROLLUP_TABLE, type RollupDimension } from './rollup-grains.js';

/** Which rollup rows: one account, one dimension (value: one of its values), one grain. */
export interface RollupSlice {
  businessAccountId: string;
  dimension: RollupDimension;
  /** A `rollupValue`, or undefined for every value of the dimension. */
  value?: string;
  grain: number;
  /** Buckets starting at or after (ms, on the grain). */
  from?: number;
  /** Buckets starting before (ms, on the grain). */
  to?: number;
  /** Only buckets starting at this time of day, in ms since UTC midnight: [from, to). */
  timeOfDay?: { from: number; to: number };
}

/** Reads of the rollups, all summed in the database; every one seeks the rollup key. */
export class RollupQueries {
  /** PostgreSQL: the rollups with the deltas not folded yet. */
  private readonly table: string;

  constructor(private readonly dataSource: DataSource) {
    this.table = dataSource.driver.options.type === 'postgres' ? ROLLUP_COUNTS_VIEW : ROLLUP_TABLE;
  }

  async sum(slice: RollupSlice): Promise<number> {
    const row = await this.rows(slice)
      .select('SUM(r.count)', 'n')
      .getRawOne<{ n: string | number | null }>();
    return Number(row?.n ?? 0);
  }

  /** Counts per value of the slice's dimension (as stored: decoded, null for absent). */
  async byValue(slice: RollupSlice): Promise<CountBucket<string | null>[]> {
    const rows = await this.rows(slice)
      .select('r.value', 'v')
      .addSelect('SUM(r.count)', 'n')
      .groupBy('r.value')
      .getRawMany<{ v: string; n: string | number }>();
    return rows.map((row) => ({ key: fromRollupValue(row.v), count: Number(row.n) }));
  }

  /**
   * Counts per dimension and value of several dimensions at once (`slice.dimension` is ignored,
   * `slice.value` must be undefined), with each one's first and last bucket start: one read for
   * the total and the small breakdowns.
   */
  async byDimensionAndValue(
    slice: RollupSlice,
    dimensions: readonly RollupDimension[],
  ): Promise<
    { dimension: RollupDimension; key: string | null; count: number; min: number; max: number }[]
  > {
    const rows = await this.rows({ ...slice, dimension: '' }, dimensions)
      .select('r.dimension', 'd')
      .addSelect('r.value', 'v')
      .addSelect('SUM(r.count)', 'n')
      .addSelect('MIN(r.bucket)', 'lo')
      .addSelect('MAX(r.bucket)', 'hi')
      .groupBy('r.dimension')
      .addGroupBy('r.value')
      .getRawMany<{
        d: RollupDimension;
        v: string;
        n: string | number;
        lo: string | number;
        hi: string | number;
      }>();
    return rows.map((row) => ({
      dimension: row.d,
      key: fromRollupValue(row.v),
      count: Number(row.n),
      min: Number(row.lo),
      max: Number(row.hi),
    }));
  }

  /** The first and last bucket start of the slice, or null when it counts nothing. */
  async range(slice: RollupSlice): Promise<{ min: number; max: number } | null> {
    const row = await this.rows(slice)
      .select('MIN(r.bucket)', 'min')
      .addSelect('MAX(r.bucket)', 'max')
      .getRawOne<{ min: string | number | null; max: string | number | null }>();
    return row?.min == null || row.max == null
      ? null
      : { min: Number(row.min), max: Number(row.max) };
  }

  /** Counts per `bucketSql(bucket column)`, as `ClickEventQueries.countByBucket`. */
  async countByBucket(
    slice: RollupSlice,
    bucketSql: (column: string) => string,
  ): Promise<CountBucket<number>[]> {
    const query = this.rows(slice);
    const expression = bucketSql(`${query.escape('r')}.${query.escape('bucket')}`);
    const rows = await query
      .select(expression, 'k')
      .addSelect('SUM(r.count)', 'n')
      .groupBy(expression)
      .getRawMany<{ k: string | number; n: string | number }>();
    return rows.map((row) => ({ key: Number(row.k), count: Number(row.n) }));
  }

  private rows(
    slice: RollupSlice,
    dimensions?: readonly RollupDimension[],
  ): SelectQueryBuilder<object> {
    const query = this.dataSource
      .createQueryBuilder()
      .from(this.table, 'r')
      .where('r.business_account_id = :account', { account: slice.businessAccountId });
    if (dimensions) query.andWhere('r.dimension IN (:...dimensions)', { dimensions });
    else query.andWhere('r.dimension = :dimension', { dimension: slice.dimension });
    query.andWhere('r.grain = :grain', { grain: slice.grain });
    if (slice.from !== undefined) query.andWhere('r.bucket >= :from', { from: slice.from });
    if (slice.to !== undefined) query.andWhere('r.bucket < :to', { to: slice.to });
    if (slice.timeOfDay) {
      // As the PostgreSQL index ix_click_rollups_time_of_day has it: one range of it.
      query.andWhere(`r.bucket % ${DAY_MS} >= :fromTime AND r.bucket % ${DAY_MS} < :toTime`, {
        fromTime: slice.timeOfDay.from,
        toTime: slice.timeOfDay.to,
      });
    }
    // The total's only value is '': no condition, so MIN/MAX read one end of the key alone.
    if (slice.value !== undefined && slice.dimension !== '') {
      query.andWhere('r.value = :value', { value: slice.value });
    }
    return query;
  }
}
