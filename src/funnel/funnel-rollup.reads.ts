import type { DataSource } from 'typeorm';
import { fromRollupValue } from '../rollups/rollup-grains.js';
import { FUNNEL_ROLLUP_TABLE, type FunnelDimension } from './funnel-rollup-rows.js';
import { Where } from './funnel-sql.js';

/** Which funnel rollup rows: one account, dimension (and value), grain, bucket range, steps. */
export interface FunnelSlice {
  businessAccountId: string;
  dimension: FunnelDimension;
  /** A `rollupValue`, or undefined for every value of the dimension. */
  value?: string;
  grain: number;
  /** Buckets starting at or after (ms, on the grain). */
  from?: number;
  /** Buckets starting before (ms, on the grain). */
  to?: number;
  steps: readonly string[];
}

/** A step's count (`currency` REACHED) or value sum in one currency, per dimension value. */
export interface FunnelRollupSum {
  /** The dimension's value (decoded), or null for clicks without one. */
  key: string | null;
  step: string;
  currency: string;
  count: number;
  total: number;
}

/** Reads of the funnel rollups, summed in the database; every one seeks the rollup key. */
export class FunnelRollupReads {
  private readonly postgres: boolean;

  constructor(private readonly dataSource: DataSource) {
    this.postgres = dataSource.driver.options.type === 'postgres';
  }

  async sums(slice: FunnelSlice): Promise<FunnelRollupSum[]> {
    if (slice.steps.length === 0) return [];
    const where = new Where(this.postgres, 'r');
    where.add('"business_account_id" = ?', slice.businessAccountId);
    where.add('"dimension" = ?', slice.dimension);
    where.add('"grain" = ?', slice.grain);
    if (slice.from !== undefined) where.add('"bucket" >= ?', slice.from);
    if (slice.to !== undefined) where.add('"bucket" < ?', slice.to);
    if (slice.value !== undefined) where.add('"value" = ?', slice.value);
    const steps = slice.steps.map((step) => where.param(step)).join(', ');
    const rows = await this.dataSource.query<
      { v: string; step: string; currency: string; n: string | number; t: string | number }[]
    >(
      `SELECT r."value" AS "v", r."step" AS "step", r."currency" AS "currency", SUM(r."count") AS "n", ` +
        `SUM(r."total") AS "t" FROM "${FUNNEL_ROLLUP_TABLE}" r WHERE ${where.sql} AND r."step" IN (${steps}) ` +
        `GROUP BY r."value", r."step", r."currency"`,
      where.values,
    );
    return rows.map((row) => ({
      key: fromRollupValue(row.v),
      step: row.step,
      currency: row.currency,
      count: Number(row.n),
      total: Number(row.t),
    }));
  }
}
