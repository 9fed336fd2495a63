import type { DataSource, EntityManager } from 'typeorm';
import { fromRollupValue } from '../rollups/rollup-grains.js';
import { sqliteHandle } from '../storage/sqlite-writer.js';
import { countQueued, type FunnelReads } from './funnel-count.js';
import {
  FUNNEL_ROLLUP_TABLE,
  type FunnelDimension,
  type FunnelRollupRow,
} from './funnel-rollup-rows.js';
import type { QueuedRow } from './funnel-state.js';
import { postgresFunnelStore } from './postgres-funnel.store.js';
import { SqliteFunnelStore } from './sqlite-funnel.store.js';
import { Where } from './funnel-sql.js';

/**
 * Rows queued at most for the rollups to answer (and the read to add what they count); with
 * more, the counter is behind (the first count after the migration) and the tables answer.
 */
export const MAX_QUEUED_FOR_READS = 5000;

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

type SumRow = { v: string; step: string; currency: string; n: string | number; t: string | number };

/**
 * Reads of the funnel rollups, summed in the database, plus what the rows still queued would
 * add, all in one snapshot: the same answer as the tables at that moment.
 */
export class FunnelRollupReads {
  private readonly postgres: boolean;

  constructor(private readonly dataSource: DataSource) {
    this.postgres = dataSource.driver.options.type === 'postgres';
  }

  /** Each slice's sums, or null while too many rows are queued. */
  async read(slices: readonly FunnelSlice[]): Promise<FunnelRollupSum[][] | null> {
    if (this.postgres) {
      const runner = this.dataSource.createQueryRunner();
      await runner.connect();
      try {
        await runner.startTransaction('REPEATABLE READ');
        try {
          const sums = await this.readPostgres(runner.manager, slices);
          await runner.commitTransaction();
          return sums;
        } catch (error) {
          await runner.rollbackTransaction();
          throw error;
        }
      } finally {
        await runner.release();
      }
    }
    // Synchronous: no batch of the counter (nor any write of this process) comes in between.
    const db = sqliteHandle(this.dataSource);
    const store = new SqliteFunnelStore(db);
    // At most the limit: the whole queue, so every queued row is pending (`keysOf`).
    const queued = store.queued(MAX_QUEUED_FOR_READS + 1);
    if (queued.length > MAX_QUEUED_FOR_READS) return null;
    const added = queuedRows(queued, () => store.reads(queued, true));
    return slices.map((slice) => {
      const { sql, values } = sumsSql(slice, false);
      return withQueued(toSums(db.prepare(sql).all(...values) as SumRow[]), added, slice);
    });
  }

  private async readPostgres(
    manager: EntityManager,
    slices: readonly FunnelSlice[],
  ): Promise<FunnelRollupSum[][] | null> {
    const queued = await postgresFunnelStore.queued(manager, MAX_QUEUED_FOR_READS + 1);
    if (queued.length > MAX_QUEUED_FOR_READS) return null;
    const reads =
      queued.length === 0 ? null : await postgresFunnelStore.reads(manager, queued, true);
    const added = queuedRows(queued, () => reads!);
    const result: FunnelRollupSum[][] = [];
    for (const slice of slices) {
      const { sql, values } = sumsSql(slice, true);
      result.push(withQueued(toSums(await manager.query<SumRow[]>(sql, values)), added, slice));
    }
    return result;
  }
}

/** What the queued rows would add to the rollups (none queued: nothing to read). */
function queuedRows(queued: readonly QueuedRow[], reads: () => FunnelReads): FunnelRollupRow[] {
  return queued.length === 0 ? [] : countQueued(queued, reads()).list();
}

function sumsSql(
  slice: FunnelSlice,
  postgres: boolean,
): { sql: string; values: (string | number)[] } {
  const where = new Where(postgres, 'r');
  where.add('"business_account_id" = ?', slice.businessAccountId);
  where.add('"dimension" = ?', slice.dimension);
  where.add('"grain" = ?', slice.grain);
  if (slice.from !== undefined) where.add('"bucket" >= ?', slice.from);
  if (slice.to !== undefined) where.add('"bucket" < ?', slice.to);
  if (slice.value !== undefined) where.add('"value" = ?', slice.value);
  const steps = slice.steps.map((step) => where.param(step)).join(', ');
  return {
    sql:
      `SELECT r."value" AS "v", r."step" AS "step", r."currency" AS "currency", SUM(r."count") AS "n", ` +
      `SUM(r."total") AS "t" FROM "${FUNNEL_ROLLUP_TABLE}" r WHERE ${where.sql} AND r."step" IN (${steps}) ` +
      `GROUP BY r."value", r."step", r."currency"`,
    values: where.values,
  };
}

function toSums(rows: readonly SumRow[]): FunnelRollupSum[] {
  return rows.map((row) => ({
    key: fromRollupValue(row.v),
    step: row.step,
    currency: row.currency,
    count: Number(row.n),
    total: Number(row.t),
  }));
}

/** The slice's sums with what the queued rows add to the same slice. */
function withQueued(
  sums: FunnelRollupSum[],
  added: readonly FunnelRollupRow[],
  slice: FunnelSlice,
): FunnelRollupSum[] {
  for (const [account, dimension, grain, bucket, value, step, currency, count, total] of added) {
    if (account !== slice.businessAccountId || dimension !== slice.dimension) continue;
    if (grain !== slice.grain || !slice.steps.includes(step)) continue;
    if (slice.from !== undefined && bucket < slice.from) continue;
    if (slice.to !== undefined && bucket >= slice.to) continue;
    if (slice.value !== undefined && value !== slice.value) continue;
    sums.push({ key: fromRollupValue(value), step, currency, count, total });
  }
  return sums;
}
