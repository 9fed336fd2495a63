import type { Database as SqliteDatabase } from 'better-sqlite3';
import type { DataSource } from 'typeorm';
import type { ClickAction, RejectedAction } from '../payload/click-payload.parser.js';
import { ClickEvent } from './click-event.entity.js';
import { GroupCommit } from './group-commit.js';

/** The storage could not take a delivery; nothing of it was written. Meta will retry. */
export class ClickStorageError extends Error {
  override readonly name = 'ClickStorageError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A rejection as stored: a whole body that was not JSON, or one action with its reason. */
export type RejectionRecord =
  { kind: 'body'; reason: string; body: Buffer } | ({ kind: 'action' } & RejectedAction);

/** Columns of a click row in insert order; `id` is made by the database. */
const CLICK_COLUMNS = [
  'business_account_id',
  'phone_number_id',
  'display_phone_number',
  'action_type',
  'click_component',
  'click_id',
  'product_id',
  'tracking_token',
  'occurred_at',
  'received_at',
  'dedupe_key',
  'extra',
] as const;
const ACCOUNT = CLICK_COLUMNS.indexOf('business_account_id');
const DEDUPE_KEY = CLICK_COLUMNS.indexOf('dedupe_key');
const ACTION_TYPE = CLICK_COLUMNS.indexOf('action_type');
const REJECTION_COLUMNS = [
  'received_at',
  'kind',
  'business_account_id',
  'path',
  'reason',
  'payload',
  'payload_encoding',
] as const;

type Row = (string | number | null)[];
/** Writes click and rejection rows in one transaction; the id of each new click, undefined for a duplicate. */
type Writer = (clicks: Row[], rejections: Row[]) => Promise<(string | undefined)[]>;
const CONFLICT_TARGET = '("business_account_id", "dedupe_key", "action_type")';
const quoted = (columns: readonly string[]) => columns.map((c) => `"${c}"`).join(', ');

/** Rows of one delivery, as written. */
interface DeliveryRows {
  clicks: Row[];
  rejections: Row[];
}

/**
 * Rows per SQLite commit when deliveries are grouped: a full delivery of Meta's (1000 actions)
 * fills a group and is committed at once, smaller ones together, and the loop answers between
 * two commits.
 */
const SQLITE_ROWS_PER_COMMIT = 1000;

/** SQLite errors of the database itself, not of one write: retrying writes alone cannot help. */
const DATABASE_WIDE_SQLITE_ERROR =
  /^SQLITE_(BUSY|LOCKED|IOERR|FULL|READONLY|CORRUPT|CANTOPEN|NOTADB|NOMEM|PERM|PROTOCOL)/;

function isDatabaseWideSqliteError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && DATABASE_WIDE_SQLITE_ERROR.test(code);
}

/**
 * Rows per INSERT on PostgreSQL, for clicks (12 parameters each) and rejections (7): far below
 * its 65,535-parameter limit whatever a delivery holds.
 */
const PG_ROWS_PER_STATEMENT = 500;

/**
 * Writes deliveries: every new action of one delivery and its rejections in one transaction,
 * duplicates skipped by the unique dedupe index (never check-then-insert), and tells which
 * actions were new so only those go on to the domain events.
 */
export class ClickEventRepository {
  private readonly write: Writer;

  constructor(private readonly dataSource: DataSource) {
    const type = dataSource.driver.options.type;
    if (type === 'better-sqlite3') this.write = this.sqliteWriter();
    else if (type === 'postgres') this.write = (c, r) => this.writePostgres(c, r);
    else {
      throw new Error(
        `nestjs-whatsapp-clicks supports the "better-sqlite3" and "postgres" TypeORM drivers, not "${type}"`,
      );
    }
  }

  /**
   * Stores a delivery's actions (deduplicated) and rejections atomically.
   * @returns the newly stored events, in the order of `actions`; duplicates are left out.
   * @throws ClickStorageError when the database cannot take it: then nothing was written.
   */
  async storeDelivery(
    actions: readonly ClickAction[],
    rejections: readonly RejectionRecord[],
    receivedAt: Date,
  ): Promise<ClickEvent[]> {
    // One row per key: a delivery may repeat an action, and a sorted order keeps concurrent
    // PostgreSQL transactions from locking the same keys in opposite orders.
    const unique = new Map<string, ClickAction>();
    for (const action of actions) {
      const key = dedupeIdentity(action.businessAccountId, action.dedupeKey, action.actionType);
      if (!unique.has(key)) unique.set(key, action);
    }
    const ordered = [...unique.values()].sort(compareKeys);
    const received = receivedAt.getTime();
    const clickRows = ordered.map((a) => clickRow(a, received));
    const rejectionRows = rejections.map((r) => rejectionRow(r, received));

    let ids: (string | undefined)[];
    try {
      ids = await this.write(clickRows, rejectionRows);
    } catch (error) {
      throw new ClickStorageError(`could not store the delivery: ${describe(error)}`, {
        cause: error,
      });
    }
    const idOf = new Map(ordered.map((action, i) => [action, ids[i]] as const));
    const stored: ClickEvent[] = [];
    for (const action of unique.values()) {
      const id = idOf.get(action);
      if (id !== undefined) stored.push(toEntity(action, id, receivedAt));
    }
    return stored;
  }

  /** Stores a body that was signed but not readable, so nothing Meta sent is lost. */
  async storeRejectedBody(body: Buffer, reason: string, receivedAt: Date): Promise<void> {
    try {
      await this.write([], [rejectionRow({ kind: 'body', reason, body }, receivedAt.getTime())]);
    } catch (error) {
      throw new ClickStorageError(`could not store the rejected body: ${describe(error)}`, {
        cause: error,
      });
    }
  }

  /**
   * better-sqlite3 is synchronous, and TypeORM shares one query runner on SQLite, so two
   * overlapping TypeORM transactions would interleave. Synchronous transactions on the driver's
   * own handle cannot, and prepared statements are compiled once. SQLite has one writer at a
   * time anyway: the deliveries that reach storage in one turn of the event loop share one
   * transaction (group commit), each still all-or-nothing.
   */
  private sqliteWriter(): Writer {
    let group: GroupCommit<DeliveryRows, (string | undefined)[]> | undefined;
    const prepare = () => {
      const db = (this.dataSource.driver as unknown as { databaseConnection: SqliteDatabase })
        .databaseConnection;
      const insertClick = db.prepare<Row, { id: number }>(
        `INSERT INTO "click_events" (${quoted(CLICK_COLUMNS)}) VALUES (${CLICK_COLUMNS.map(() => '?').join(', ')}) ` +
          `ON CONFLICT ${CONFLICT_TARGET} DO NOTHING RETURNING "id"`,
      );
      const insertRejection = db.prepare<Row>(
        `INSERT INTO "rejected_deliveries" (${quoted(REJECTION_COLUMNS)}) VALUES (${REJECTION_COLUMNS.map(() => '?').join(', ')})`,
      );
      const write = ({ clicks, rejections }: DeliveryRows) => {
        const ids = clicks.map((row) => {
          const inserted = insertClick.get(...row);
          return inserted === undefined ? undefined : String(inserted.id);
        });
        for (const row of rejections) insertRejection.run(...row);
        return ids;
      };
      return new GroupCommit<DeliveryRows, (string | undefined)[]>({
        commit: db.transaction((deliveries: DeliveryRows[]) => deliveries.map(write)),
        weight: (delivery) => delivery.clicks.length + delivery.rejections.length,
        maxWeight: SQLITE_ROWS_PER_COMMIT,
        failsEveryWrite: isDatabaseWideSqliteError,
        // The connection is the host's too: a transaction of its own (TypeORM's) may be open,
        // and a group begun inside it would be rolled back with it, after Meta had its 200.
        canBegin: () => !db.inTransaction,
        // As long as better-sqlite3 waits for another connection's lock (TypeORM's default).
        waitLimitMs: (this.dataSource.options as { timeout?: number }).timeout ?? 5000,
      });
    };
    // Prepared on first use: the tables exist only once the host's migrations have run.
    return async (clicks, rejections) => (group ??= prepare()).submit({ clicks, rejections });
  }

  private async writePostgres(clicks: Row[], rejections: Row[]): Promise<(string | undefined)[]> {
    return this.dataSource.transaction(async (manager) => {
      const ids = new Array<string | undefined>(clicks.length);
      for (let start = 0; start < clicks.length; start += PG_ROWS_PER_STATEMENT) {
        const chunk = clicks.slice(start, start + PG_ROWS_PER_STATEMENT);
        // RETURNING names the key, so each returned id finds its row whatever the order.
        const returned: { id: string; a: string; k: string; t: string }[] = await manager.query(
          `INSERT INTO "click_events" (${quoted(CLICK_COLUMNS)}) VALUES ${placeholders(chunk.length, CLICK_COLUMNS.length)} ` +
            `ON CONFLICT ${CONFLICT_TARGET} DO NOTHING ` +
            `RETURNING "id", "business_account_id" AS "a", "dedupe_key" AS "k", "action_type" AS "t"`,
          chunk.flat(),
        );
        const index = new Map(
          chunk.map((row, i) => [
            dedupeIdentity(row[ACCOUNT], row[DEDUPE_KEY], row[ACTION_TYPE]),
            i,
          ]),
        );
        for (const { id, a, k, t } of returned)
          ids[start + index.get(dedupeIdentity(a, k, t))!] = String(id);
      }
      for (let start = 0; start < rejections.length; start += PG_ROWS_PER_STATEMENT) {
        const chunk = rejections.slice(start, start + PG_ROWS_PER_STATEMENT);
        await manager.query(
          `INSERT INTO "rejected_deliveries" (${quoted(REJECTION_COLUMNS)}) VALUES ${placeholders(chunk.length, REJECTION_COLUMNS.length)}`,
          chunk.flat(),
        );
      }
      return ids;
    });
  }
}

function placeholders(rows: number, columns: number): string {
  const groups: string[] = [];
  for (let r = 0; r < rows; r++) {
    const cells: string[] = [];
    for (let c = 1; c <= columns; c++) cells.push(`$${r * columns + c}`);
    groups.push(`(${cells.join(', ')})`);
  }
  return groups.join(', ');
}

function dedupeIdentity(account: unknown, dedupeKey: unknown, actionType: unknown): string {
  return `${String(account)}\u0000${String(dedupeKey)}\u0000${String(actionType)}`;
}

function compareKeys(a: ClickAction, b: ClickAction): number {
  return (
    compare(a.businessAccountId, b.businessAccountId) ||
    compare(a.dedupeKey, b.dedupeKey) ||
    compare(a.actionType, b.actionType)
  );
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function clickRow(a: ClickAction, receivedAt: number): Row {
  return [
    a.businessAccountId,
    a.phoneNumberId,
    a.displayPhoneNumber,
    a.actionType,
    a.clickComponent,
    a.clickId,
    a.productId,
    a.trackingToken,
    a.occurredAt,
    receivedAt,
    a.dedupeKey,
    a.extra === null ? null : JSON.stringify(a.extra),
  ];
}

function rejectionRow(r: RejectionRecord, receivedAt: number): Row {
  if (r.kind === 'action') {
    return [
      receivedAt,
      'action',
      r.businessAccountId,
      r.path,
      textSafe(r.reason),
      JSON.stringify(r.payload),
      'utf8',
    ];
  }
  const text = utf8OrNull(r.body);
  return [
    receivedAt,
    'body',
    null,
    null,
    textSafe(r.reason),
    text ?? r.body.toString('base64'),
    text === null ? 'base64' : 'utf8',
  ];
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The bytes as text if they are UTF-8 that a text column can hold (PostgreSQL refuses NUL). */
function utf8OrNull(bytes: Buffer): string | null {
  try {
    const text = strictUtf8.decode(bytes);
    return text.includes('\u0000') ? null : text;
  } catch {
    return null;
  }
}

/** A reason may quote the input: NUL cannot be stored as text on PostgreSQL. */
function textSafe(text: string): string {
  return text.replaceAll('\u0000', '\\u0000');
}

function toEntity(a: ClickAction, id: string, receivedAt: Date): ClickEvent {
  const event = new ClickEvent();
  event.id = id;
  event.businessAccountId = a.businessAccountId;
  event.phoneNumberId = a.phoneNumberId;
  event.displayPhoneNumber = a.displayPhoneNumber;
  event.actionType = a.actionType;
  event.clickComponent = a.clickComponent;
  event.clickId = a.clickId;
  event.productId = a.productId;
  event.trackingToken = a.trackingToken;
  event.occurredAt = new Date(a.occurredAt);
  event.receivedAt = receivedAt;
  event.dedupeKey = a.dedupeKey;
  event.extra = a.extra;
  return event;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
