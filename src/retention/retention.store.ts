import type { DataSource } from 'typeorm';
import { OUTBOX_TABLE } from '../outbox/outbox-target.js';
import { ROLLUP_COLUMNS, ROLLUP_KEY, ROLLUP_TABLE, rollupRows } from '../rollups/rollup-grains.js';
import { countRemoved, type FunnelReads } from '../funnel/funnel-count.js';
import { withFunnelLock } from '../funnel/funnel-counter.js';
import type { FunnelState } from '../funnel/funnel-rollup-rows.js';
import { stillQueued } from '../funnel/funnel-state.js';
import { postgresFunnelStore } from '../funnel/postgres-funnel.store.js';
import { SqliteFunnelStore } from '../funnel/sqlite-funnel.store.js';
import {
  clickIdsOfRows,
  inAccount,
  negated,
  NONE,
  subtractPostgres,
  toRow,
  withId,
} from './retention-rows.js';
import { CLICK_COLUMNS, quoted, TRACKING_COLUMNS } from '../storage/click-rows.js';
import { nextAccount } from '../storage/account-walk.js';
import { sqliteHandle } from '../storage/sqlite-writer.js';

/** Oldest outbox entries read for the lowest click id still to be handed on. */
const OUTBOX_ENTRIES_READ = 100;

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
   * `belowId`, and takes them out of the rollups (the funnel's: those it counted already; one
   * still queued waits). Null when the database is busy with another transaction on the shared
   * SQLite connection (try again later); otherwise how many.
   */
  async deleteClicks(
    account: string,
    before: number,
    belowId: number,
    limit: number,
  ): Promise<number | null> {
    const returning = `"id", ${quoted(CLICK_COLUMNS)}`;
    const select = (p: (n: number) => string) =>
      `SELECT "id", "click_id" FROM "click_events" WHERE "business_account_id" = ${p(1)} ` +
      `AND "occurred_at" < ${p(2)} AND "id" < ${p(3)} AND NOT ${stillQueued('k', '"click_events"."id"')} LIMIT ${p(4)}`;
    const reads = (
      deleted: Record<string, unknown>[],
      states: Map<string, FunnelState>,
      pending: Set<string>,
    ): FunnelReads => ({ states, pending, linksWithoutClickId: deleted.map(withId), sent: [] });
    const removedOf = (deleted: Record<string, unknown>[]) => ({
      clicks: new Set(deleted.map((row) => String(row.id))),
      conversions: NONE,
    });
    if (this.postgres) {
      return withFunnelLock(this.dataSource, true, async (manager) => {
        const doomed = await manager.query<{ id: string; click_id: string | null }[]>(
          select((n) => `$${n}`),
          [account, before, belowId, limit],
        );
        if (doomed.length === 0) return 0;
        const clickIds = clickIdsOfRows(doomed);
        const states = await postgresFunnelStore.load(manager, inAccount(account, clickIds));
        const pending = await postgresFunnelStore.pending(manager, states);
        // TypeORM answers a DELETE with [rows, count].
        const [deleted] = await manager.query<[Record<string, unknown>[], number]>(
          `DELETE FROM "click_events" WHERE "id" = ANY($1::bigint[]) RETURNING ${returning}`,
          [doomed.map((row) => row.id)],
        );
        await subtractPostgres(manager, deleted.map(toRow));
        const funnel = countRemoved(removedOf(deleted), reads(deleted, states, pending));
        await postgresFunnelStore.write(manager, funnel);
        return deleted.length;
      });
    }
    const db = sqliteHandle(this.dataSource);
    if (db.inTransaction) return null;
    const find = db.prepare(select(() => '?'));
    const remove = db.prepare(`DELETE FROM "click_events" WHERE "id" = ? RETURNING ${returning}`);
    const add = db.prepare(
      `INSERT INTO "${ROLLUP_TABLE}" (${quoted(ROLLUP_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?) ` +
        `ON CONFLICT ${ROLLUP_KEY} DO UPDATE SET "count" = "count" + excluded."count" RETURNING "count"`,
    );
    const drop = db.prepare(
      `DELETE FROM "${ROLLUP_TABLE}" WHERE "business_account_id" = ? AND "dimension" = ? ` +
        `AND "grain" = ? AND "bucket" = ? AND "value" = ?`,
    );
    const funnel = new SqliteFunnelStore(db);
    const batch = db.transaction(() => {
      const doomed = find.all(account, before, belowId, limit) as {
        id: number;
        click_id: string | null;
      }[];
      const clickIds = clickIdsOfRows(doomed);
      const states = funnel.load(inAccount(account, clickIds));
      const pending = funnel.pending(states);
      const deleted = doomed.map((row) => remove.get(row.id) as Record<string, unknown>);
      for (const row of negated(rollupRows(deleted.map(toRow)))) {
        const { count } = add.get(...row) as { count: number };
        if (count <= 0) drop.run(...row.slice(0, 5));
      }
      funnel.write(countRemoved(removedOf(deleted), reads(deleted, states, pending)));
      return deleted.length;
    });
    return batch.immediate();
  }

  /**
   * Deletes up to `limit` tracking events of `account` that occurred before `before` (ms), the
   * `sent` ones out of the funnel rollups with them (one still queued waits).
   */
  async deleteTracking(account: string, before: number, limit: number): Promise<number | null> {
    const sql =
      `DELETE FROM "tracking_events" WHERE "id" IN (SELECT "id" FROM "tracking_events" ` +
      `WHERE "business_account_id" = ${this.param(1)} AND "occurred_at" < ${this.param(2)} ` +
      `AND NOT ${stillQueued('t', '"tracking_events"."id"')} LIMIT ${this.param(3)}) ` +
      `RETURNING ${quoted(TRACKING_COLUMNS)}`;
    const removedOf = (deleted: Record<string, unknown>[]) =>
      countRemoved(
        { clicks: NONE, conversions: NONE },
        {
          states: new Map(),
          pending: NONE,
          linksWithoutClickId: [],
          sent: deleted.map((row) => TRACKING_COLUMNS.map((column) => row[column])),
        },
      );
    if (this.postgres) {
      return withFunnelLock(this.dataSource, true, async (manager) => {
        const [deleted] = await manager.query<[Record<string, unknown>[], number]>(sql, [
          account,
          before,
          limit,
        ]);
        await postgresFunnelStore.write(manager, removedOf(deleted));
        return deleted.length;
      });
    }
    const db = sqliteHandle(this.dataSource);
    if (db.inTransaction) return null;
    const funnel = new SqliteFunnelStore(db);
    return db.transaction(() => {
      const deleted = db.prepare(sql).all(account, before, limit) as Record<string, unknown>[];
      funnel.write(removedOf(deleted));
      return deleted.length;
    })();
  }

  /**
   * Deletes up to `limit` conversions received before `before` (ms), oldest first, and takes
   * them out of the funnel rollups of their clicks still kept (one still queued waits).
   */
  async deleteConversions(before: number, limit: number): Promise<number | null> {
    const select = (p: (n: number) => string) =>
      `SELECT "id", "click_id" FROM "click_conversions" WHERE "received_at" < ${p(1)} ` +
      `AND NOT ${stillQueued('c', '"click_conversions"."id"')} ORDER BY "id" LIMIT ${p(2)}`;
    const removedOf = (doomed: { id: string | number }[]) => ({
      clicks: NONE,
      conversions: new Set(doomed.map((row) => String(row.id))),
    });
    const reads = (states: Map<string, FunnelState>, pending: Set<string>): FunnelReads => ({
      states,
      pending,
      linksWithoutClickId: [],
      sent: [],
    });
    if (this.postgres) {
      return withFunnelLock(this.dataSource, true, async (manager) => {
        const doomed = await manager.query<{ id: string; click_id: string }[]>(
          select((n) => `$${n}`),
          [before, limit],
        );
        if (doomed.length === 0) return 0;
        const clickIds = doomed.map((row) => row.click_id);
        const states = await postgresFunnelStore.load(manager, { pairs: [], clickIds });
        const pending = await postgresFunnelStore.pending(manager, states);
        await manager.query(`DELETE FROM "click_conversions" WHERE "id" = ANY($1::bigint[])`, [
          doomed.map((row) => row.id),
        ]);
        await postgresFunnelStore.write(
          manager,
          countRemoved(removedOf(doomed), reads(states, pending)),
        );
        return doomed.length;
      });
    }
    const db = sqliteHandle(this.dataSource);
    if (db.inTransaction) return null;
    const funnel = new SqliteFunnelStore(db);
    const remove = db.prepare(`DELETE FROM "click_conversions" WHERE "id" = ?`);
    return db.transaction(() => {
      const doomed = db.prepare(select(() => '?')).all(before, limit) as {
        id: number;
        click_id: string;
      }[];
      const clickIds = doomed.map((row) => row.click_id);
      const states = funnel.load({ pairs: [], clickIds });
      const pending = funnel.pending(states);
      for (const row of doomed) remove.run(row.id);
      funnel.write(countRemoved(removedOf(doomed), reads(states, pending)));
      return doomed.length;
    })();
  }

  /** Deletes up to `limit` rows of `table` received before `before` (ms), oldest first; how many. */
  deleteReceivedBefore(
    table: 'rejected_deliveries' | 'delivery_archive',
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
