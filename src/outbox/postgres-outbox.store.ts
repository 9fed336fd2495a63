import type { DataSource } from 'typeorm';
import { OUTBOX_TABLE, type OutboxTarget } from './outbox-target.js';
import { type OutboxEntry, type OutboxStore, pendingByTarget, toEntry } from './outbox.store.js';

/** The database's clock in ms: every instance leases by the same clock, whatever their own. */
const NOW_MS = `(extract(epoch from clock_timestamp()) * 1000)::bigint`;

/**
 * Claims with `FOR UPDATE SKIP LOCKED`: instances claiming at the same moment each get other
 * entries instead of waiting for one another. Each statement is wrapped in a CTE so that TypeORM
 * returns its rows (a bare UPDATE ... RETURNING comes back as [rows, count]).
 */
export class PostgresOutboxStore implements OutboxStore {
  constructor(private readonly dataSource: DataSource) {}

  async claim(
    target: OutboxTarget,
    owner: string,
    leaseMs: number,
    limit: number,
  ): Promise<OutboxEntry[]> {
    const rows: { id: string; click_ids: string }[] = await this.dataSource.query(
      `WITH "claimed" AS (UPDATE "${OUTBOX_TABLE}" ` +
        `SET "claimed_by" = $1, "claimed_until" = ${NOW_MS} + $2, "attempts" = "attempts" + 1 ` +
        `WHERE "id" IN (SELECT "id" FROM "${OUTBOX_TABLE}" WHERE "target" = $3 AND "claimed_until" < ${NOW_MS} ` +
        `ORDER BY "id" LIMIT $4 FOR UPDATE SKIP LOCKED) RETURNING "id", "click_ids") ` +
        `SELECT * FROM "claimed" ORDER BY "id"`,
      [owner, leaseMs, target, limit],
    );
    return rows.map(toEntry);
  }

  async complete(entryIds: readonly string[], owner: string): Promise<void> {
    await this.dataSource.query(
      `DELETE FROM "${OUTBOX_TABLE}" WHERE "id" = ANY($1::bigint[]) AND "claimed_by" = $2`,
      [entryIds, owner],
    );
  }

  async retryLater(entryIds: readonly string[], owner: string, delayMs: number): Promise<void> {
    await this.dataSource.query(
      `UPDATE "${OUTBOX_TABLE}" SET "claimed_until" = ${NOW_MS} + $3 ` +
        `WHERE "id" = ANY($1::bigint[]) AND "claimed_by" = $2`,
      [entryIds, owner, delayMs],
    );
  }

  async pending(): Promise<Record<OutboxTarget, number>> {
    return pendingByTarget(
      await this.dataSource.query(
        `SELECT "target", sum("click_count") AS "clicks" FROM "${OUTBOX_TABLE}" GROUP BY "target"`,
      ),
    );
  }
}
