import type { DataSource, EntityManager } from 'typeorm';
import { OUTBOX_TABLE, type OutboxTarget } from '../outbox/outbox-target.js';
import {
  addLinksWithoutClickId,
  addNew,
  addSentRows,
  clickIdsOf,
  type FunnelRollupRow,
  FunnelRows,
} from '../funnel/funnel-rollup-rows.js';
import { funnelBackfillRunning, postgresFunnelStore } from '../funnel/funnel-state.js';
import {
  ROLLUP_COLUMNS,
  ROLLUP_KEY,
  ROLLUP_TABLE,
  type RollupRow,
  rollupRows,
} from '../rollups/rollup-grains.js';
import {
  ACCOUNT,
  ACTION_TYPE,
  CLICK_COLUMNS,
  CLICK_ID,
  CONFLICT_TARGET,
  DEDUPE_KEY,
  dedupeIdentity,
  quoted,
  compareTrackingRows,
  REJECTION_COLUMNS,
  type Row,
  TRACKING_COLUMNS,
  TRACKING_CONFLICT_TARGET,
} from './click-rows.js';
import {
  ARCHIVE_INSERT,
  deliveryWeight,
  type DeliveryRows,
  type DeliveryWriter,
} from './delivery-writer.js';
import { GroupCommit } from './group-commit.js';
import { placeholders } from './placeholders.js';

/**
 * Rows per INSERT on PostgreSQL, for clicks (12 parameters each), rejections (7) and rollups
 * (6): far below its 65,535-parameter limit whatever a delivery holds.
 */
const PG_ROWS_PER_STATEMENT = 500;
/** Rows per group commit: a full delivery of Meta's (1000 actions) is committed on its own. */
const PG_ROWS_PER_COMMIT = 1000;
/**
 * Groups committing at once: while one waits for its commit (and its rollup rows, which the
 * next group updates too), the next one inserts its clicks (`bench/RESULTS.md`).
 */
const PG_GROUPS_IN_FLIGHT = 2;

/**
 * Errors of one write's data (class 22, 23) or of one transaction's luck (40: deadlock,
 * serialization): each write of the group is tried again alone. Anything else (connection,
 * timeout, shutdown, resources) would fail them all again.
 */
function failsEveryWrite(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return !(typeof code === 'string' && /^(22|23|40)/.test(code));
}

/**
 * Group commit on PostgreSQL: the deliveries that reach storage in one turn of the event loop
 * share one transaction and one multi-row INSERT per table (each still all-or-nothing, and
 * answered after its own commit). Keys are sorted across the group, so concurrent instances
 * lock them in one order and cannot deadlock; a key carried by two deliveries of a group is
 * new for the first and a duplicate for the other, as if they had come one after the other.
 */
export function postgresWriter(
  dataSource: DataSource,
  targets: () => readonly OutboxTarget[],
): DeliveryWriter {
  const backfilling = funnelBackfillRunning(dataSource);
  const group = new GroupCommit<DeliveryRows, (string | undefined)[]>({
    commit: async (deliveries) => commitGroup(dataSource, targets, deliveries, await backfilling()),
    weight: deliveryWeight,
    maxWeight: PG_ROWS_PER_COMMIT,
    failsEveryWrite,
    canBegin: () => true, // each transaction has its own pooled connection
    waitLimitMs: 0,
    maxInFlight: PG_GROUPS_IN_FLIGHT,
  });
  return {
    write: (delivery) => group.submit(delivery),
    drain: () => group.drain(),
  };
}

async function commitGroup(
  dataSource: DataSource,
  targets: () => readonly OutboxTarget[],
  deliveries: DeliveryRows[],
  backfilling: boolean,
): Promise<(string | undefined)[][]> {
  const owners = new Map<string, [delivery: number, index: number]>();
  const keyed: [string, Row][] = [];
  deliveries.forEach(({ clicks }, d) =>
    clicks.forEach((row, i) => {
      const key = dedupeIdentity(row[ACCOUNT], row[DEDUPE_KEY], row[ACTION_TYPE]);
      if (owners.has(key)) return;
      owners.set(key, [d, i]);
      keyed.push([key, row]);
    }),
  );
  keyed.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const results = deliveries.map(({ clicks }) => new Array<string | undefined>(clicks.length));
  const rejections = deliveries.flatMap((delivery) => delivery.rejections);
  const tracking = deliveries.flatMap((delivery) => delivery.tracking).sort(compareTrackingRows);
  const archived = deliveries.flatMap((delivery) => (delivery.archive ? [delivery.archive] : []));
  await dataSource.transaction(async (manager) => {
    const created: Row[] = [];
    const createdIds = new Set<string>();
    const withIds: { id: string; row: Row }[] = [];
    const wanted = targets();
    for (let start = 0; start < keyed.length; start += PG_ROWS_PER_STATEMENT) {
      const chunk = keyed.slice(start, start + PG_ROWS_PER_STATEMENT);
      const rowOf = new Map(chunk);
      for (const { id, a, k, t } of await insertClicks(
        manager,
        chunk.map(([, row]) => row),
        wanted,
      )) {
        const key = dedupeIdentity(a, k, t);
        const [d, i] = owners.get(key)!;
        results[d]![i] = String(id);
        createdIds.add(String(id));
        created.push(rowOf.get(key)!);
        withIds.push({ id: String(id), row: rowOf.get(key)! });
      }
    }
    const funnel = new FunnelRows();
    for (let start = 0; start < tracking.length; start += PG_ROWS_PER_STATEMENT) {
      const chunk = tracking.slice(start, start + PG_ROWS_PER_STATEMENT);
      const stored = await manager.query<Record<string, unknown>[]>(
        `INSERT INTO "tracking_events" (${quoted(TRACKING_COLUMNS)}) ` +
          `VALUES ${placeholders(chunk.length, TRACKING_COLUMNS.length)} ` +
          `ON CONFLICT ${TRACKING_CONFLICT_TARGET} DO NOTHING RETURNING ${quoted(TRACKING_COLUMNS)}`,
        chunk.flat(),
      );
      addSentRows(
        funnel,
        stored.map((row) => TRACKING_COLUMNS.map((c) => row[c])),
        1,
      );
    }
    for (let start = 0; start < rejections.length; start += PG_ROWS_PER_STATEMENT) {
      const chunk = rejections.slice(start, start + PG_ROWS_PER_STATEMENT);
      await manager.query(
        `INSERT INTO "rejected_deliveries" (${quoted(REJECTION_COLUMNS)}) VALUES ${placeholders(chunk.length, REJECTION_COLUMNS.length)}`,
        chunk.flat(),
      );
    }
    for (let start = 0; start < archived.length; start += PG_ROWS_PER_STATEMENT) {
      const chunk = archived.slice(start, start + PG_ROWS_PER_STATEMENT);
      await manager.query(`${ARCHIVE_INSERT} ${placeholders(chunk.length, 3)}`, chunk.flat());
    }
    if (created.length > 0) {
      // The click ids are locked by the INSERT that stored them (see insertClicks).
      const countable = await postgresFunnelStore.countable(manager, backfilling);
      addLinksWithoutClickId(funnel, withIds, countable, 1);
      const states = await postgresFunnelStore.load(manager, clickIdsOf(created, CLICK_ID));
      addNew(funnel, states, { clicks: createdIds, conversions: new Set() }, countable);
    }
    await upsertRollups(manager, rollupRows(created, true), funnel.list(true));
  });
  return results;
}

/**
 * Inserts click rows, skipping duplicates, and returns the new ones by key. When some consumer
 * wants the clicks, the same statement writes their outbox rows (one per target), so the outbox
 * costs no extra round trip.
 */
async function insertClicks(
  manager: EntityManager,
  rows: Row[],
  wanted: readonly OutboxTarget[],
): Promise<{ id: string; a: string; k: string; t: string }[]> {
  const values = rows.flat();
  const insert =
    `INSERT INTO "click_events" (${quoted(CLICK_COLUMNS)}) ` +
    `VALUES ${placeholders(rows.length, CLICK_COLUMNS.length)} ` +
    `ON CONFLICT ${CONFLICT_TARGET} DO NOTHING ` +
    `RETURNING "id", "business_account_id" AS "a", "dedupe_key" AS "k", "action_type" AS "t"`;
  // The click ids' funnel locks (postgresFunnelStore.lock), taken once a click is new: before
  // the funnel state is read, and without a round trip of their own.
  const lock =
    `"lock" AS (SELECT pg_advisory_xact_lock(h) FROM (SELECT DISTINCT hashtextextended(k, 0) AS h ` +
    `FROM unnest($${values.length + 1}::varchar[]) AS k ORDER BY h) AS "keys")`;
  const clickIds = [...new Set(clickIdsOf(rows, CLICK_ID))].sort();
  const outbox =
    wanted.length === 0
      ? ''
      : `, "outbox" AS (INSERT INTO "${OUTBOX_TABLE}" ("target", "click_ids", "click_count") ` +
        `SELECT "target", string_agg("id"::text, ',' ORDER BY "id"), count(*) ` +
        `FROM "new" CROSS JOIN unnest($${values.length + 2}::varchar[]) AS "target" GROUP BY "target")`;
  return manager.query(
    `WITH ${lock}, "new" AS (${insert})${outbox} SELECT * FROM "new" WHERE (SELECT count(*) FROM "lock") >= 0`,
    wanted.length === 0 ? [...values, clickIds] : [...values, clickIds, wanted],
  );
}

/** The statistics' and the funnel's new counts, in one statement when they fit. */
async function upsertRollups(
  manager: EntityManager,
  stats: readonly RollupRow[],
  funnel: readonly FunnelRollupRow[],
): Promise<void> {
  const statsSql = (rows: number) =>
    `INSERT INTO "${ROLLUP_TABLE}" (${quoted(ROLLUP_COLUMNS)}) ` +
    `VALUES ${placeholders(rows, ROLLUP_COLUMNS.length)} ` +
    `ON CONFLICT ${ROLLUP_KEY} DO UPDATE SET "count" = "${ROLLUP_TABLE}"."count" + EXCLUDED."count"`;
  if (stats.length <= PG_ROWS_PER_STATEMENT && funnel.length <= PG_ROWS_PER_STATEMENT) {
    if (stats.length === 0 && funnel.length === 0) return;
    const funnelSql = postgresFunnelStore.addingSql(
      funnel.length,
      stats.length * ROLLUP_COLUMNS.length,
    );
    const sql =
      funnel.length === 0
        ? statsSql(stats.length)
        : stats.length === 0
          ? funnelSql
          : `WITH "stats" AS (${statsSql(stats.length)}) ${funnelSql}`;
    await manager.query(sql, [...stats.flat(), ...funnel.flat()]);
    return;
  }
  for (let start = 0; start < stats.length; start += PG_ROWS_PER_STATEMENT) {
    const chunk = stats.slice(start, start + PG_ROWS_PER_STATEMENT);
    await manager.query(statsSql(chunk.length), chunk.flat());
  }
  for (let start = 0; start < funnel.length; start += PG_ROWS_PER_STATEMENT) {
    const chunk = funnel.slice(start, start + PG_ROWS_PER_STATEMENT);
    await manager.query(postgresFunnelStore.addingSql(chunk.length, 0), chunk.flat());
  }
}
