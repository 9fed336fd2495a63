import type { EntityManager } from 'typeorm';
import { type FunnelReads, keysIn, keysOf, sentIn, withoutClickId } from './funnel-count.js';
import {
  FUNNEL_QUEUE_TABLE,
  FUNNEL_ROLLUP_COLUMNS,
  FUNNEL_ROLLUP_KEY,
  FUNNEL_ROLLUP_TABLE,
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

/** Rows per funnel rollup upsert on PostgreSQL. */
const PG_ROWS_PER_STATEMENT = 10_000;
/** The upsert's columns as arrays (`FUNNEL_ROLLUP_COLUMNS` order). */
const ROLLUP_ARRAYS =
  '$1::varchar[], $2::varchar[], $3::bigint[], $4::bigint[], $5::varchar[], $6::varchar[], ' +
  '$7::varchar[], $8::bigint[], $9::double precision[]';

/** What the funnel counts under `FunnelKeys` ($1, $2 the pairs, $3 the click ids), in one statement. */
function postgresStateSql(): string {
  const { keyed, linkAccounts, conversions } = STATE_PARTS;
  // LATERAL subqueries kept apart (OFFSET 0): an index lookup per key. As joins, the planner
  // scanned the whole table for a few thousand keys (69 ms for 2,000 of 200,000 clicks).
  return (
    `WITH "pairs" AS (SELECT * FROM unnest($1::varchar[], $2::varchar[]) AS p("a", "k") UNION ` +
    `SELECT x."account", ids."k" FROM unnest($3::varchar[]) AS ids("k") CROSS JOIN LATERAL ` +
    `(${linkAccounts} WHERE "click_id" = ids."k" AND "action_type" = '${LINK_CLICK}' OFFSET 0) AS x), ` +
    `"r" AS MATERIALIZED (SELECT y.* FROM "pairs" CROSS JOIN LATERAL (${keyed} ` +
    `WHERE "business_account_id" = "pairs"."a" AND "dedupe_key" = "pairs"."k" OFFSET 0) AS y) ` +
    `SELECT * FROM "r" UNION ALL SELECT x.* FROM (SELECT DISTINCT "key" FROM "r" WHERE "kind" = 'l') AS d ` +
    `CROSS JOIN LATERAL (${conversions} WHERE c."click_id" = d."key" OFFSET 0) AS x`
  );
}

const POSTGRES_STATE_SQL = postgresStateSql();

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

  async load(manager: EntityManager, keys: FunnelKeys): Promise<Map<string, FunnelState>> {
    const states = new Map<string, FunnelState>();
    if (keys.pairs.length === 0 && keys.clickIds.length === 0) return states;
    const rows = await manager.query<StateRow[]>(POSTGRES_STATE_SQL, [
      keys.pairs.map(([account]) => account),
      keys.pairs.map(([, clickId]) => clickId),
      [...new Set(keys.clickIds)],
    ]);
    collect(rows, states);
    return states;
  },

  /** What counting `batch` needs (see `SqliteFunnelStore.reads`). */
  async reads(
    manager: EntityManager,
    batch: readonly QueuedRow[],
    whole: boolean,
  ): Promise<FunnelReads> {
    const states = await this.load(manager, keysIn(batch));
    return {
      states,
      pending: whole ? keysOf(batch) : await this.pending(manager, states),
      linksWithoutClickId: await this.clicks(manager, withoutClickId(batch)),
      sent: await this.tracking(manager, sentIn(batch)),
    };
  },

  /** The rows of `states` that wait in the queue (see `SqliteFunnelStore.pending`). */
  async pending(
    manager: EntityManager,
    states: ReadonlyMap<string, FunnelState>,
  ): Promise<Set<string>> {
    const { kinds, ids } = rowsOfStates(states);
    if (ids.length === 0) return new Set();
    const rows = await manager.query<{ kind: QueuedKind; rowId: string }[]>(
      `SELECT "kind", "row_id" AS "rowId" FROM "${FUNNEL_QUEUE_TABLE}" ` +
        `WHERE ("kind", "row_id") IN (SELECT * FROM unnest($1::varchar[], $2::bigint[]))`,
      [kinds, ids],
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
      // One array a column: nine parameters, whatever the number of rows.
      const empty = await manager.query<Record<string, string>[]>(
        `WITH "counted" AS (INSERT INTO "${table}" (${FUNNEL_ROLLUP_COLUMNS.map((c) => `"${c}"`).join(', ')}) ` +
          `SELECT * FROM unnest(${ROLLUP_ARRAYS}) ON CONFLICT ${FUNNEL_ROLLUP_KEY} ` +
          `DO UPDATE SET "count" = "${table}"."count" + EXCLUDED."count", "total" = "${table}"."total" + EXCLUDED."total" ` +
          `RETURNING ${KEY_COLUMNS.map((c) => `"${c}"`).join(', ')}, "count") ` +
          `SELECT * FROM "counted" WHERE "count" <= 0`,
        FUNNEL_ROLLUP_COLUMNS.map((_, column) => chunk.map((row) => row[column])),
      );
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
