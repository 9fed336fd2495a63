import type { Database as SqliteDatabase, Statement } from 'better-sqlite3';
import type { DataSource, EntityManager } from 'typeorm';
import { BACKFILL_TABLE } from '../rollups/rollup-grains.js';
import { CLICK_COLUMNS } from '../storage/click-rows.js';
import { placeholders } from '../storage/placeholders.js';
import {
  FUNNEL_BACKFILL_ROW,
  FUNNEL_ROLLUP_COLUMNS,
  FUNNEL_ROLLUP_KEY,
  FUNNEL_ROLLUP_TABLE,
  type FunnelLink,
  type FunnelRollupRow,
  type FunnelRows,
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

const [ACCOUNT, ACTION_TYPE, CLICK_ID, AT, COMPONENT, PRODUCT, PHONE] = [
  'business_account_id',
  'action_type',
  'click_id',
  'occurred_at',
  'click_component',
  'product_id',
  'phone_number_id',
].map((name) => CLICK_COLUMNS.indexOf(name as (typeof CLICK_COLUMNS)[number]));

/** A new link click's row as the link query would read it. */
function linkRow(id: string, row: readonly unknown[], clickId: string): StateRow {
  return {
    kind: 'l',
    id,
    account: row[ACCOUNT!] as string,
    key: clickId,
    name: null,
    at: row[AT!] as number,
    component: row[COMPONENT!] as string | null,
    product: row[PRODUCT!] as string | null,
    phone: row[PHONE!] as string | null,
    currency: null,
    value: null,
  };
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

/** Backfill progress: link clicks with ids in [next, last] are not counted yet. */
export interface FunnelProgress {
  next: number;
  last: number;
}

/** Whether the rollups count `link` now (the backfill counts those it has not reached). */
export function countableIn(progress: FunnelProgress | undefined): (link: FunnelLink) => boolean {
  if (!progress || progress.next > progress.last) return () => true;
  return (link) => Number(link.id) < progress.next || Number(link.id) > progress.last;
}

const POSTGRES_STATE_SQL = postgresStateSql();

const PROGRESS_SQL = `SELECT "next_id" AS "next", "last_id" AS "last" FROM "${BACKFILL_TABLE}" WHERE "id" = ${FUNNEL_BACKFILL_ROW}`;

/** Funnel state reads and rollup writes on the synchronous SQLite handle (inside its transaction). */
export class SqliteFunnelStore {
  private readonly links: Statement<[string], StateRow>;
  private readonly accountLink: Statement<[string, string], StateRow>;
  private readonly actions: Statement<[string, string], StateRow>;
  private readonly conversions: Statement<[string], StateRow>;
  private readonly progress: Statement<[], { next: number; last: number }>;
  private readonly upsert: Statement<FunnelRollupRow, { count: number }>;
  private readonly drop: Statement<string[]>;

  constructor(db: SqliteDatabase) {
    // Three plain reads: SQLite takes ~90 µs for the compound statement, ~5 µs for these.
    const [links, actions, conversions] = STATE_PARTS;
    this.links = db.prepare(`${links} WHERE "click_id" = ? AND "action_type" = '${LINK_CLICK}'`);
    this.accountLink = db.prepare(
      `${links} WHERE "business_account_id" = ? AND "dedupe_key" = ? AND "action_type" = '${LINK_CLICK}' AND "click_id" = "dedupe_key"`,
    );
    this.actions = db.prepare(
      `${actions} WHERE v."business_account_id" = ? AND v."dedupe_key" = ? AND v."action_type" <> '${LINK_CLICK}'`,
    );
    this.conversions = db.prepare(`${conversions} WHERE c."click_id" = ?`);
    this.progress = db.prepare(PROGRESS_SQL);
    this.upsert = db.prepare(
      `INSERT INTO "${FUNNEL_ROLLUP_TABLE}" (${FUNNEL_ROLLUP_COLUMNS.map((c) => `"${c}"`).join(', ')}) ` +
        `VALUES (${FUNNEL_ROLLUP_COLUMNS.map(() => '?').join(', ')}) ON CONFLICT ${FUNNEL_ROLLUP_KEY} ` +
        `DO UPDATE SET "count" = "count" + excluded."count", "total" = "total" + excluded."total" RETURNING "count"`,
    );
    this.drop = db.prepare(
      `DELETE FROM "${FUNNEL_ROLLUP_TABLE}" WHERE ${KEY_COLUMNS.map((c) => `"${c}" = ?`).join(' AND ')}`,
    );
  }

  load(clickIds: Iterable<string>): Map<string, FunnelState> {
    const states = new Map<string, FunnelState>();
    for (const clickId of new Set(clickIds)) {
      const links = this.links.all(clickId);
      if (links.length === 0) continue;
      collect(links, states);
      for (const link of links) collect(this.actions.all(link.account!, clickId), states);
      collect(this.conversions.all(clickId), states);
    }
    return states;
  }

  /**
   * The same for new click rows (`CLICK_COLUMNS` order) with their ids: Meta's actions reach
   * only the link click of their own account, and a new link click is known already.
   */
  loadForClicks(
    rows: readonly { id: string; row: readonly unknown[] }[],
  ): Map<string, FunnelState> {
    const states = new Map<string, FunnelState>();
    const seen = new Set<string>();
    for (const { id, row } of rows) {
      const clickId = row[CLICK_ID!] as string | null;
      const account = row[ACCOUNT!] as string;
      if (clickId === null || seen.has(`${account}\u0000${clickId}`)) continue;
      seen.add(`${account}\u0000${clickId}`);
      const links: StateRow[] =
        row[ACTION_TYPE!] === LINK_CLICK
          ? [linkRow(id, row, clickId)]
          : this.accountLink.all(account, clickId);
      if (links.length === 0) continue;
      const known = states.has(clickId);
      collect(links, states);
      collect(this.actions.all(account, clickId), states);
      if (!known) collect(this.conversions.all(clickId), states);
    }
    return states;
  }

  countable(): (link: FunnelLink) => boolean {
    return countableIn(this.progress.get());
  }

  /** Adds the rows; a row counted down to nothing is deleted. */
  write(rows: FunnelRows): void {
    for (const row of rows.list()) {
      const { count } = this.upsert.get(...row)!;
      if (count <= 0) this.drop.run(...(row.slice(0, 7) as string[]));
    }
  }
}

/** The same on PostgreSQL, in the caller's transaction. */
export const postgresFunnelStore = {
  /**
   * Locks the click ids for this transaction (sorted, in one statement): a click and its
   * conversion stored at once by two transactions would otherwise each miss the other.
   */
  async lock(manager: EntityManager, clickIds: Iterable<string>): Promise<void> {
    const ids = [...new Set(clickIds)].sort();
    if (ids.length === 0) return;
    await manager.query(
      `SELECT pg_advisory_xact_lock(h) FROM (SELECT DISTINCT hashtextextended(k, 0) AS h ` +
        `FROM unnest($1::varchar[]) AS k) AS "keys" ORDER BY h`,
      [ids],
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

  /**
   * The backfill's progress, while it runs read under a share lock: a backfill batch (which
   * locks it for update) and this transaction then see each other's work, whichever is first.
   */
  async countable(
    manager: EntityManager,
    running: boolean,
  ): Promise<(link: FunnelLink) => boolean> {
    if (!running) return () => true;
    const [row] = await manager.query<{ next: string; last: string }[]>(
      `${PROGRESS_SQL} FOR SHARE`,
    );
    return countableIn(row && { next: Number(row.next), last: Number(row.last) });
  },

  /**
   * An upsert of `rows` funnel rows that only add (the ingest's), its parameters after `offset`
   * others: for a statement that writes the statistics' rollups too.
   */
  addingSql(rows: number, offset: number): string {
    const table = FUNNEL_ROLLUP_TABLE;
    return (
      `INSERT INTO "${table}" (${FUNNEL_ROLLUP_COLUMNS.map((c) => `"${c}"`).join(', ')}) ` +
      `VALUES ${placeholders(rows, FUNNEL_ROLLUP_COLUMNS.length, offset)} ON CONFLICT ${FUNNEL_ROLLUP_KEY} ` +
      `DO UPDATE SET "count" = "${table}"."count" + EXCLUDED."count", "total" = "${table}"."total" + EXCLUDED."total"`
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
};

/** How long a read of whether the funnel backfill runs is trusted, in ms. */
const RUNNING_CACHE_MS = 1000;

/**
 * Whether the funnel's backfill still runs (read without a lock, at most once a second): while
 * it does, writes read its progress under a share lock (`postgresFunnelStore.countable`).
 */
export function funnelBackfillRunning(dataSource: DataSource): () => Promise<boolean> {
  let known: { running: boolean; at: number } | undefined;
  return async () => {
    if (known && Date.now() - known.at < RUNNING_CACHE_MS) return known.running;
    const [row] = await dataSource.query<{ next: string; last: string }[]>(PROGRESS_SQL);
    const running = row !== undefined && Number(row.next) <= Number(row.last);
    known = { running, at: Date.now() };
    return running;
  };
}
