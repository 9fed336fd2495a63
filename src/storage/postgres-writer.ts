import type { DataSource, EntityManager } from 'typeorm';
import { ENQUEUE } from '../funnel/funnel-state.js';
import { LINK_CLICK } from '../funnel/funnel-rollup-rows.js';
import { OUTBOX_TABLE, type OutboxTarget } from '../outbox/outbox-target.js';
import { ROLLUP_COLUMNS, ROLLUP_KEY, ROLLUP_TABLE, rollupRows } from '../rollups/rollup-grains.js';
import {
  ACCOUNT,
  ACTION_TYPE,
  CLICK_COLUMNS,
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
  const group = new GroupCommit<DeliveryRows, (string | undefined)[]>({
    commit: (deliveries) => commitGroup(dataSource, targets, deliveries),
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
        created.push(rowOf.get(key)!);
      }
    }
    const rollups = rollupRows(created, true);
    for (let start = 0; start < rollups.length; start += PG_ROWS_PER_STATEMENT) {
      const chunk = rollups.slice(start, start + PG_ROWS_PER_STATEMENT);
      await manager.query(
        `INSERT INTO "${ROLLUP_TABLE}" (${quoted(ROLLUP_COLUMNS)}) ` +
          `VALUES ${placeholders(chunk.length, ROLLUP_COLUMNS.length)} ` +
          `ON CONFLICT ${ROLLUP_KEY} DO UPDATE SET "count" = "${ROLLUP_TABLE}"."count" + EXCLUDED."count"`,
        chunk.flat(),
      );
    }
    for (let start = 0; start < tracking.length; start += PG_ROWS_PER_STATEMENT) {
      const chunk = tracking.slice(start, start + PG_ROWS_PER_STATEMENT);
      // New `sent` events are queued for the funnel rollups by the same statement.
      await manager.query(
        `WITH "stored" AS (INSERT INTO "tracking_events" (${quoted(TRACKING_COLUMNS)}) ` +
          `VALUES ${placeholders(chunk.length, TRACKING_COLUMNS.length)} ` +
          `ON CONFLICT ${TRACKING_CONFLICT_TARGET} DO NOTHING RETURNING "id", "event") ` +
          `${ENQUEUE} SELECT 't', "id", NULL, NULL, $${chunk.length * TRACKING_COLUMNS.length + 1} FROM "stored" WHERE "event" = 'sent'`,
        [...chunk.flat(), Date.now()],
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
  });
  return results;
}

/**
 * Inserts click rows, skipping duplicates, and returns the new ones by key. The same statement
 * queues those the funnel counts (link clicks, and actions with a click id) and, when some
 * consumer wants the clicks, writes their outbox rows (one per target): no extra round trip.
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
    `RETURNING "id", "business_account_id" AS "a", "dedupe_key" AS "k", "action_type" AS "t", "click_id" AS "c"`;
  const queue =
    `"queue" AS (${ENQUEUE} SELECT 'k', "id", "a", "c", $${values.length + 1} FROM "new" ` +
    `WHERE "t" = '${LINK_CLICK}' OR "c" IS NOT NULL)`;
  const outbox =
    wanted.length === 0
      ? ''
      : `, "outbox" AS (INSERT INTO "${OUTBOX_TABLE}" ("target", "click_ids", "click_count") ` +
        `SELECT "target", string_agg("id"::text, ',' ORDER BY "id"), count(*) ` +
        `FROM "new" CROSS JOIN unnest($${values.length + 2}::varchar[]) AS "target" GROUP BY "target")`;
  return manager.query(
    `WITH "new" AS (${insert}), ${queue}${outbox} SELECT "id", "a", "k", "t" FROM "new"`,
    wanted.length === 0 ? [...values, Date.now()] : [...values, Date.now(), wanted],
  );
}
