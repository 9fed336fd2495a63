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

/** The conversions reported for each of these click ids, oldest first (one query). */
export async function conversionsOf(
  dataSource: DataSource,
  clickIds: readonly string[],
): Promise<Map<string, StoredConversion[]>> {
  const postgres = dataSource.driver.options.type === 'postgres';
  const params = clickIds.map((_, i) => (postgres ? `$${i + 1}` : '?')).join(', ');
  const rows = await dataSource.query<
    {
      click_id: string;
      event: string;
      occurred_at: string | number;
      value: string | number | null;
      currency: string | null;
      external_id: string | null;
      source: string;
    }[]
  >(
    `SELECT "click_id", "event", "occurred_at", "value", "currency", "external_id", "source" ` +
      `FROM "${CONVERSIONS_TABLE}" WHERE "click_id" IN (${params}) ORDER BY "occurred_at", "id"`,
    [...clickIds],
  );
  const byClick = new Map<string, StoredConversion[]>();
  for (const row of rows) {
    const list = byClick.get(row.click_id) ?? [];
    if (list.length >= MAX_CONVERSIONS_PER_CLICK) continue;
    list.push({
      event: row.event,
      occurredAt: new Date(Number(row.occurred_at)),
      value: row.value === null ? null : Number(row.value),
      currency: row.currency,
      externalId: row.external_id,
      source: row.source,
    });
    byClick.set(row.click_id, list);
  }
  return byClick;
}

/**
 * Gathers the click ids asked for in one turn of the event loop (a page's `conversions` fields
 * resolve together) into one query, as a DataLoader would.
 */
export class ConversionsBatch {
  private pending: Map<string, ((rows: StoredConversion[]) => void)[]> | null = null;
  private failures: ((error: unknown) => void)[] = [];

  constructor(private readonly dataSource: DataSource) {}

  load(clickId: string): Promise<StoredConversion[]> {
    return new Promise((resolve, reject) => {
      if (this.pending === null) {
        this.pending = new Map();
        this.failures = [];
        process.nextTick(() => void this.flush());
      }
      const waiting = this.pending.get(clickId) ?? [];
      waiting.push(resolve);
      this.pending.set(clickId, waiting);
      this.failures.push(reject);
    });
  }

  private async flush(): Promise<void> {
    const pending = this.pending!;
    const failures = this.failures;
    this.pending = null;
    try {
      const ids = [...pending.keys()];
      for (let start = 0; start < ids.length; start += 500) {
        const found = await conversionsOf(this.dataSource, ids.slice(start, start + 500));
        for (const id of ids.slice(start, start + 500)) {
          for (const resolve of pending.get(id)!) resolve(found.get(id) ?? []);
        }
      }
    } catch (error) {
      for (const reject of failures) reject(error);
    }
  }
}
