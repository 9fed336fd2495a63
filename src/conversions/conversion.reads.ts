import type { DataSource } from 'typeorm';
import { CONVERSIONS_TABLE } from './conversion.store.js';

/** Most conversions `ClickEvent.conversions` lists for one click. */
export const MAX_CONVERSIONS_PER_CLICK = 100;

export interface StoredConversion {
  event: string;
  occurredAt: Date;
  value: number | null;
  currency: string | null;
  externalId: string | null;
  source: string;
}

/** The conversions reported for a click id, oldest first. */
export async function conversionsOf(
  dataSource: DataSource,
  clickId: string,
): Promise<StoredConversion[]> {
  const param = dataSource.driver.options.type === 'postgres' ? '$1' : '?';
  const rows = await dataSource.query<
    {
      event: string;
      occurred_at: string | number;
      value: string | number | null;
      currency: string | null;
      external_id: string | null;
      source: string;
    }[]
  >(
    `SELECT "event", "occurred_at", "value", "currency", "external_id", "source" FROM "${CONVERSIONS_TABLE}" ` +
      `WHERE "click_id" = ${param} ORDER BY "occurred_at", "id" LIMIT ${MAX_CONVERSIONS_PER_CLICK}`,
    [clickId],
  );
  return rows.map((row) => ({
    event: row.event,
    occurredAt: new Date(Number(row.occurred_at)),
    value: row.value === null ? null : Number(row.value),
    currency: row.currency,
    externalId: row.external_id,
    source: row.source,
  }));
}
