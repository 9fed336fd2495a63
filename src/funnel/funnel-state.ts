import type { Database as SqliteDatabase, Statement } from 'better-sqlite3';
import type { EntityManager } from 'typeorm';
import { CLICK_COLUMNS, TRACKING_COLUMNS } from '../storage/click-rows.js';
import { placeholders } from '../storage/placeholders.js';
import {
  FUNNEL_QUEUE_TABLE,
  FUNNEL_ROLLUP_COLUMNS,
  FUNNEL_ROLLUP_KEY,
  FUNNEL_ROLLUP_TABLE,
  type FunnelLink,
  type FunnelRollupRow,
  type FunnelRows,
  type QueuedKind,
  type FunnelState,
  LINK_CLICK,
} from './funnel-rollup-rows.js';

/** Rows per funnel rollup upsert on PostgreSQL (9 parameters each). */
const PG_ROWS_PER_STATEMENT = 500;
const KEY_COLUMNS = FUNNEL_ROLLUP_COLUMNS.slice(0, 7);

interface StateRow {
  kind: 'l' | 'a' | 'c';
  id: string | number;
  account: string | null;
  key: string;
  name: string | null;
  at: string | number | null;
  component: string | null;
  product: string | null;
  phone: string | null;
  currency: string | null;
  value: string | number | null;
}

/** The three reads of a funnel state: a click id's link clicks, other actions, conversions. */
const STATE_PARTS = [
  // Typed NULLs: PostgreSQL types a UNION's columns from its first two parts.
  `SELECT 'l' AS "kind", "id", "business_account_id" AS "account", "click_id" AS "key", ` +
    `CAST(NULL AS VARCHAR) AS "name", "occurred_at" AS "at", "click_component" AS "component", ` +
    `"product_id" AS "product", "phone_number_id" AS "phone", CAST(NULL AS VARCHAR) AS "currency", ` +
    `CAST(NULL AS DOUBLE PRECISION) AS "value" FROM "click_events"`,
  `SELECT 'a' AS "kind", v."id", v."business_account_id" AS "account", v."dedupe_key" AS "key", ` +
    `v."action_type" AS "name", NULL AS "at", NULL AS "component", NULL AS "product", NULL AS "phone", ` +
    `NULL AS "currency", NULL AS "value" FROM "click_events" v`,
  `SELECT 'c' AS "kind", c."id", NULL AS "account", c."click_id" AS "key", c."event" AS "name", ` +
    `NULL AS "at", NULL AS "component", NULL AS "product", NULL AS "phone", c."currency", c."value" ` +
    `FROM "click_conversions" c`,
] as const;

/**
 * What the funnel counts under the click ids `= ANY($1)` selects, in one PostgreSQL statement:
 * their link clicks, the other actions of those accounts keyed by them, their conversions. Only
 * where a link click exists: a landing view or conversion before its click counts when it comes.
 */
function postgresStateSql(): string {
  const [links, actions, conversions] = STATE_PARTS;
  return (
    `WITH "l" AS (${links} WHERE "click_id" = ANY($1::varchar[]) AND "action_type" = '${LINK_CLICK}') ` +
    `SELECT * FROM "l" UNION ALL ${actions} JOIN "l" ON v."business_account_id" = "l"."account" ` +
    `AND v."dedupe_key" = "l"."key" AND v."action_type" <> '${LINK_CLICK}' UNION ALL ` +
    `${conversions} WHERE c."click_id" IN (SELECT "key" FROM "l")`
  );
}

const POSTGRES_STATE_SQL = postgresStateSql();

function collect(rows: readonly StateRow[], into: Map<string, FunnelState>): void {
  for (const row of rows) {
    let state = into.get(row.key);
    if (!state) into.set(row.key, (state = { links: [], actions: [], conversions: [] }));
    const id = String(row.id);
    if (row.kind === 'l') state.links.push(link(row));
    else if (row.kind === 'a') state.actions.push({ id, account: row.account!, type: row.name! });
    else {
      state.conversions.push({
        id,
        event: row.name!,
        currency: row.currency,
        value: row.value === null ? null : Number(row.value),
      });
    }
  }
}

function link(row: StateRow): FunnelLink {
  return {
    id: String(row.id),
    account: row.account!,
    occurredAt: Number(row.at),
    component: row.component,
    product: row.product,
    phone: row.phone,
  };
}

/** A row the funnel rollups have not counted yet. */
export interface QueuedRow {
  kind: QueuedKind;
  rowId: string;
  clickId: string | null;
}

/** How a state row, a queued row or a pending one is named: `k:` click row, `c:` conversion. */
export const queuedKey = (kind: QueuedKind, rowId: string | number) => `${kind}:${rowId}`;

const QUEUE_COLUMNS = `"kind", "row_id" AS "rowId", "click_id" AS "clickId"`;
/** The start of an INSERT that queues rows: (kind, row id, click id, queued at). */
export const ENQUEUE = `INSERT INTO "${FUNNEL_QUEUE_TABLE}" ("kind", "row_id", "click_id", "queued_at")`;
/** SQL of whether the row of `idColumn` (of `kind`'s table) waits in the queue. */
export const stillQueued = (kind: QueuedKind, idColumn: string) =>
  `EXISTS (SELECT 1 FROM "${FUNNEL_QUEUE_TABLE}" q WHERE q."kind" = '${kind}' AND q."row_id" = ${idColumn})`;
const CLICK_SELECT = `SELECT "id", ${CLICK_COLUMNS.map((c) => `"${c}"`).join(', ')} FROM "click_events"`;
const TRACKING_SELECT = `SELECT ${TRACKING_COLUMNS.map((c) => `"${c}"`).join(', ')} FROM "tracking_events"`;

const asQueued = (
  rows: { kind: QueuedKind; rowId: string | number; clickId: string | null }[],
): QueuedRow[] => rows.map((row) => ({ ...row, rowId: String(row.rowId) }));
const asClicks = (rows: Record<string, unknown>[]) =>
  rows.map((row) => ({ id: String(row.id), row: CLICK_COLUMNS.map((c) => row[c]) }));
const asTracking = (rows: Record<string, unknown>[]) =>
  rows.map((row) => TRACKING_COLUMNS.map((c) => row[c]));

/** Funnel reads and writes on the synchronous SQLite handle, inside the caller's transaction. */
export class SqliteFunnelStore {
  private readonly links: Statement<[string], StateRow>;
  private readonly actions: Statement<[string, string], StateRow>;
  private readonly conversions: Statement<[string], StateRow>;
  private readonly pendingOf: Statement<[string], { kind: QueuedKind; rowId: number }>;
  private readonly upsert: Statement<FunnelRollupRow, { count: number }>;
  private readonly drop: Statement<string[]>;
  private readonly db: SqliteDatabase;

  constructor(db: SqliteDatabase) {
    this.db = db;
    // Three plain reads: SQLite takes ~90 µs for the compound statement, ~5 µs for these.
    const [links, actions, conversions] = STATE_PARTS;
    this.links = db.prepare(`${links} WHERE "click_id" = ? AND "action_type" = '${LINK_CLICK}'`);
    this.actions = db.prepare(
      `${actions} WHERE v."business_account_id" = ? AND v."dedupe_key" = ? AND v."action_type" <> '${LINK_CLICK}'`,
    );
    this.conversions = db.prepare(`${conversions} WHERE c."click_id" = ?`);
    this.pendingOf = db.prepare(
      `SELECT "kind", "row_id" AS "rowId" FROM "${FUNNEL_QUEUE_TABLE}" WHERE "click_id" = ?`,
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

  /** Everything stored under the click ids that the funnel counts (see STATE_PARTS). */
  load(clickIds: Iterable<string>): Map<string, FunnelState> {
    const states = new Map<string, FunnelState>();
    for (const clickId of new Set(clickIds)) {
      const links = this.links.all(clickId);
      if (links.length === 0) continue;
      collect(links, states);
      for (const account of new Set(links.map((link) => link.account!))) {
        collect(this.actions.all(account, clickId), states);
      }
      collect(this.conversions.all(clickId), states);
    }
    return states;
  }

  /** The queued rows under the click ids (`queuedKey`s): stored, not counted yet. */
  pending(clickIds: Iterable<string>): Set<string> {
    const keys = new Set<string>();
    for (const clickId of new Set(clickIds)) {
      for (const row of this.pendingOf.all(clickId)) keys.add(queuedKey(row.kind, row.rowId));
    }
    return keys;
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

  dequeue(batch: readonly QueuedRow[]): void {
    const remove = this.db.prepare(
      `DELETE FROM "${FUNNEL_QUEUE_TABLE}" WHERE "kind" = ? AND "row_id" = ?`,
    );
    for (const queued of batch) remove.run(queued.kind, queued.rowId);
  }
}

/** The same on PostgreSQL, in the caller's transaction (one snapshot: `withFunnelLock`). */
export const postgresFunnelStore = {
  async queued(manager: EntityManager, limit: number): Promise<QueuedRow[]> {
    return asQueued(
      await manager.query(
        `SELECT ${QUEUE_COLUMNS} FROM "${FUNNEL_QUEUE_TABLE}" ORDER BY "kind", "row_id" LIMIT $1`,
        [limit],
      ),
    );
  },

  async load(
    manager: EntityManager,
    clickIds: Iterable<string>,
  ): Promise<Map<string, FunnelState>> {
    const ids = [...new Set(clickIds)];
    const states = new Map<string, FunnelState>();
    if (ids.length > 0) {
      collect(await manager.query<StateRow[]>(POSTGRES_STATE_SQL, [ids]), states);
    }
    return states;
  },

  async pending(manager: EntityManager, clickIds: Iterable<string>): Promise<Set<string>> {
    const ids = [...new Set(clickIds)];
    if (ids.length === 0) return new Set();
    const rows = await manager.query<{ kind: QueuedKind; rowId: string }[]>(
      `SELECT "kind", "row_id" AS "rowId" FROM "${FUNNEL_QUEUE_TABLE}" WHERE "click_id" = ANY($1::varchar[])`,
      [ids],
    );
    return new Set(rows.map((row) => queuedKey(row.kind, row.rowId)));
  },

  async clicks(
    manager: EntityManager,
    ids: readonly string[],
  ): Promise<{ id: string; row: unknown[] }[]> {
    if (ids.length === 0) return [];
    return asClicks(await manager.query(`${CLICK_SELECT} WHERE "id" = ANY($1::bigint[])`, [ids]));
  },

  async tracking(manager: EntityManager, ids: readonly string[]): Promise<unknown[][]> {
    if (ids.length === 0) return [];
    return asTracking(
      await manager.query(`${TRACKING_SELECT} WHERE "id" = ANY($1::bigint[])`, [ids]),
    );
  },

  async write(manager: EntityManager, funnel: FunnelRows): Promise<void> {
    const table = FUNNEL_ROLLUP_TABLE;
    const rows = funnel.list(true);
    for (let start = 0; start < rows.length; start += PG_ROWS_PER_STATEMENT) {
      const chunk = rows.slice(start, start + PG_ROWS_PER_STATEMENT);
      const counted = await manager.query<Record<string, string>[]>(
        `INSERT INTO "${table}" (${FUNNEL_ROLLUP_COLUMNS.map((c) => `"${c}"`).join(', ')}) ` +
          `VALUES ${placeholders(chunk.length, FUNNEL_ROLLUP_COLUMNS.length)} ON CONFLICT ${FUNNEL_ROLLUP_KEY} ` +
          `DO UPDATE SET "count" = "${table}"."count" + EXCLUDED."count", "total" = "${table}"."total" + EXCLUDED."total" ` +
          `RETURNING ${KEY_COLUMNS.map((c) => `"${c}"`).join(', ')}, "count"`,
        chunk.flat(),
      );
      const empty = counted.filter((row) => Number(row.count) <= 0);
      if (empty.length === 0) continue;
      await manager.query(
        `DELETE FROM "${table}" WHERE ${FUNNEL_ROLLUP_KEY} IN (SELECT * FROM unnest(` +
          `$1::varchar[], $2::varchar[], $3::bigint[], $4::bigint[], $5::varchar[], $6::varchar[], $7::varchar[]))`,
        KEY_COLUMNS.map((column) => empty.map((row) => row[column])),
      );
    }
  },

  async dequeue(manager: EntityManager, batch: readonly QueuedRow[]): Promise<void> {
    if (batch.length === 0) return;
    await manager.query(
      `DELETE FROM "${FUNNEL_QUEUE_TABLE}" WHERE ("kind", "row_id") IN ` +
        `(SELECT * FROM unnest($1::varchar[], $2::bigint[]))`,
      [batch.map((q) => q.kind), batch.map((q) => q.rowId)],
    );
  },
};

/**
 * Empties the funnel rollups and queues every stored row the funnel counts, as the migration
 * did (`rebuildClickRollups`): `FunnelCounter` counts them all again; the funnel reads the
 * tables meanwhile.
 */
export async function requeueFunnel(manager: EntityManager): Promise<void> {
  await manager.query(`DELETE FROM "${FUNNEL_ROLLUP_TABLE}"`);
  await manager.query(`DELETE FROM "${FUNNEL_QUEUE_TABLE}"`);
  await manager.query(
    `${ENQUEUE} SELECT 'k', "id", "click_id", 0 FROM "click_events" ` +
      `WHERE "action_type" = '${LINK_CLICK}' OR "click_id" IS NOT NULL`,
  );
  await manager.query(`${ENQUEUE} SELECT 'c', "id", "click_id", 0 FROM "click_conversions"`);
  await manager.query(
    `${ENQUEUE} SELECT 't', "id", NULL, 0 FROM "tracking_events" WHERE "event" = 'sent'`,
  );
}
