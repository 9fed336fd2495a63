import type { EntityManager } from 'typeorm';
import type { FunnelKeys } from '../funnel/funnel-state.js';
import {
  ROLLUP_COLUMNS,
  ROLLUP_KEY,
  ROLLUP_TABLE,
  type RollupRow,
} from '../rollups/rollup-grains.js';
import { CLICK_COLUMNS, quoted, type Row } from '../storage/click-rows.js';
import { placeholders } from '../storage/placeholders.js';

/** Deleted rows as the rollups count them, and the rollups' subtraction on PostgreSQL. */

const PG_ROLLUPS_PER_STATEMENT = 1000;

export function withId(record: Record<string, unknown>): { id: string; row: Row } {
  return { id: String(record.id), row: toRow(record) };
}

export function toRow(record: Record<string, unknown>): Row {
  return CLICK_COLUMNS.map((column) =>
    column === 'occurred_at' || column === 'received_at'
      ? Number(record[column])
      : (record[column] as string | null),
  );
}

export const NONE: ReadonlySet<string> = new Set();

/** The funnel states of an account's click ids. */
/** The click ids of deleted click rows that have one. */
export const clickIdsOfRows = (rows: readonly { click_id: string | null }[]) =>
  rows.flatMap((row) => (row.click_id === null ? [] : [row.click_id]));

export const inAccount = (account: string, clickIds: readonly string[]): FunnelKeys => ({
  pairs: clickIds.map((clickId) => [account, clickId] as const),
  clickIds: [],
});

export function negated(rows: RollupRow[]): RollupRow[] {
  for (const row of rows) row[5] = -row[5];
  return rows;
}

export async function subtractPostgres(manager: EntityManager, rows: RollupRow[]): Promise<void> {
  for (let start = 0; start < rows.length; start += PG_ROLLUPS_PER_STATEMENT) {
    const chunk = negated(rows.slice(start, start + PG_ROLLUPS_PER_STATEMENT));
    const counted = await manager.query<Record<string, string>[]>(
      `INSERT INTO "${ROLLUP_TABLE}" (${quoted(ROLLUP_COLUMNS)}) ` +
        `VALUES ${placeholders(chunk.length, ROLLUP_COLUMNS.length)} ` +
        `ON CONFLICT ${ROLLUP_KEY} DO UPDATE SET "count" = "${ROLLUP_TABLE}"."count" + EXCLUDED."count" ` +
        `RETURNING "business_account_id", "dimension", "grain", "bucket", "value", "count"`,
      chunk.flat(),
    );
    const empty = counted.filter((row) => Number(row.count) <= 0);
    if (empty.length === 0) continue;
    await manager.query(
      `DELETE FROM "${ROLLUP_TABLE}" WHERE ("business_account_id", "dimension", "grain", "bucket", "value") IN ` +
        `(SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::bigint[], $4::bigint[], $5::varchar[]))`,
      ['business_account_id', 'dimension', 'grain', 'bucket', 'value'].map((column) =>
        empty.map((row) => row[column]),
      ),
    );
  }
}
