import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { OUTBOX_TABLE, type OutboxTarget } from './outbox-target.js';
import { type OutboxEntry, type OutboxStore, pendingByTarget, toEntry } from './outbox.store.js';

/** The database's clock in ms: every instance leases by the same clock, whatever their own. */
const NOW_MS = `(extract(epoch from clock_timestamp()) * 1000)::bigint`;

/** Entries deleted, and time passed, before the outbox table is vacuumed again. */
const VACUUM_AFTER_ENTRIES = 1000;
const VACUUM_EVERY_MS = 1000;

/**
 * Claims with `FOR UPDATE SKIP LOCKED`: instances claiming at the same moment each get other
 * entries instead of waiting for one another. Each statement is wrapped in a CTE so that TypeORM
 * returns its rows (a bare UPDATE ... RETURNING comes back as [rows, count]).
 *
 * Every entry is inserted, claimed (updated) and deleted within milliseconds, and each claim
 * reads the table's dead row versions as well as its live ones. Autovacuum comes by once a
 * minute at most (`autovacuum_naptime`): after a minute of single-action webhooks the table held
 * 29,000 dead versions and a claim's scan took 0.64 ms (0.06 ms vacuumed; bench/RESULTS.md,
 * 0.11.1). So the store vacuums the table itself, at most once a second while entries are handed
 * on (a few pages; it locks out no writer). Where the database user may not vacuum it,
 * PostgreSQL skips it with a warning.
 */
export class PostgresOutboxStore implements OutboxStore {
  private readonly logger = new Logger('WhatsAppClicks');
  private deleted = 0;
  private vacuumedAt = 0;
  private vacuuming = false;

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
    this.deleted += entryIds.length;
    this.vacuumSoon();
  }

  /** Vacuums the table, in the background, if enough was deleted since the last time. */
  private vacuumSoon(): void {
    const now = Date.now();
    if (this.vacuuming || this.deleted < VACUUM_AFTER_ENTRIES) return;
    if (now - this.vacuumedAt < VACUUM_EVERY_MS) return;
    this.vacuuming = true;
    this.deleted = 0;
    this.vacuumedAt = now;
    // SKIP_LOCKED: another instance vacuuming it now does the same work.
    this.dataSource
      .query(`VACUUM (SKIP_LOCKED) "${OUTBOX_TABLE}"`)
      .catch((error: unknown) =>
        this.logger.debug(`could not vacuum ${OUTBOX_TABLE}: ${String(error)}`),
      )
      .finally(() => (this.vacuuming = false));
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
