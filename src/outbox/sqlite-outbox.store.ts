import type { Database } from 'better-sqlite3';
import type { DataSource } from 'typeorm';
import { sqliteHandle } from '../storage/sqlite-writer.js';
import { OUTBOX_TABLE, type OutboxTarget } from './outbox-target.js';
import { type OutboxEntry, type OutboxStore, pendingByTarget, toEntry } from './outbox.store.js';

type Statements = ReturnType<typeof prepare>;

function prepare(db: Database) {
  const owned = `"id" IN (SELECT "value" FROM json_each(?)) AND "claimed_by" = ?`;
  return {
    // A read first: in WAL mode it takes no lock, so an idle poll never waits for a writer of
    // another process (better-sqlite3 waits synchronously, the whole event loop with it).
    claimable: db.prepare<[string, number], { id: number }>(
      `SELECT "id" FROM "${OUTBOX_TABLE}" WHERE "target" = ? AND "claimed_until" < ? LIMIT 1`,
    ),
    claim: db.prepare<[string, number, string, number, number], { id: number; click_ids: string }>(
      `UPDATE "${OUTBOX_TABLE}" SET "claimed_by" = ?, "claimed_until" = ?, "attempts" = "attempts" + 1 ` +
        `WHERE "id" IN (SELECT "id" FROM "${OUTBOX_TABLE}" WHERE "target" = ? AND "claimed_until" < ? ` +
        `ORDER BY "id" LIMIT ?) RETURNING "id", "click_ids"`,
    ),
    complete: db.prepare<[string, string]>(`DELETE FROM "${OUTBOX_TABLE}" WHERE ${owned}`),
    retryLater: db.prepare<[number, string, string]>(
      `UPDATE "${OUTBOX_TABLE}" SET "claimed_until" = ? WHERE ${owned}`,
    ),
    pending: db.prepare<[], { target: string; clicks: number }>(
      `SELECT "target", sum("click_count") AS "clicks" FROM "${OUTBOX_TABLE}" GROUP BY "target"`,
    ),
  };
}

/**
 * On the driver's own handle, like the writer: synchronous statements cannot interleave with
 * TypeORM's, and a statement is never run inside a transaction the host has open on the shared
 * connection (it would share that transaction's fate); the dispatcher just tries again later.
 */
export class SqliteOutboxStore implements OutboxStore {
  private statements?: Statements;

  constructor(private readonly dataSource: DataSource) {}

  async claim(
    target: OutboxTarget,
    owner: string,
    leaseMs: number,
    limit: number,
  ): Promise<OutboxEntry[]> {
    const statements = this.ready();
    if (!statements) return [];
    const now = Date.now();
    if (statements.claimable.get(target, now) === undefined) return [];
    const rows = statements.claim.all(owner, now + leaseMs, target, now, limit);
    return rows.sort((a, b) => a.id - b.id).map(toEntry);
  }

  async complete(entryIds: readonly string[], owner: string): Promise<void> {
    this.ready()?.complete.run(JSON.stringify(entryIds.map(Number)), owner);
  }

  async retryLater(entryIds: readonly string[], owner: string, delayMs: number): Promise<void> {
    this.ready()?.retryLater.run(Date.now() + delayMs, JSON.stringify(entryIds.map(Number)), owner);
  }

  async pending(): Promise<Record<OutboxTarget, number>> {
    const statements = (this.statements ??= prepare(sqliteHandle(this.dataSource)));
    return pendingByTarget(statements.pending.all());
  }

  /** The statements, or undefined while the host's transaction holds the connection. */
  private ready(): Statements | undefined {
    const db = sqliteHandle(this.dataSource);
    if (!db.open) throw new Error('the SQLite database is closed');
    this.statements ??= prepare(db);
    return db.inTransaction ? undefined : this.statements;
  }
}
