import type { Database as SqliteDatabase, Statement } from 'better-sqlite3';
import { type FunnelReads, keysIn, keysOf, sentIn, withoutClickId } from './funnel-count.js';
import {
  FUNNEL_QUEUE_TABLE,
  FUNNEL_ROLLUP_COLUMNS,
  FUNNEL_ROLLUP_KEY,
  FUNNEL_ROLLUP_TABLE,
  type FunnelRollupRow,
  type FunnelRows,
  type FunnelState,
  LINK_CLICK,
  type QueuedKind,
} from './funnel-rollup-rows.js';
import {
  asClicks,
  asQueued,
  asTracking,
  CLICK_SELECT,
  collect,
  type FunnelKeys,
  KEY_COLUMNS,
  QUEUE_COLUMNS,
  type QueuedRow,
  queuedKey,
  rowsOfStates,
  STATE_PARTS,
  type StateRow,
  TRACKING_SELECT,
} from './funnel-state.js';

/** Funnel reads and writes on the synchronous SQLite handle, inside the caller's transaction. */
export class SqliteFunnelStore {
  private readonly keyed: Statement<[string], StateRow>;
  private readonly linkAccounts: Statement<[string], { account: string; clickId: string }>;
  private readonly conversions: Statement<[string], StateRow>;
  private readonly pendingOf: Statement<[string], { kind: QueuedKind; rowId: number }>;
  private readonly dropRange: Statement<[QueuedKind, string, string]>;
  private readonly upsert: Statement<FunnelRollupRow, { count: number }>;
  private readonly drop: Statement<string[]>;
  private readonly db: SqliteDatabase;

  constructor(db: SqliteDatabase) {
    this.db = db;
    // One statement per batch, not one per key: the keys go as a JSON array, which SQLite walks,
    // looking each key up by index (bench/RESULTS.md, 0.11.1).
    const each = (expression: string) => `(SELECT ${expression} FROM json_each(?))`;
    this.keyed = db.prepare(
      `${STATE_PARTS.keyed} WHERE ("business_account_id", "dedupe_key") IN ${each('value ->> 0, value ->> 1')}`,
    );
    this.linkAccounts = db.prepare(
      `${STATE_PARTS.linkAccounts} WHERE "click_id" IN ${each('value')} AND "action_type" = '${LINK_CLICK}'`,
    );
    this.conversions = db.prepare(
      `${STATE_PARTS.conversions} WHERE c."click_id" IN ${each('value')}`,
    );
    this.pendingOf = db.prepare(
      `SELECT "kind", "row_id" AS "rowId" FROM "${FUNNEL_QUEUE_TABLE}" ` +
        `WHERE ("kind", "row_id") IN ${each('value ->> 0, value ->> 1')}`,
    );
    this.dropRange = db.prepare(
      `DELETE FROM "${FUNNEL_QUEUE_TABLE}" WHERE "kind" = ? AND "row_id" BETWEEN ? AND ?`,
    );
    this.upsert = db.prepare(
      `INSERT INTO "${FUNNEL_ROLLUP_TABLE}" (${FUNNEL_ROLLUP_COLUMNS.map((c) => `"${c}"`).join(', ')}) ` +
        `VALUES (${FUNNEL_ROLLUP_COLUMNS.map(() => '?').join(', ')}) ON CONFLICT ${FUNNEL_ROLLUP_KEY} ` +
        `DO UPDATE SET "count" = "count" + excluded."count", "total" = "total" + excluded."total" RETURNING "count"`,
    );
    this.drop = db.prepare(
      `DELETE FROM "${FUNNEL_ROLLUP_TABLE}" WHERE ${KEY_COLUMNS.map((c) => `"${c}" = ?`).join(' AND ')}`,
    );
  }

  /** The oldest queued rows, at most `limit`. */
  queued(limit: number): QueuedRow[] {
    return asQueued(
      this.db
        .prepare(
          `SELECT ${QUEUE_COLUMNS} FROM "${FUNNEL_QUEUE_TABLE}" ORDER BY "kind", "row_id" LIMIT ?`,
        )
        .all(limit) as never,
    );
  }

  /** Everything stored under the keys that the funnel counts (see `FunnelKeys`). */
  load(keys: FunnelKeys): Map<string, FunnelState> {
    const pairs = new Map(
      keys.pairs.map(([account, clickId]) => [
        `${account}\u0000${clickId}`,
        [account, clickId] as const,
      ]),
    );
    const clickIds = [...new Set(keys.clickIds)];
    if (clickIds.length > 0) {
      for (const { account, clickId } of this.linkAccounts.all(JSON.stringify(clickIds))) {
        pairs.set(`${account}\u0000${clickId}`, [account, clickId]);
      }
    }
    const states = new Map<string, FunnelState>();
    if (pairs.size === 0) return states;
    const rows = this.keyed.all(JSON.stringify([...pairs.values()]));
    collect(rows, states);
    const linked = new Set(rows.filter((row) => row.kind === 'l').map((row) => row.key));
    if (linked.size > 0) collect(this.conversions.all(JSON.stringify([...linked])), states);
    return states;
  }

  /**
   * What counting `batch` needs; `whole`: the batch is all the queue holds, so what is pending is
   * the batch (no read of it).
   */
  reads(batch: readonly QueuedRow[], whole: boolean): FunnelReads {
    const states = this.load(keysIn(batch));
    return {
      states,
      pending: whole ? keysOf(batch) : this.pending(states),
      linksWithoutClickId: this.clicks(withoutClickId(batch)),
      sent: this.tracking(sentIn(batch)),
    };
  }

  /**
   * The rows of `states` that wait in the queue (`queuedKey`s): stored, not counted yet. Looked
   * up by the queue's key, so the queue needs no index of click ids (one less index write per
   * click on the webhooks' path).
   */
  pending(states: ReadonlyMap<string, FunnelState>): Set<string> {
    const { kinds, ids } = rowsOfStates(states);
    if (ids.length === 0) return new Set();
    const rows = this.pendingOf.all(JSON.stringify(kinds.map((kind, i) => [kind, Number(ids[i])])));
    return new Set(rows.map((row) => queuedKey(row.kind, row.rowId)));
  }

  clicks(ids: readonly (string | number)[]): { id: string; row: unknown[] }[] {
    if (ids.length === 0) return [];
    const sql = `${CLICK_SELECT} WHERE "id" IN (${ids.map(() => '?').join(', ')})`;
    return asClicks(this.db.prepare(sql).all(...ids) as Record<string, unknown>[]);
  }

  tracking(ids: readonly (string | number)[]): unknown[][] {
    if (ids.length === 0) return [];
    const sql = `${TRACKING_SELECT} WHERE "id" IN (${ids.map(() => '?').join(', ')})`;
    return asTracking(this.db.prepare(sql).all(...ids) as Record<string, unknown>[]);
  }

  /** Adds the rows; a row counted down to nothing is deleted. */
  write(rows: FunnelRows): void {
    for (const row of rows.list()) {
      const { count } = this.upsert.get(...row)!;
      if (count <= 0) this.drop.run(...(row.slice(0, 7) as string[]));
    }
  }

  /**
   * Takes `batch` out of the queue: the oldest rows in key order (`queued`), so per kind every
   * row from its first id to its last, one statement each (nothing else writes meanwhile: the
   * counter's transaction is immediate).
   */
  dequeue(batch: readonly QueuedRow[]): void {
    const ranges = new Map<QueuedKind, [first: string, last: string]>();
    for (const { kind, rowId } of batch) {
      const range = ranges.get(kind);
      if (range) range[1] = rowId;
      else ranges.set(kind, [rowId, rowId]);
    }
    for (const [kind, [first, last]] of ranges) this.dropRange.run(kind, first, last);
  }
}
