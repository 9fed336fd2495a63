import type { DataSource, EntityManager } from 'typeorm';
import { OUTBOX_TABLE } from '../outbox/outbox-target.js';
import {
  ROLLUP_COLUMNS,
  ROLLUP_KEY,
  ROLLUP_TABLE,
  type RollupRow,
  rollupRows,
} from '../rollups/rollup-grains.js';
import { CLICK_COLUMNS, quoted, type Row } from '../storage/click-rows.js';
import { placeholders } from '../storage/postgres-writer.js';
import { nextAccount } from '../storage/account-walk.js';
import { sqliteHandle } from '../storage/sqlite-writer.js';

/** Oldest outbox entries read for the lowest click id still to be handed on. */
const OUTBOX_ENTRIES_READ = 100;
const PG_ROLLUPS_PER_STATEMENT = 1000;

/**
 * The deletes of retention, one short transaction each. A deleted click's counts leave the
 * rollups in the same transaction (statistics stay equal to the clicks); clicks still waiting in
 * the outbox are kept until they are handed on.
 */
export class RetentionStore {
  private readonly postgres: boolean;
  /**
   * How long one batch should take, in ms. SQLite's run on the event loop: every webhook waits
   * for it. PostgreSQL's do not, but share the database's CPU with the webhooks' writes.
   */
  readonly batchTargetMs: number;

  constructor(private readonly dataSource: DataSource) {
    this.postgres = dataSource.driver.options.type === 'postgres';
    this.batchTargetMs = this.postgres ? 50 : 10;
  }

  /** The first business account of `table` after `after`, or null (see account-walk.ts). */
  nextAccount(
    after: string | null,
    table: 'click_events' | 'tracking_events' = 'click_events',
  ): Promise<string | null> {
    return nextAccount(this.dataSource, after, table);
  }

  /**
   * The lowest click id still in the outbox (not handed on to the handlers or the broker), or
   * null when nothing waits. Entries are written in commit order, so the oldest hold it.
   */
  async lowestPendingClickId(): Promise<number | null> {
    const rows = await this.dataSource.query<{ click_ids: string }[]>(
      `SELECT "click_ids" FROM "${OUTBOX_TABLE}" ORDER BY "id" LIMIT ${OUTBOX_ENTRIES_READ}`,
    );
    let lowest: number | null = null;
    for (const row of rows) {
      for (const id of row.click_ids.split(',')) {
        const value = Number(id);
        if (lowest === null || value < lowest) lowest = value;
      }
    }
    return lowest;
  }

  /**
   * Deletes up to `limit` clicks of `account` that occurred before `before` (ms), with ids below
   * `belowId`, and takes them out of the rollups. Null when the database is busy with another
   * transaction on the shared SQLite connection (try again later); otherwise how many.
   */
  async deleteClicks(
    account: string,
    before: number,
    belowId: number,
    limit: number,
  ): Promise<number | null> {
    const returning = quoted(CLICK_COLUMNS);
    if (this.postgres) {
      return this.dataSource.transaction(async (manager) => {
        // TypeORM answers a DELETE with [rows, count].
        const [deleted] = await manager.query<[Record<string, unknown>[], number]>(
          `DELETE FROM "click_events" WHERE "id" IN (SELECT "id" FROM "click_events" ` +
            `WHERE "business_account_id" = $1 AND "occurred_at" < $2 AND "id" < $3 LIMIT $4) RETURNING ${returning}`,
          [account, before, belowId, limit],
        );
        await subtractPostgres(manager, rollupRows(deleted.map(toRow), true));
        return deleted.length;
      });
    }
    const db = sqliteHandle(this.dataSource);
    if (db.inTransaction) return null;
    const remove = db.prepare(
      `DELETE FROM "click_events" WHERE "id" IN (SELECT "id" FROM "click_events" ` +
        `WHERE "business_account_id" = ? AND "occurred_at" < ? AND "id" < ? LIMIT ?) RETURNING ${returning}`,
    );
    const add = db.prepare(
      `INSERT INTO "${ROLLUP_TABLE}" (${quoted(ROLLUP_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?) ` +
        `ON CONFLICT ${ROLLUP_KEY} DO UPDATE SET "count" = "count" + excluded."count" RETURNING "count"`,
    );
    const drop = db.prepare(
      `DELETE FROM "${ROLLUP_TABLE}" WHERE "business_account_id" = ? AND "dimension" = ? ` +
        `AND "grain" = ? AND "bucket" = ? AND "value" = ?`,
    );
    const batch = db.transaction(() => {
      const deleted = remove.all(account, before, belowId, limit) as Record<string, unknown>[];
      for (const row of negated(rollupRows(deleted.map(toRow), false))) {
        const { count } = add.get(...row) as { count: number };
        if (count <= 0) drop.run(...row.slice(0, 5));
      }
      return deleted.length;
    });
    return batch.immediate();
  }

  /** Deletes up to `limit` tracking events of `account` that occurred before `before` (ms). */
  deleteTracking(account: string, before: number, limit: number): Promise<number | null> {
    return this.deleteRows(
      `DELETE FROM "tracking_events" WHERE "id" IN (SELECT "id" FROM "tracking_events" ` +
        `WHERE "business_account_id" = ${this.param(1)} AND "occurred_at" < ${this.param(2)} LIMIT ${this.param(3)})`,
      [account, before, limit],
    );
  }

  /** Deletes up to `limit` rows of `table` received before `before` (ms), oldest first; how many. */
  deleteReceivedBefore(
    table: 'rejected_deliveries' | 'delivery_archive' | 'click_conversions',
    before: number,
    limit: number,
  ): Promise<number | null> {
    return this.deleteRows(
      `DELETE FROM "${table}" WHERE "id" IN (SELECT "id" FROM "${table}" ` +
        `WHERE "received_at" < ${this.param(1)} ORDER BY "id" LIMIT ${this.param(2)})`,
      [before, limit],
    );
  }

  /** Runs a DELETE; how many rows, or null while the shared SQLite connection is in a transaction. */
  private async deleteRows(sql: string, values: (string | number)[]): Promise<number | null> {
    if (this.postgres) {
      // TypeORM answers a DELETE with [rows, count].
      const [, count] = await this.dataSource.query<[unknown, number]>(sql, values);
      return count;
    }
    const db = sqliteHandle(this.dataSource);
    if (db.inTransaction) return null;
    return db.prepare(sql).run(...values).changes;
  }

  private param(n: number): string {
    return this.postgres ? `$${n}` : '?';
  }
}

function toRow(record: Record<string, unknown>): Row {
  return CLICK_COLUMNS.map((column) =>
    column === 'occurred_at' || column === 'received_at'
      ? Number(record[column])
      : (record[column] as string | null),
  );
}

function negated(rows: RollupRow[]): RollupRow[] {
  for (const row of rows) row[5] = -row[5];
  return rows;
}

async function subtractPostgres(manager: EntityManager, rows: RollupRow[]): Promise<void> {
  for (let start = 0; start < rows.length; start += PG_ROLLUPS_PER_STATEMENT) {
    const chunk = negated(rows.slice(start, start + PG_ROLLUPS_PER_STATEMENT));
    const counted = await manager.query<Record<string, string>[]>(
      `INSERT INTO "${ROLLUP_TABLE}" (${quoted(ROLLUP_COLUMNS)}) ` +
        `VALUES ${placeholders(chunk.length, ROLLUP_COLUMNS.length)} ` +
        `ON CONFLICT ${ROLLUP_KEY} DO UPDATE SET "count" = "${ROLLUP_TABLE}"."count" + EXCLUDED."count" ` +
        `RETURNING "business_account_id", "dimension", "grain", "bucket", "value", "count"`,
      chunk.flat(),
    );
    const empty = counted.filter((row) => Number(row.count) <= 0);
    if (empty.length === 0) continue;
    await manager.query(
      `DELETE FROM "${ROLLUP_TABLE}" WHERE ("business_account_id", "dimension", "grain", "bucket", "value") IN ` +
        `(SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::bigint[], $4::bigint[], $5::varchar[]))`,
      ['business_account_id', 'dimension', 'grain', 'bucket', 'value'].map((column) =>
        empty.map((row) => row[column]),
      ),
    );
  }
}
