import type { DataSource } from 'typeorm';
import { addNew, FunnelRows } from '../funnel/funnel-rollup-rows.js';
import {
  funnelBackfillRunning,
  postgresFunnelStore,
  SqliteFunnelStore,
} from '../funnel/funnel-state.js';
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
 * its click by `click_id`, whichever came first, and counted into the funnel's rollups in the
 * same transaction when its click is there (or, later, with its click).
 */
export class ConversionStore {
  private readonly postgres: boolean;
  private readonly backfilling: () => Promise<boolean>;
  private sqliteFunnel: SqliteFunnelStore | undefined;

  constructor(private readonly dataSource: DataSource) {
    this.postgres = dataSource.driver.options.type === 'postgres';
    this.backfilling = funnelBackfillRunning(dataSource);
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
      return this.dataSource.transaction(async (manager) => {
        const inserted = await manager.query<{ id: string; click_id: string }[]>(
          `${INSERT} ${placeholders(rows.length, COLUMNS.length)} ON CONFLICT ("dedupe_key") DO NOTHING RETURNING "id", "click_id"`,
          rows.flat(),
        );
        if (inserted.length === 0) return 0;
        const clickIds = inserted.map((row) => row.click_id);
        await postgresFunnelStore.lock(manager, clickIds);
        const countable = await postgresFunnelStore.countable(manager, await this.backfilling());
        const states = await postgresFunnelStore.load(manager, clickIds);
        const changed = {
          clicks: new Set<string>(),
          conversions: new Set(inserted.map((r) => String(r.id))),
        };
        await postgresFunnelStore.write(
          manager,
          addNew(new FunnelRows(), states, changed, countable),
        );
        return inserted.length;
      });
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
    const funnel = (this.sqliteFunnel ??= new SqliteFunnelStore(db));
    return db.transaction(() => {
      const created = new Set<string>();
      const clickIds: string[] = [];
      for (const row of rows) {
        const inserted = insert.get(...row);
        if (inserted === undefined) continue;
        created.add(String(inserted.id));
        clickIds.push(row[0] as string);
      }
      if (created.size > 0) {
        const changed = { clicks: new Set<string>(), conversions: created };
        funnel.write(addNew(new FunnelRows(), funnel.load(clickIds), changed, funnel.countable()));
      }
      return created.size;
    })();
  }
}
