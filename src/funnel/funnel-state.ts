import type { EntityManager } from 'typeorm';
import { CLICK_COLUMNS, TRACKING_COLUMNS } from '../storage/click-rows.js';
import {
  FUNNEL_QUEUE_TABLE,
  FUNNEL_ROLLUP_COLUMNS,
  FUNNEL_ROLLUP_TABLE,
  type FunnelLink,
  type FunnelState,
  LINK_CLICK,
  type QueuedKind,
} from './funnel-rollup-rows.js';

/**
 * What the funnel rollups are counted from, for both databases: the shape of a click id's
 * state and of the queue, and their SQL (`sqlite-funnel.store.ts`, `postgres-funnel.store.ts`).
 */

/** The key columns of a funnel rollup row. */
export const KEY_COLUMNS = FUNNEL_ROLLUP_COLUMNS.slice(0, 7);

export interface StateRow {
  kind: 'l' | 'a' | 'c';
  id: string | number;
  account: string | null;
  key: string;
  name: string | null;
  at: string | number | null;
  component: string | null;
  product: string | null;
  phone: string | null;
  currency: string | null;
  value: string | number | null;
}

/** The three reads of a funnel state: a click id's link clicks, other actions, conversions. */
// Typed NULLs: PostgreSQL types each part's columns (and a UNION's from its first two parts).
const NULL_TEXT = 'CAST(NULL AS VARCHAR)';
const NULL_BIGINT = 'CAST(NULL AS BIGINT)';
const NULL_DOUBLE = 'CAST(NULL AS DOUBLE PRECISION)';
/** The reads of a funnel state (see `FunnelKeys`). */
export const STATE_PARTS = {
  /** Every row of an account under a key: its link click (`l`) and Meta's other actions (`a`). */
  keyed:
    `SELECT CASE WHEN "action_type" = '${LINK_CLICK}' AND "click_id" = "dedupe_key" THEN 'l' ELSE 'a' END AS "kind", ` +
    `"id", "business_account_id" AS "account", "dedupe_key" AS "key", "action_type" AS "name", ` +
    `"occurred_at" AS "at", "click_component" AS "component", "product_id" AS "product", ` +
    `"phone_number_id" AS "phone", ${NULL_TEXT} AS "currency", ${NULL_DOUBLE} AS "value" FROM "click_events"`,
  /** The accounts with a link click under a click id. */
  linkAccounts: `SELECT "business_account_id" AS "account", "click_id" AS "clickId" FROM "click_events"`,
  conversions:
    `SELECT 'c' AS "kind", c."id", ${NULL_TEXT} AS "account", c."click_id" AS "key", c."event" AS "name", ` +
    `${NULL_BIGINT} AS "at", ${NULL_TEXT} AS "component", ${NULL_TEXT} AS "product", ${NULL_TEXT} AS "phone", ` +
    `c."currency", c."value" FROM "click_conversions" c`,
};

export function collect(rows: readonly StateRow[], into: Map<string, FunnelState>): void {
  for (const row of rows) {
    let state = into.get(row.key);
    if (!state) into.set(row.key, (state = { links: [], actions: [], conversions: [] }));
    const id = String(row.id);
    if (row.kind === 'l') state.links.push(link(row));
    else if (row.kind === 'a') state.actions.push({ id, account: row.account!, type: row.name! });
    else {
      state.conversions.push({
        id,
        event: row.name!,
        currency: row.currency,
        value: row.value === null ? null : Number(row.value),
      });
    }
  }
}

function link(row: StateRow): FunnelLink {
  return {
    id: String(row.id),
    account: row.account!,
    occurredAt: Number(row.at),
    component: row.component,
    product: row.product,
    phone: row.phone,
  };
}

/** A row the funnel rollups have not counted yet. */
export interface QueuedRow {
  kind: QueuedKind;
  rowId: string;
  /** A click row's account (null for the others). */
  account: string | null;
  clickId: string | null;
}

/**
 * Which states to read: click rows' (account, click id), whose own account's rows are all they
 * touch, and conversions' click ids, whose link clicks may be in any account.
 */
export interface FunnelKeys {
  pairs: readonly (readonly [account: string, clickId: string])[];
  clickIds: readonly string[];
}

/** How a state row, a queued row or a pending one is named: `k:` click row, `c:` conversion. */
export const queuedKey = (kind: QueuedKind, rowId: string | number) => `${kind}:${rowId}`;

/**
 * The rows of `states` as the queue names them: a state's link clicks and actions are click rows
 * (`k`), its conversions `c`. What counting asks of the queue is which of these still wait.
 */
export function rowsOfStates(states: ReadonlyMap<string, FunnelState>): {
  kinds: QueuedKind[];
  ids: string[];
} {
  const kinds: QueuedKind[] = [];
  const ids: string[] = [];
  const add = (kind: QueuedKind, id: string) => {
    kinds.push(kind);
    ids.push(id);
  };
  for (const state of states.values()) {
    for (const { id } of state.links) add('k', id);
    for (const { id } of state.actions) add('k', id);
    for (const { id } of state.conversions) add('c', id);
  }
  return { kinds, ids };
}

export const QUEUE_COLUMNS = `"kind", "row_id" AS "rowId", "business_account_id" AS "account", "click_id" AS "clickId"`;
/** The start of an INSERT that queues rows: (kind, row id, account, click id, queued at). */
export const ENQUEUE = `INSERT INTO "${FUNNEL_QUEUE_TABLE}" ("kind", "row_id", "business_account_id", "click_id", "queued_at")`;
/** SQL of whether the row of `idColumn` (of `kind`'s table) waits in the queue. */
export const stillQueued = (kind: QueuedKind, idColumn: string) =>
  `EXISTS (SELECT 1 FROM "${FUNNEL_QUEUE_TABLE}" q WHERE q."kind" = '${kind}' AND q."row_id" = ${idColumn})`;
export const CLICK_SELECT = `SELECT "id", ${CLICK_COLUMNS.map((c) => `"${c}"`).join(', ')} FROM "click_events"`;
export const TRACKING_SELECT = `SELECT ${TRACKING_COLUMNS.map((c) => `"${c}"`).join(', ')} FROM "tracking_events"`;

export const asQueued = (
  rows: {
    kind: QueuedKind;
    rowId: string | number;
    account: string | null;
    clickId: string | null;
  }[],
): QueuedRow[] => rows.map((row) => ({ ...row, rowId: String(row.rowId) }));
export const asClicks = (rows: Record<string, unknown>[]) =>
  rows.map((row) => ({ id: String(row.id), row: CLICK_COLUMNS.map((c) => row[c]) }));
export const asTracking = (rows: Record<string, unknown>[]) =>
  rows.map((row) => TRACKING_COLUMNS.map((c) => row[c]));

/**
 * Empties the funnel rollups and queues every stored row the funnel counts, as the migration
 * did (`rebuildClickRollups`): `FunnelCounter` counts them all again; the funnel reads the
 * tables meanwhile.
 */
export async function requeueFunnel(manager: EntityManager): Promise<void> {
  await manager.query(`DELETE FROM "${FUNNEL_ROLLUP_TABLE}"`);
  await manager.query(`DELETE FROM "${FUNNEL_QUEUE_TABLE}"`);
  await manager.query(
    `${ENQUEUE} SELECT 'k', "id", "business_account_id", "click_id", 0 FROM "click_events" ` +
      `WHERE "action_type" = '${LINK_CLICK}' OR "click_id" IS NOT NULL`,
  );
  await manager.query(`${ENQUEUE} SELECT 'c', "id", NULL, "click_id", 0 FROM "click_conversions"`);
  await manager.query(
    `${ENQUEUE} SELECT 't', "id", NULL, NULL, 0 FROM "tracking_events" WHERE "event" = 'sent'`,
  );
}
