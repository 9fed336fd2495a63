import type { DataSource } from 'typeorm';
import { ENQUEUE } from '../funnel/funnel-state.js';
import { placeholders } from '../storage/placeholders.js';
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
 * its click by `click_id`, whichever came first (and queued for the funnel rollups, which count
 * it with its click once both are there).
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
    // Queued for the funnel rollups in the same statement or transaction (FunnelCounter).
    if (this.postgres) {
      const [stored] = await this.dataSource.query<{ n: string }[]>(
        `WITH "new" AS (${INSERT} ${placeholders(rows.length, COLUMNS.length)} ` +
          `ON CONFLICT ("dedupe_key") DO NOTHING RETURNING "id", "click_id"), ` +
          `"queue" AS (${ENQUEUE} SELECT 'c', "id", NULL, "click_id", $${rows.length * COLUMNS.length + 1} FROM "new") ` +
          `SELECT count(*) AS "n" FROM "new"`,
        [...rows.flat(), now],
      );
      return Number(stored?.n ?? 0);
    }
    const db = sqliteHandle(this.dataSource);
    // The connection is the host's too: never begin inside a transaction of its own.
    for (let waited = 0; db.inTransaction; waited += 10) {
      if (waited >= SQLITE_WAIT_MS) throw new Error('the SQLite connection stayed busy');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const insert = db.prepare<unknown[], { id: number }>(
      `${INSERT} (${COLUMNS.map(() => '?').join(', ')}) ON CONFLICT ("dedupe_key") DO NOTHING RETURNING "id"`,
    );
    const enqueue = db.prepare(`${ENQUEUE} VALUES ('c', ?, NULL, ?, ?) ON CONFLICT DO NOTHING`);
    return db.transaction(() => {
      let stored = 0;
      for (const row of rows) {
        const inserted = insert.get(...row);
        if (inserted === undefined) continue;
        enqueue.run(inserted.id, row[0], now);
        stored++;
      }
      return stored;
    })();
  }
}
