import type { DataSource } from 'typeorm';
import { OUTBOX_TABLE, type OutboxTarget } from '../outbox/outbox-target.js';
import {
  ACCOUNT,
  ACTION_TYPE,
  CLICK_COLUMNS,
  CONFLICT_TARGET,
  DEDUPE_KEY,
  dedupeIdentity,
  quoted,
  REJECTION_COLUMNS,
  type Row,
} from './click-rows.js';
import type { DeliveryWriter } from './sqlite-writer.js';

/**
 * Rows per INSERT on PostgreSQL, for clicks (12 parameters each) and rejections (7): far below
 * its 65,535-parameter limit whatever a delivery holds.
 */
const PG_ROWS_PER_STATEMENT = 500;

/**
 * One transaction per delivery. Each INSERT of clicks also writes their outbox rows (one per
 * target) in the same statement, so the outbox costs no extra round trip.
 */
export function postgresWriter(
  dataSource: DataSource,
  targets: () => readonly OutboxTarget[],
): DeliveryWriter {
  const inFlight = new Set<Promise<unknown>>();
  const write = async (clicks: Row[], rejections: Row[]) =>
    dataSource.transaction(async (manager) => {
      const ids = new Array<string | undefined>(clicks.length);
      for (let start = 0; start < clicks.length; start += PG_ROWS_PER_STATEMENT) {
        const chunk = clicks.slice(start, start + PG_ROWS_PER_STATEMENT);
        const values = chunk.flat();
        const wanted = targets();
        const insert =
          `INSERT INTO "click_events" (${quoted(CLICK_COLUMNS)}) ` +
          `VALUES ${placeholders(chunk.length, CLICK_COLUMNS.length)} ` +
          `ON CONFLICT ${CONFLICT_TARGET} DO NOTHING ` +
          `RETURNING "id", "business_account_id" AS "a", "dedupe_key" AS "k", "action_type" AS "t"`;
        // RETURNING names the key, so each returned id finds its row whatever the order.
        const returned: { id: string; a: string; k: string; t: string }[] =
          wanted.length === 0
            ? await manager.query(insert, values)
            : await manager.query(
                `WITH "new" AS (${insert}), ` +
                  `"outbox" AS (INSERT INTO "${OUTBOX_TABLE}" ("target", "click_ids", "click_count") ` +
                  `SELECT "target", string_agg("id"::text, ',' ORDER BY "id"), count(*) ` +
                  `FROM "new" CROSS JOIN unnest($${values.length + 1}::varchar[]) AS "target" GROUP BY "target") ` +
                  `SELECT * FROM "new"`,
                [...values, wanted],
              );
        const index = new Map(
          chunk.map((row, i) => [
            dedupeIdentity(row[ACCOUNT], row[DEDUPE_KEY], row[ACTION_TYPE]),
            i,
          ]),
        );
        for (const { id, a, k, t } of returned)
          ids[start + index.get(dedupeIdentity(a, k, t))!] = String(id);
      }
      for (let start = 0; start < rejections.length; start += PG_ROWS_PER_STATEMENT) {
        const chunk = rejections.slice(start, start + PG_ROWS_PER_STATEMENT);
        await manager.query(
          `INSERT INTO "rejected_deliveries" (${quoted(REJECTION_COLUMNS)}) VALUES ${placeholders(chunk.length, REJECTION_COLUMNS.length)}`,
          chunk.flat(),
        );
      }
      return ids;
    });
  return {
    write: (clicks, rejections) => {
      const writing = write(clicks, rejections);
      const settled: Promise<unknown> = writing.then(
        () => inFlight.delete(settled),
        () => inFlight.delete(settled),
      );
      inFlight.add(settled);
      return writing;
    },
    drain: async () => {
      await Promise.all(inFlight);
    },
  };
}

function placeholders(rows: number, columns: number): string {
  const groups: string[] = [];
  for (let r = 0; r < rows; r++) {
    const cells: string[] = [];
    for (let c = 1; c <= columns; c++) cells.push(`$${r * columns + c}`);
    groups.push(`(${cells.join(', ')})`);
  }
  return groups.join(', ');
}
