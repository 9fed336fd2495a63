import type { DataSource } from 'typeorm';
import type { ClickMessage } from '../live/click-pubsub.js';
import type { ClickEventCriteria, ClickEventQueries } from '../storage/click-event.queries.js';

/**
 * A place in the stream of one database's clicks, in the order they became visible: after
 * (transaction, id). On SQLite `tx` is always 0 (ids grow in commit order there); on
 * PostgreSQL it is the writing transaction's id (see the migration AddClickStreamOrder).
 */
export interface StreamPosition {
  tx: bigint;
  id: bigint;
}

/** A page of the stream and where the next read starts. */
export interface StreamPage {
  clicks: ClickMessage[];
  position: StreamPosition;
}

/** The largest id a position can name: "everything of this transaction". */
const LAST_ID = 2n ** 63n - 1n;
/** Most ids one SQLite read walks, matching or not: a read never blocks the loop for long. */
const SQLITE_WINDOW = 20_000n;

/** A click as the database hands it back (BIGINTs may come as strings), with the stream's columns. */
type StreamRow = Omit<ClickMessage, 'id' | 'occurredAt' | 'receivedAt'> & {
  id: string | number;
  occurredAt: string | number;
  receivedAt: string | number;
  tx?: string | null;
  horizon?: string;
};

/**
 * Reads the clicks of one account after a stream position, oldest first, so that a reader
 * that keeps its position sees every click once and in one order, however many writers there
 * are: what a resumable subscription is made of.
 *
 * PostgreSQL: a click is read only once every transaction older than its own has ended
 * (`pg_snapshot_xmin`), so no click can later appear before a position already passed.
 */
export class ClickStreamReader {
  private readonly postgres: boolean;
  private readonly reading = new Map<string, Promise<StreamPage>>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly queries: ClickEventQueries,
  ) {
    this.postgres = dataSource.driver.options.type === 'postgres';
  }

  /**
   * The position just after a stored click of the account, or null when there is no such click
   * (another account's, or deleted by retention) or its `occurredAt` is not `occurredAt`.
   */
  async positionAfter(
    businessAccountId: string,
    click: { id: string; occurredAt: number },
  ): Promise<StreamPosition | null> {
    const tx = this.postgres ? `"tx_id"::text` : `'0'`;
    const rows: { account: string; occurredAt: string | number; tx: string }[] =
      await this.dataSource.query(
        `SELECT "business_account_id" AS "account", "occurred_at" AS "occurredAt", ${tx} AS "tx"
         FROM "click_events" WHERE "id" = ${this.postgres ? '$1' : '?'}`,
        [click.id],
      );
    const row = rows[0];
    if (!row || row.account !== businessAccountId || Number(row.occurredAt) !== click.occurredAt) {
      return null;
    }
    return { tx: BigInt(row.tx), id: BigInt(click.id) };
  }

  /**
   * Up to `limit` clicks matching `criteria` after `after`, in stream order. Readers that ask
   * the same while it is being read share one query: the subscribers of an account that are
   * all caught up wake for the same click, at the same position.
   */
  read(criteria: ClickEventCriteria, after: StreamPosition, limit: number): Promise<StreamPage> {
    const key = `${after.tx}:${after.id}:${limit}:${JSON.stringify(criteria)}`;
    const running = this.reading.get(key);
    if (running) return running;
    const reading = (
      this.postgres
        ? this.readPostgres(criteria, after, limit)
        : this.readSqlite(criteria, after, limit)
    ).finally(() => this.reading.delete(key));
    this.reading.set(key, reading);
    return reading;
  }

  private async readPostgres(
    criteria: ClickEventCriteria,
    after: StreamPosition,
    limit: number,
  ): Promise<StreamPage> {
    const [page, parameters] = this.selectRows(criteria)
      .addSelect('c.tx_id::text', 'tx')
      .andWhere('(c.tx_id, c.id) > (CAST(:afterTx AS xid8), CAST(:afterId AS BIGINT))', {
        afterTx: after.tx.toString(),
        afterId: after.id.toString(),
      })
      .andWhere('c.tx_id < h.horizon')
      .orderBy('c.tx_id', 'ASC')
      .addOrderBy('c.id', 'ASC')
      .limit(limit)
      .getQueryAndParameters();
    // The horizon comes from the page's own snapshot: a second statement could see a later one
    // and skip the transactions that ended in between.
    const rows: StreamRow[] = await this.dataSource.query(
      `WITH h AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS horizon)
       SELECT h.horizon::text AS "horizon", p.* FROM h LEFT JOIN LATERAL (${page}) p ON true`,
      parameters,
    );
    const found = rows.filter((row) => row.id !== null);
    const ordered = found
      .map((row) => ({ row, tx: BigInt(row.tx!), id: BigInt(row.id) }))
      .sort((a, b) => (a.tx === b.tx ? compare(a.id, b.id) : compare(a.tx, b.tx)));
    const last = ordered.at(-1);
    // A short page read everything before the horizon: the next read starts there.
    const position =
      ordered.length < limit || !last
        ? maxPosition(after, { tx: BigInt(rows[0]!.horizon!) - 1n, id: LAST_ID })
        : { tx: last.tx, id: last.id };
    return { clicks: ordered.map(({ row }) => toMessage(row)), position };
  }

  private async readSqlite(
    criteria: ClickEventCriteria,
    after: StreamPosition,
    limit: number,
  ): Promise<StreamPage> {
    const [top]: { last: number | null }[] = await this.dataSource.query(
      `SELECT MAX("id") AS "last" FROM "click_events"`,
    );
    const last = BigInt(top?.last ?? 0);
    if (last <= after.id) return { clicks: [], position: after };
    const until = after.id + SQLITE_WINDOW < last ? after.id + SQLITE_WINDOW : last;
    const rows = await this.selectRows(criteria, { byId: true })
      .andWhere('c.id > :afterId AND c.id <= :untilId', {
        afterId: after.id.toString(),
        untilId: until.toString(),
      })
      .orderBy('c.id', 'ASC')
      .limit(limit)
      .getRawMany<StreamRow>();
    // Ids up to `until` exist or never will (one writer): a short page has passed them all.
    const position =
      rows.length < limit ? { tx: 0n, id: until } : { tx: 0n, id: BigInt(rows.at(-1)!.id) };
    return { clicks: rows.map(toMessage), position };
  }

  private selectRows(criteria: ClickEventCriteria, options?: { byId: boolean }) {
    return this.queries
      .filtered(criteria, options)
      .select('c.id', 'id')
      .addSelect('c.business_account_id', 'businessAccountId')
      .addSelect('c.phone_number_id', 'phoneNumberId')
      .addSelect('c.display_phone_number', 'displayPhoneNumber')
      .addSelect('c.action_type', 'actionType')
      .addSelect('c.click_component', 'clickComponent')
      .addSelect('c.click_id', 'clickId')
      .addSelect('c.product_id', 'productId')
      .addSelect('c.tracking_token', 'trackingToken')
      .addSelect('c.occurred_at', 'occurredAt')
      .addSelect('c.received_at', 'receivedAt');
  }
}

const compare = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);

function maxPosition(a: StreamPosition, b: StreamPosition): StreamPosition {
  if (a.tx !== b.tx) return a.tx > b.tx ? a : b;
  return a.id >= b.id ? a : b;
}

function toMessage(row: StreamRow): ClickMessage {
  return {
    id: String(row.id),
    businessAccountId: row.businessAccountId,
    phoneNumberId: row.phoneNumberId,
    displayPhoneNumber: row.displayPhoneNumber,
    actionType: row.actionType,
    clickComponent: row.clickComponent,
    clickId: row.clickId,
    productId: row.productId,
    trackingToken: row.trackingToken,
    occurredAt: Number(row.occurredAt),
    receivedAt: Number(row.receivedAt),
  };
}
