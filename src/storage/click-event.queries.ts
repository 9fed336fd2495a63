import { type DataSource, In, type SelectQueryBuilder } from 'typeorm';
import {
  type ClickScans,
  DEFAULT_SCAN_CONCURRENCY,
  TurnTakingScans,
} from '../scans/click-scans.js';
import { ClickEvent } from './click-event.entity.js';

/** Which events of one account: every filter is optional, all given ones must hold. */
export interface ClickEventCriteria {
  businessAccountId: string;
  /** occurredAt >= from (ms). */
  from?: number;
  /** occurredAt < to (ms). */
  to?: number;
  /** As stored: `cta`, `body`. */
  clickComponent?: string;
  productId?: string;
  phoneNumberId?: string;
  actionType?: string;
  clickId?: string;
}

/** Where a page ends, in the newest-first order (occurredAt desc, id desc). */
export interface KeysetPosition {
  occurredAt: number;
  id: string;
}

/** Columns a breakdown can group by. */
export type BreakdownColumn = 'click_component' | 'action_type' | 'phone_number_id' | 'product_id';

export interface CountBucket<K> {
  key: K;
  count: number;
}

/**
 * Reads of the click store, all computed in the database: pages by keyset, counts, groupings.
 * Every query is scoped to one account first, so the account-time and dedupe indexes serve it.
 * Whatever may scan many clicks runs as a scan (`ClickScans`): off the event loop on SQLite, a
 * bounded number at a time on both databases.
 */
export class ClickEventQueries {
  /** Text ordering as SQLite's (bytes), so both databases break ties alike. */
  private readonly binaryCollation: string;

  constructor(
    private readonly dataSource: DataSource,
    private readonly scans: ClickScans = new TurnTakingScans(dataSource, DEFAULT_SCAN_CONCURRENCY),
  ) {
    this.binaryCollation = dataSource.driver.options.type === 'postgres' ? ' COLLATE "C"' : '';
  }

  async findById(id: string): Promise<ClickEvent | null> {
    // Ids are BIGINT: anything else matches nothing (PostgreSQL would refuse it outright).
    if (!/^\d{1,18}$/.test(id)) return null;
    return this.dataSource.getRepository(ClickEvent).findOneBy({ id });
  }

  /**
   * Up to `limit` events after `after`, newest first. The filter's scan finds the ids; the
   * events are then read by primary key.
   */
  async findPage(
    criteria: ClickEventCriteria,
    limit: number,
    after?: KeysetPosition,
  ): Promise<ClickEvent[]> {
    const query = this.filtered(criteria);
    if (after) {
      // A row-value comparison, so that both databases seek the (account, occurred_at, id)
      // index to the cursor (an OR of two conditions makes PostgreSQL scan up to it).
      query.andWhere(
        '(c.occurredAt, c.id) < (CAST(:afterTime AS BIGINT), CAST(:afterId AS BIGINT))',
        {
          afterTime: after.occurredAt,
          afterId: after.id,
        },
      );
    }
    query
      .select('c.id', 'id')
      .orderBy('c.occurredAt', 'DESC')
      .addOrderBy('c.id', 'DESC')
      .limit(limit);
    const ids = (await this.scan<{ id: string | number }>(query)).map((row) => String(row.id));
    if (ids.length === 0) return [];
    const events = await this.dataSource.getRepository(ClickEvent).findBy({ id: In(ids) });
    const byId = new Map(events.map((event) => [event.id, event]));
    // One deleted since (retention) is left out, as if the page had been read just after.
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  async count(criteria: ClickEventCriteria): Promise<number> {
    const [row] = await this.scan<{ n: string | number }>(
      this.filtered(criteria).select('COUNT(*)', 'n'),
    );
    return Number(row?.n ?? 0);
  }

  /** Counts per value of `column`, highest first, ties by key (bytes), the null key last. */
  async breakdown(
    criteria: ClickEventCriteria,
    column: BreakdownColumn,
    limit?: number,
  ): Promise<CountBucket<string | null>[]> {
    const key = `c.${column}`;
    const query = this.filtered(criteria)
      .select(key, 'key')
      .addSelect('COUNT(*)', 'n')
      .groupBy(key)
      .orderBy('n', 'DESC')
      .addOrderBy(`${key}${this.binaryCollation}`, 'ASC', 'NULLS LAST');
    if (limit !== undefined) query.limit(limit);
    const rows = await this.scan<{ key: string | null; n: string | number }>(query);
    return rows.map((row) => ({ key: row.key, count: Number(row.n) }));
  }

  /** The first and last occurredAt of the filtered events, or null when there are none. */
  async timeRange(criteria: ClickEventCriteria): Promise<{ min: number; max: number } | null> {
    const [row] = await this.scan<{ min: string | number | null; max: string | number | null }>(
      this.filtered(criteria)
        .select('MIN(c.occurredAt)', 'min')
        .addSelect('MAX(c.occurredAt)', 'max'),
    );
    return row?.min == null || row.max == null
      ? null
      : { min: Number(row.min), max: Number(row.max) };
  }

  /**
   * Counts per bucket, where `bucketSql(column)` turns the escaped occurred_at column into an
   * integer bucket key (see `bucketKeySql`).
   */
  async countByBucket(
    criteria: ClickEventCriteria,
    bucketSql: (column: string) => string,
  ): Promise<CountBucket<number>[]> {
    const query = this.filtered(criteria);
    const expression = bucketSql(`${query.escape('c')}.${query.escape('occurred_at')}`);
    const rows = await this.scan<{ k: string | number; n: string | number }>(
      query.select(expression, 'k').addSelect('COUNT(*)', 'n').groupBy(expression),
    );
    return rows.map((row) => ({ key: Number(row.k), count: Number(row.n) }));
  }

  private scan<T>(query: SelectQueryBuilder<ClickEvent>): Promise<T[]> {
    const [sql, parameters] = query.getQueryAndParameters();
    return this.scans.rows<T>(sql, parameters);
  }

  /**
   * The account's events that match `criteria`, as a query to extend (alias `c`). `byId` (SQLite
   * only): the account is not looked up in an index, so a range of ids is read by rowid.
   */
  filtered(criteria: ClickEventCriteria, { byId = false } = {}): SelectQueryBuilder<ClickEvent> {
    const query = this.dataSource
      .getRepository(ClickEvent)
      .createQueryBuilder('c')
      // SQLite uses no index for a column under a unary +.
      .where(`${byId ? '+ ' : ''}c.businessAccountId = :account`, {
        account: criteria.businessAccountId,
      });
    if (criteria.from !== undefined)
      query.andWhere('c.occurredAt >= :from', { from: criteria.from });
    if (criteria.to !== undefined) query.andWhere('c.occurredAt < :to', { to: criteria.to });
    const equal = {
      clickComponent: criteria.clickComponent,
      productId: criteria.productId,
      phoneNumberId: criteria.phoneNumberId,
      actionType: criteria.actionType,
    };
    for (const [property, value] of Object.entries(equal)) {
      if (value !== undefined)
        query.andWhere(`c.${property} = :${property}`, { [property]: value });
    }
    if (criteria.clickId !== undefined) {
      // A click_id is the dedupe key of its action: the unique index finds it.
      query.andWhere('c.dedupeKey = :clickId AND c.clickId = :clickId', {
        clickId: criteria.clickId,
      });
    }
    return query;
  }
}
