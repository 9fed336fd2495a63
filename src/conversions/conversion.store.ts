import type { DataSource } from 'typeorm';
import { placeholders } from '../storage/postgres-writer.js';
import { sqliteHandle } from '../storage/sqlite-writer.js';
import type { Conversion } from './conversion-input.js';

export const CONVERSIONS_TABLE = 'click_conversions';
const COLUMNS = [
  'click_id',
  'event',
  'occurred_at',
  'received_at',
  'value',
  'currency',
  'external_id',
  'dedupe_key',
  'source',
] as const;
const INSERT = `INSERT INTO "${CONVERSIONS_TABLE}" (${COLUMNS.map((c) => `"${c}"`).join(', ')}) VALUES`;
/** How long a write waits for the shared SQLite connection to leave another transaction. */
const SQLITE_WAIT_MS = 2000;

/** Who reported it: a browser (the click id is the capability) or a server with a key. */
export type ConversionSource = 'beacon' | 'server';

/**
 * Writes conversions, skipping those already stored (the unique dedupe key), in one
 * transaction: how many were new. A conversion needs no click to be stored: it is joined to
 * its click by `click_id` when read, whichever came first.
 */
export class ConversionStore {
  private readonly postgres: boolean;

  constructor(private readonly dataSource: DataSource) {
    this.postgres = dataSource.driver.options.type === 'postgres';
  }

  async store(conversions: readonly Conversion[], source: ConversionSource): Promise<number> {
    const now = Date.now();
    // Sorted: concurrent PostgreSQL transactions take the keys' locks in one order.
    const rows = [...conversions]
      .sort((a, b) => (a.dedupeKey < b.dedupeKey ? -1 : a.dedupeKey > b.dedupeKey ? 1 : 0))
      .map((c) => [
        c.clickId,
        c.event,
        c.occurredAt ?? now,
        now,
        c.value,
        c.currency,
        c.externalId,
        c.dedupeKey,
        source,
      ]);
    if (this.postgres) {
      const inserted = await this.dataSource.query<unknown[]>(
        `${INSERT} ${placeholders(rows.length, COLUMNS.length)} ON CONFLICT ("dedupe_key") DO NOTHING RETURNING "id"`,
        rows.flat(),
      );
      return inserted.length;
    }
    const db = sqliteHandle(this.dataSource);
    // The connection is the host's too: never begin inside a transaction of its own.
    for (let waited = 0; db.inTransaction; waited += 10) {
      if (waited >= SQLITE_WAIT_MS) throw new Error('the SQLite connection stayed busy');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const insert = db.prepare(
      `${INSERT} (${COLUMNS.map(() => '?').join(', ')}) ON CONFLICT ("dedupe_key") DO NOTHING`,
    );
    return db.transaction(() =>
      rows.reduce((count, row) => count + insert.run(...row).changes, 0),
    )();
  }
}
