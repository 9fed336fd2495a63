import type { Statement } from 'better-sqlite3';
import type { DataSource } from 'typeorm';
import { ClickEvent } from './click-event.entity.js';
import { CLICK_COLUMNS } from './click-rows.js';
import { sqliteHandle } from './sqlite-writer.js';

type StoredRow = Record<(typeof CLICK_COLUMNS)[number] | 'id', string | number | null>;

const SELECT = `SELECT "id", ${CLICK_COLUMNS.map((c) => `"${c}"`).join(', ')} FROM "click_events"`;

/** A stored row as the entity TypeORM would make of it (BIGINTs are strings on PostgreSQL). */
function toClickEvent(row: StoredRow): ClickEvent {
  const event = new ClickEvent();
  event.id = String(row.id);
  event.businessAccountId = row.business_account_id as string;
  event.phoneNumberId = row.phone_number_id as string;
  event.displayPhoneNumber = row.display_phone_number as string | null;
  event.actionType = row.action_type as string;
  event.clickComponent = row.click_component as string | null;
  event.clickId = row.click_id as string | null;
  event.productId = row.product_id as string | null;
  event.trackingToken = row.tracking_token as string | null;
  event.occurredAt = new Date(Number(row.occurred_at));
  event.receivedAt = new Date(Number(row.received_at));
  event.dedupeKey = row.dedupe_key as string;
  event.extra =
    row.extra === null ? null : (JSON.parse(row.extra as string) as Record<string, unknown>);
  return event;
}

/**
 * Reads stored clicks by id, oldest id first, in one statement and without TypeORM's entity
 * building (a quarter of the outbox's CPU when its clicks were read back that way): the clicks
 * of other instances, of before a restart, or no longer kept in memory.
 */
export function clicksById(
  dataSource: DataSource,
): (ids: readonly string[]) => Promise<ClickEvent[]> {
  if (dataSource.driver.options.type === 'postgres') {
    return async (ids) => {
      if (ids.length === 0) return [];
      const rows = await dataSource.query<StoredRow[]>(
        `${SELECT} WHERE "id" = ANY($1::bigint[]) ORDER BY "id"`,
        [ids],
      );
      return rows.map(toClickEvent);
    };
  }
  let statement: Statement<[string], StoredRow> | undefined;
  return async (ids) => {
    if (ids.length === 0) return [];
    statement ??= sqliteHandle(dataSource).prepare(
      `${SELECT} WHERE "id" IN (SELECT "value" FROM json_each(?)) ORDER BY "id"`,
    );
    return statement.all(JSON.stringify(ids.map(Number))).map(toClickEvent);
  };
}
