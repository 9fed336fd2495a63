import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { PeriodicTask } from '../scheduling/periodic-task.js';
import { WHATSAPP_CLICKS_DATA_SOURCE } from '../whatsapp-clicks.constants.js';
import { ROLLUP_DELTAS_TABLE } from './rollup-deltas.js';
import { ROLLUP_COLUMNS, ROLLUP_KEY, ROLLUP_TABLE, rollupSelectSql } from './rollup-grains.js';

/** How often the deltas are folded: about a second of ingest each time. */
const FOLD_INTERVAL_MS = 1000;
const RETRY_MS = 1000;
/** Delta rows per fold: a backlog (a stop of every instance's folding) goes in steps. */
const ROWS_PER_FOLD = 50_000;
/** The PostgreSQL advisory lock of whoever folds: one instance at a time, the others skip. */
const FOLD_LOCK = 7_270_231_912;

/** The rollup key's columns (all but the count). */
const KEY = ROLLUP_COLUMNS.slice(0, 5);
const keyList = KEY.map((c) => `"${c}"`).join(', ');

/**
 * Folds the oldest `limit` delta rows into the rollups in one transaction: each key's sum added
 * to its row (in key order: no deadlock with another folder), and rows that count nothing any
 * more deleted. A reader sees every count once, in the deltas or in the rollups. How many delta
 * rows it folded; null when another instance holds the fold.
 */
export async function foldRollupDeltas(
  dataSource: DataSource,
  limit = ROWS_PER_FOLD,
): Promise<number | null> {
  return dataSource.transaction(async (manager: EntityManager) => {
    const [lock] = await manager.query<{ ok: boolean }[]>(
      'SELECT pg_try_advisory_xact_lock($1) AS ok',
      [FOLD_LOCK],
    );
    if (!lock?.ok) return null;
    const [folded] = await manager.query<{ n: string; empty: unknown[][] }[]>(
      `WITH "moved" AS (DELETE FROM "${ROLLUP_DELTAS_TABLE}" WHERE "ctid" IN ` +
        `(SELECT "ctid" FROM "${ROLLUP_DELTAS_TABLE}" LIMIT $1) RETURNING *), ` +
        `"folded" AS (INSERT INTO "${ROLLUP_TABLE}" (${ROLLUP_COLUMNS.map((c) => `"${c}"`).join(', ')}) ` +
        `${rollupSelectSql('true', '"moved"', { time: '"quarter"', count: 'SUM("count")' })} ` +
        `ON CONFLICT ${ROLLUP_KEY} DO UPDATE SET "count" = "${ROLLUP_TABLE}"."count" + EXCLUDED."count" ` +
        `RETURNING ${keyList}, "count") ` +
        `SELECT (SELECT COUNT(*) FROM "moved") AS "n", ` +
        `COALESCE(json_agg(json_build_array(${keyList})) FILTER (WHERE "count" <= 0), '[]') AS "empty" FROM "folded"`,
      [limit],
    );
    const empty = folded?.empty ?? [];
    if (empty.length > 0) {
      // Retention took out what was counted: a row that counts nothing goes.
      await manager.query(
        `DELETE FROM "${ROLLUP_TABLE}" WHERE (${keyList}) IN (SELECT * FROM unnest(` +
          `$1::varchar[], $2::varchar[], $3::bigint[], $4::bigint[], $5::varchar[])) AND "count" <= 0`,
        KEY.map((_, i) => empty.map((key) => key[i])),
      );
    }
    return Number(folded?.n ?? 0);
  });
}

/**
 * PostgreSQL: folds the rollup deltas that ingest and retention append (`ROLLUP_DELTAS_TABLE`)
 * into the rollups every second; statistics read both meanwhile (what a stop leaves, the next
 * fold of any instance takes). On SQLite the writers update the rollups in place, and this
 * does nothing.
 */
@Injectable()
export class RollupFolding implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly task: PeriodicTask<number | null> | null;

  constructor(@Inject(WHATSAPP_CLICKS_DATA_SOURCE) private readonly dataSource: DataSource) {
    this.task =
      dataSource.driver.options.type === 'postgres'
        ? new PeriodicTask({
            name: 'Rollups: folding the deltas',
            intervalMs: FOLD_INTERVAL_MS,
            retryMs: RETRY_MS,
            logger: new Logger('WhatsAppClicks'),
            run: () => foldRollupDeltas(this.dataSource),
            again: (folded) => folded !== null && folded >= ROWS_PER_FOLD,
          })
        : null;
  }

  onApplicationBootstrap(): void {
    this.task?.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.task?.stop();
  }

  /** Whether the database has deltas to fold (PostgreSQL). */
  get folds(): boolean {
    return this.task !== null;
  }

  /**
   * How many delta rows wait to be folded (all instances; the `whatsapp_clicks_rollup_deltas`
   * gauge), or null on SQLite, which has none.
   */
  async pending(): Promise<number | null> {
    if (!this.task) return null;
    const [row] = await this.dataSource.query<{ n: string | number }[]>(
      `SELECT COUNT(*) AS "n" FROM "${ROLLUP_DELTAS_TABLE}"`,
    );
    return Number(row?.n ?? 0);
  }

  /**
   * Folds every delta now (tests, benchmarks, a host's own schedule); how many rows. Waits while
   * another instance folds.
   */
  async foldAll(): Promise<number> {
    if (!this.task) return 0;
    let total = 0;
    for (;;) {
      const folded = await this.task.runOnce();
      if (folded === null) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      total += folded;
      if (folded < ROWS_PER_FOLD) return total;
    }
  }
}
