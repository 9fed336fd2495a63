import type { DataSource } from 'typeorm';

/**
 * The first business account of `table` after `after` (in its index's order), or null: one
 * index seek, so walking every account costs one seek per account, whatever the rows.
 */
export async function nextAccount(
  dataSource: DataSource,
  after: string | null,
  table: 'click_events' | 'tracking_events' = 'click_events',
): Promise<string | null> {
  const param = dataSource.driver.options.type === 'postgres' ? '$1' : '?';
  const rows: { account: string | null }[] = await dataSource.query(
    after === null
      ? `SELECT MIN("business_account_id") AS "account" FROM "${table}"`
      : `SELECT MIN("business_account_id") AS "account" FROM "${table}" WHERE "business_account_id" > ${param}`,
    after === null ? [] : [after],
  );
  return rows[0]?.account ?? null;
}
