import type { EntityManager } from 'typeorm';
import type { FunnelKeys } from '../funnel/funnel-state.js';
import { DELTA_COLUMNS, deltaRows, ROLLUP_DELTAS_TABLE } from '../rollups/rollup-deltas.js';
import type { RollupRow } from '../rollups/rollup-grains.js';
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

/**
 * Takes the deleted clicks (click rows) out of the rollups on PostgreSQL: appended as negative
 * deltas (as ingest appends its own), which `RollupFolding` folds in, deleting the rows that
 * count nothing any more.
 */
export async function subtractPostgres(manager: EntityManager, clicks: Row[]): Promise<void> {
  const rows = deltaRows(clicks, -1);
  for (let start = 0; start < rows.length; start += PG_ROLLUPS_PER_STATEMENT) {
    const chunk = rows.slice(start, start + PG_ROLLUPS_PER_STATEMENT);
    await manager.query(
      `INSERT INTO "${ROLLUP_DELTAS_TABLE}" (${quoted(DELTA_COLUMNS)}) ` +
        `VALUES ${placeholders(chunk.length, DELTA_COLUMNS.length)}`,
      chunk.flat(),
    );
  }
}
