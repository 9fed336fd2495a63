import type { Database as SqliteDatabase } from 'better-sqlite3';
import type { DataSource } from 'typeorm';
import { OUTBOX_TABLE, type OutboxTarget } from '../outbox/outbox-target.js';
import {
  CLICK_COLUMNS,
  CONFLICT_TARGET,
  quoted,
  REJECTION_COLUMNS,
  type Row,
} from './click-rows.js';
import { GroupCommit } from './group-commit.js';

/** Writes click and rejection rows in one transaction; the id of each new click, undefined for a duplicate. */
export interface DeliveryWriter {
  write(clicks: Row[], rejections: Row[]): Promise<(string | undefined)[]>;
  /** Resolves once every write submitted so far has settled. */
  drain(): Promise<void>;
}

/** Rows of one delivery, as written. */
interface DeliveryRows {
  clicks: Row[];
  rejections: Row[];
}

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
 * outbox row per target in that same transaction.
 */
export function sqliteWriter(
  dataSource: DataSource,
  targets: () => readonly OutboxTarget[],
): DeliveryWriter {
  let group: GroupCommit<DeliveryRows, (string | undefined)[]> | undefined;
  const prepare = () => {
    const db = sqliteHandle(dataSource);
    const insertClick = db.prepare<Row, { id: number }>(
      `INSERT INTO "click_events" (${quoted(CLICK_COLUMNS)}) VALUES (${CLICK_COLUMNS.map(() => '?').join(', ')}) ` +
        `ON CONFLICT ${CONFLICT_TARGET} DO NOTHING RETURNING "id"`,
    );
    const insertRejection = db.prepare<Row>(
      `INSERT INTO "rejected_deliveries" (${quoted(REJECTION_COLUMNS)}) VALUES (${REJECTION_COLUMNS.map(() => '?').join(', ')})`,
    );
    const insertOutbox = db.prepare<[string, string, number]>(
      `INSERT INTO "${OUTBOX_TABLE}" ("target", "click_ids", "click_count") VALUES (?, ?, ?)`,
    );
    const write = ({ clicks, rejections }: DeliveryRows) => {
      const ids = clicks.map((row) => {
        const inserted = insertClick.get(...row);
        return inserted === undefined ? undefined : String(inserted.id);
      });
      for (const row of rejections) insertRejection.run(...row);
      return ids;
    };
    const commitGroup = (deliveries: DeliveryRows[]) => {
      const results = deliveries.map(write);
      const created = results.flat().filter((id) => id !== undefined);
      if (created.length > 0) {
        const list = created.join(',');
        for (const target of targets()) insertOutbox.run(target, list, created.length);
      }
      return results;
    };
    return new GroupCommit<DeliveryRows, (string | undefined)[]>({
      commit: db.transaction(commitGroup),
      weight: (delivery) => delivery.clicks.length + delivery.rejections.length,
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
    write: (clicks, rejections) => (group ??= prepare()).submit({ clicks, rejections }),
    drain: async () => group?.drain(),
  };
}
