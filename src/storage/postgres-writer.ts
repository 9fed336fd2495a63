import type { DataSource, EntityManager } from 'typeorm';
import { ENQUEUE } from '../funnel/funnel-state.js';
import { LINK_CLICK } from '../funnel/funnel-rollup-rows.js';
import { OUTBOX_TABLE, type OutboxTarget } from '../outbox/outbox-target.js';
import { DELTA_COLUMNS, ROLLUP_DELTAS_TABLE } from '../rollups/rollup-deltas.js';
import { QUARTER_MS } from '../rollups/rollup-grains.js';
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
 * Rows per INSERT on PostgreSQL, for clicks (12 parameters each), rejections (7) and tracking
 * events (9): a full delivery of Meta's in one statement, far below PostgreSQL's 65,535
 * parameters.
 */
const PG_ROWS_PER_STATEMENT = 1000;
/** Rows per group commit: a full delivery of Meta's (1000 actions) is committed on its own. */
const PG_ROWS_PER_COMMIT = 1000;
/**
 * Groups committing at once: while one waits for its commit, the next one inserts its clicks.
 * More measured alike (`bench/RESULTS.md`).
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
  const wanted = targets();
  const assign = (inserted: { id: string; a: string; k: string; t: string }[]) => {
    for (const { id, a, k, t } of inserted) {
      const [d, i] = owners.get(dedupeIdentity(a, k, t))!;
      results[d]![i] = String(id);
    }
  };
  if (
    keyed.length <= PG_ROWS_PER_STATEMENT &&
    tracking.length + rejections.length + archived.length === 0
  ) {
    // Clicks alone (the usual group): one statement, its own transaction.
    if (keyed.length > 0) assign(await insertClicks(dataSource.manager, rowsOf(keyed), wanted));
    return results;
  }
  await dataSource.transaction(async (manager) => {
    for (let start = 0; start < keyed.length; start += PG_ROWS_PER_STATEMENT) {
      assign(
        await insertClicks(
          manager,
          rowsOf(keyed.slice(start, start + PG_ROWS_PER_STATEMENT)),
          wanted,
        ),
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

const rowsOf = (keyed: readonly [string, Row][]) => keyed.map(([, row]) => row);

/** What the click INSERT returns of each new row: what its rollups, queue and outbox rows need. */
const RETURNED = [
  'business_account_id',
  'dedupe_key',
  'action_type',
  'click_id',
  'occurred_at',
  'click_component',
  'phone_number_id',
  'product_id',
] as const;

/**
 * Inserts click rows, skipping duplicates, and returns the new ones by key. The same statement
 * appends what the new ones add to the rollups (counted by the database; `RollupFolding` folds
 * them in: no row that every group updates), queues those the funnel counts (link clicks, and
 * actions with a click id) and, when some consumer wants the clicks, writes their outbox rows
 * (one per target): no extra round trip.
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
    `ON CONFLICT ${CONFLICT_TARGET} DO NOTHING RETURNING "id", ${quoted(RETURNED)}`;
  // Per combination of account, quarter hour and values (`deltaRows`), counted by the database.
  const rollups =
    `"rollups" AS (INSERT INTO "${ROLLUP_DELTAS_TABLE}" (${quoted(DELTA_COLUMNS)}) ` +
    `SELECT "business_account_id", ("occurred_at" / ${QUARTER_MS}) * ${QUARTER_MS}, "click_component", ` +
    `"action_type", "phone_number_id", "product_id", COUNT(*) FROM "new" GROUP BY 1, 2, 3, 4, 5, 6)`;
  const queue =
    `"queue" AS (${ENQUEUE} SELECT 'k', "id", "business_account_id", "click_id", $${values.length + 1} ` +
    `FROM "new" WHERE "action_type" = '${LINK_CLICK}' OR "click_id" IS NOT NULL)`;
  const outbox =
    wanted.length === 0
      ? ''
      : `, "outbox" AS (INSERT INTO "${OUTBOX_TABLE}" ("target", "click_ids", "click_count") ` +
        `SELECT "target", string_agg("id"::text, ',' ORDER BY "id"), count(*) ` +
        `FROM "new" CROSS JOIN unnest($${values.length + 2}::varchar[]) AS "target" GROUP BY "target")`;
  return manager.query(
    `WITH "new" AS (${insert}), ${rollups}, ${queue}${outbox} ` +
      `SELECT "id", "business_account_id" AS "a", "dedupe_key" AS "k", "action_type" AS "t" FROM "new"`,
    wanted.length === 0 ? [...values, Date.now()] : [...values, Date.now(), wanted],
  );
}
