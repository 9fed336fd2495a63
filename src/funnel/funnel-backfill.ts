import type { Database as SqliteDatabase } from 'better-sqlite3';
import type { EntityManager } from 'typeorm';
import { FunnelRows, type FunnelLink, type FunnelState, LINK_CLICK } from './funnel-rollup-rows.js';
import { postgresFunnelStore, SqliteFunnelStore } from './funnel-state.js';

interface LinkRow {
  id: string | number;
  account: string;
  click_id: string | null;
  at: string | number;
  component: string | null;
  product: string | null;
  phone: string | null;
}

const linksSql = (lo: string, hi: string) =>
  `SELECT "id", "business_account_id" AS "account", "click_id", "occurred_at" AS "at", ` +
  `"click_component" AS "component", "product_id" AS "product", "phone_number_id" AS "phone" ` +
  `FROM "click_events" WHERE "id" BETWEEN ${lo} AND ${hi} AND "action_type" = '${LINK_CLICK}'`;

const EMPTY: FunnelState = { links: [], actions: [], conversions: [] };

/** What the batch's link clicks count, each with everything stored under its click id. */
function count(links: readonly LinkRow[], states: ReadonlyMap<string, FunnelState>): FunnelRows {
  const rows = new FunnelRows();
  for (const row of links) {
    const link: FunnelLink = {
      id: String(row.id),
      account: row.account,
      occurredAt: Number(row.at),
      component: row.component,
      product: row.product,
      phone: row.phone,
    };
    rows.addLink(link, (row.click_id !== null && states.get(row.click_id)) || EMPTY, 1);
  }
  return rows;
}

const clickIds = (links: readonly LinkRow[]) =>
  links.flatMap((link) => (link.click_id === null ? [] : [link.click_id]));

/**
 * Counts into the funnel rollups the link clicks with ids in [lo, hi], inside the backfill's
 * transaction (which holds its progress row: writes that touch these clicks wait for it).
 */
export function countFunnelBatchSqlite(db: SqliteDatabase, lo: number, hi: number): void {
  const store = new SqliteFunnelStore(db);
  const links = db.prepare(linksSql('?', '?')).all(lo, hi) as LinkRow[];
  store.write(count(links, store.load(clickIds(links))));
}

export async function countFunnelBatchPostgres(
  manager: EntityManager,
  lo: number,
  hi: number,
): Promise<void> {
  const links = await manager.query<LinkRow[]>(linksSql('$1', '$2'), [lo, hi]);
  // No click id locks (10,000 would overflow PostgreSQL's lock table): writes that touch these
  // clicks read the progress row under a share lock, which this transaction holds for update.
  const states = await postgresFunnelStore.load(manager, clickIds(links));
  await postgresFunnelStore.write(manager, count(links, states));
}
