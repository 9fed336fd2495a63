import type { Database as SqliteDatabase, Statement } from 'better-sqlite3';
import type { DataSource } from 'typeorm';
import { LINK_CLICK } from '../funnel/funnel-rollup-rows.js';
import { ENQUEUE } from '../funnel/funnel-state.js';
import { OUTBOX_TABLE, type OutboxTarget } from '../outbox/outbox-target.js';
import {
  ROLLUP_COLUMNS,
  ROLLUP_KEY,
  ROLLUP_TABLE,
  type RollupRow,
  rollupRows,
} from '../rollups/rollup-grains.js';
import {
  CLICK_COLUMNS,
  CONFLICT_TARGET,
  quoted,
  REJECTION_COLUMNS,
  type Row,
  TRACKING_COLUMNS,
  TRACKING_CONFLICT_TARGET,
  TRACKING_EVENT,
} from './click-rows.js';
import {
  ARCHIVE_INSERT,
  type ArchiveRow,
  deliveryWeight,
  type DeliveryRows,
  type DeliveryWriter,
} from './delivery-writer.js';
import { GroupCommit } from './group-commit.js';

/**
 * Rows per SQLite commit when deliveries are grouped: a full delivery of Meta's (1000 actions)
 * fills a group and is committed at once, smaller ones together, and the loop answers between
 * two commits.
 */
const SQLITE_ROWS_PER_COMMIT = 1000;

/** SQLite errors of the database itself, not of one write: retrying writes alone cannot help. */
const DATABASE_WIDE_SQLITE_ERROR =
  /^SQLITE_(BUSY|LOCKED|IOERR|FULL|READONLY|CORRUPT|CANTOPEN|NOTADB|NOMEM|PERM|PROTOCOL)/;

function isDatabaseWideSqliteError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && DATABASE_WIDE_SQLITE_ERROR.test(code);
}

/** The better-sqlite3 handle under a TypeORM data source. */
export function sqliteHandle(dataSource: DataSource): SqliteDatabase {
  return (dataSource.driver as unknown as { databaseConnection: SqliteDatabase })
    .databaseConnection;
}

/**
 * better-sqlite3 is synchronous, and TypeORM shares one query runner on SQLite, so two
 * overlapping TypeORM transactions would interleave. Synchronous transactions on the driver's
 * own handle cannot, and prepared statements are compiled once. SQLite has one writer at a
 * time anyway: the deliveries that reach storage in one turn of the event loop share one
 * transaction (group commit), each still all-or-nothing, and the group's new clicks get one
 * outbox row per target and their rollup counts in that same transaction.
 */
export function sqliteWriter(
  dataSource: DataSource,
  targets: () => readonly OutboxTarget[],
): DeliveryWriter {
  let group: GroupCommit<DeliveryRows, (string | undefined)[]> | undefined;
  const prepare = () => {
    const db = sqliteHandle(dataSource);
    // No RETURNING: a run's `changes` and `lastInsertRowid` tell the same, and RETURNING cost
    // a third more per click (bench/RESULTS.md, 0.10.0).
    const insertClick = db.prepare<Row>(
      `INSERT INTO "click_events" (${quoted(CLICK_COLUMNS)}) VALUES (${CLICK_COLUMNS.map(() => '?').join(', ')}) ` +
        `ON CONFLICT ${CONFLICT_TARGET} DO NOTHING`,
    );
    const insertRejection = db.prepare<Row>(
      `INSERT INTO "rejected_deliveries" (${quoted(REJECTION_COLUMNS)}) VALUES (${REJECTION_COLUMNS.map(() => '?').join(', ')})`,
    );
    const insertOutbox = db.prepare<[string, string, number]>(
      `INSERT INTO "${OUTBOX_TABLE}" ("target", "click_ids", "click_count") VALUES (?, ?, ?)`,
    );
    const insertTracking = db.prepare<Row>(
      `INSERT INTO "tracking_events" (${quoted(TRACKING_COLUMNS)}) VALUES (${TRACKING_COLUMNS.map(() => '?').join(', ')}) ` +
        `ON CONFLICT ${TRACKING_CONFLICT_TARGET} DO NOTHING`,
    );
    // Prepared when first needed: its table may be missing while the `archive` option is off.
    let insertArchive: Statement<ArchiveRow> | undefined;
    const upsertRollup = db.prepare<RollupRow>(
      `INSERT INTO "${ROLLUP_TABLE}" (${quoted(ROLLUP_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?) ` +
        `ON CONFLICT ${ROLLUP_KEY} DO UPDATE SET "count" = "count" + excluded."count"`,
    );
    // What the funnel rollups count later (FunnelCounter): link clicks, actions with a click id,
    // `sent` tracking events.
    const enqueue = db.prepare<[string, number | bigint, string | null, string | null, number]>(
      `${ENQUEUE} VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    );
    // A group's new clicks are the rows of ids from its first to its last: SQLite gives a new
    // row the largest rowid plus one, and nothing else writes inside the group's transaction.
    // One statement instead of a call per click (bench/RESULTS.md, 0.11.0).
    const enqueueClicks = db.prepare<[number, string, string]>(
      `${ENQUEUE} SELECT 'k', "id", "business_account_id", "click_id", ? FROM "click_events" ` +
        `WHERE "id" BETWEEN ? AND ? AND ("click_id" IS NOT NULL OR "action_type" = '${LINK_CLICK}') ` +
        'ON CONFLICT DO NOTHING',
    );
    const commitGroup = (deliveries: DeliveryRows[]) => {
      const now = Date.now();
      const created: string[] = [];
      const createdRows: Row[] = [];
      const results = deliveries.map(({ clicks, tracking, rejections, archive }) => {
        const ids = clicks.map((row) => {
          const inserted = insertClick.run(...row);
          if (inserted.changes === 0) return undefined;
          const id = String(inserted.lastInsertRowid);
          created.push(id);
          createdRows.push(row);
          return id;
        });
        for (const row of tracking) {
          const stored = insertTracking.run(...row);
          if (stored.changes > 0 && row[TRACKING_EVENT] === 'sent') {
            enqueue.run('t', stored.lastInsertRowid, null, null, now);
          }
        }
        for (const row of rejections) insertRejection.run(...row);
        if (archive) (insertArchive ??= db.prepare(`${ARCHIVE_INSERT} (?, ?, ?)`)).run(...archive);
        return ids;
      });
      if (created.length > 0) {
        // The ids as text: compared with the INTEGER column, SQLite reads them as numbers.
        enqueueClicks.run(now, created[0]!, created.at(-1)!);
        const list = created.join(',');
        for (const target of targets()) insertOutbox.run(target, list, created.length);
        for (const row of rollupRows(createdRows)) upsertRollup.run(...row);
      }
      return results;
    };
    return new GroupCommit<DeliveryRows, (string | undefined)[]>({
      commit: db.transaction(commitGroup),
      weight: deliveryWeight,
      maxWeight: SQLITE_ROWS_PER_COMMIT,
      failsEveryWrite: isDatabaseWideSqliteError,
      // The connection is the host's too: a transaction of its own (TypeORM's) may be open,
      // and a group begun inside it would be rolled back with it, after Meta had its 200.
      canBegin: () => !db.inTransaction,
      // As long as better-sqlite3 waits for another connection's lock (TypeORM's default).
      waitLimitMs: (dataSource.options as { timeout?: number }).timeout ?? 5000,
    });
  };
  return {
    // Prepared on first use: the tables exist only once the host's migrations have run.
    write: (delivery) => (group ??= prepare()).submit(delivery),
    drain: async () => group?.drain(),
  };
}
